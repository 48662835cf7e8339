/* 流程工作室: a version's diagram with the nodes and flows added or changed marked.
 * Configured by data-* attributes on #diagram (no inline script: strict CSP). */
(function () {
  "use strict";

  function ids(value) {
    try {
      var list = JSON.parse(value || "[]");
      return Array.isArray(list) ? list : [];
    } catch (e) {
      return [];
    }
  }

  function show(container) {
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.dataset.sourceUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (xml) {
        return viewer.importXML(xml);
      })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport");
        ids(container.dataset.added).forEach(function (id) {
          if (registry.get(id)) {
            canvas.addMarker(id, "diff-marker-added");
          }
        });
        ids(container.dataset.changed).forEach(function (id) {
          if (registry.get(id)) {
            canvas.addMarker(id, "diff-marker-changed");
          }
        });
        container.dataset.ready = "true";
      })
      .catch(function () {
        container.textContent = container.dataset.error || "";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("diagram");
    if (container && window.BpmnJS) {
      show(container);
    }
  });
})();
