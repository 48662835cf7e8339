/* Tongban portal: the little script the pages need beyond htmx. */
(function () {
  "use strict";

  // A request htmx cannot swap (a URI too long for the server, a network
  // failure) would otherwise leave the old results silently in place.
  function showRequestError(event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.dataset || !target.dataset.errorMessage) {
      return;
    }
    var box = document.createElement("div");
    box.className = "alert alert-error";
    box.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = target.dataset.errorMessage;
    box.appendChild(text);
    target.replaceChildren(box);
  }

  document.addEventListener("htmx:responseError", showRequestError);
  document.addEventListener("htmx:sendError", showRequestError);

  // A form sent back with errors: the summary at its top takes the focus (GOV.UK
  // pattern), so a screen reader reads it first; its links lead to each field.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("form-errors");
    if (summary) {
      summary.focus();
    }
  });
})();
