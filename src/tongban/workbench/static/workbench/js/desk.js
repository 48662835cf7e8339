/* The counter pages: show the identity inputs of the chosen applicant type; print the receipt. */
(function () {
  "use strict";
  function showApplicantType() {
    var checked = document.querySelector('input[name="applicant_type"]:checked');
    var kind = checked ? checked.value : "person";
    document.querySelectorAll("[data-for]").forEach(function (block) {
      block.hidden = block.getAttribute("data-for") !== kind;
    });
  }
  function showAddress() {
    var checked = document.querySelector('input[name="delivery_method"]:checked');
    document.querySelectorAll("[data-delivery-address]").forEach(function (block) {
      block.hidden = !checked || checked.value !== "post";
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "applicant_type") { showApplicantType(); }
    if (event.target.name === "delivery_method") { showAddress(); }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
  showApplicantType();
  showAddress();
})();
