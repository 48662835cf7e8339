/*
 * Tongban process diagrams: draws a BPMN process (bpmn-js NavigatedViewer) or a DMN decision
 * table (dmn-js) in every element carrying `data-diagram`, configured by data-* attributes only
 * (no inline script; a strict CSP holds):
 *
 *   <figure class="diagram" data-diagram
 *           data-kind="bpmn"                      bpmn | dmn
 *           data-xml-url="/api/v1/processes/standard_approval/versions/1"
 *           data-position-url="/api/v1/applications/7/position"   optional: markers + overlays
 *           data-labels='{"accept": "Acceptance"}'                 optional: a label under nodes
 *           data-focus-narrow                     optional: on a phone, zoom to the path so far
 *           data-error="无法显示流程图">
 *     <div class="diagram-canvas"></div>
 *   </figure>
 *
 * The page loads the vendored viewer it needs (portal/vendor/bpmn-js or dmn-js) before this file.
 * Markers are CSS classes on the diagram's elements (portal/css/diagram.css): done, current,
 * current-warning, current-overdue, not-taken; flows taken get `done`, the others `not-taken`.
 * Other pages (the heat map) may call window.TongbanDiagram.render(element) and use the viewer
 * it resolves to.
 */
(function () {
  "use strict";

  function fetchOk(url, accept) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: accept } }).then(
      function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status + " " + url);
        }
        return response;
      }
    );
  }

  function fail(element, error) {
    element.classList.add("diagram-failed");
    var note = document.createElement("p");
    note.className = "diagram-error";
    note.setAttribute("role", "status");
    note.textContent = element.getAttribute("data-error") || "Diagram unavailable";
    element.appendChild(note);
    if (window.console) {
      window.console.warn("diagram:", error);
    }
  }

  function has(registry, id) {
    return Boolean(registry.get(id));
  }

  function badge(text, className) {
    var el = document.createElement("span");
    el.className = className;
    el.textContent = text;
    return el;
  }

  /** Markers and overlays from a position (GET /applications/{id}/position). */
  function applyPosition(viewer, position) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    var markers = position.markers || {};
    Object.keys(markers).forEach(function (id) {
      if (has(registry, id)) {
        canvas.addMarker(id, markers[id]);
      }
    });
    (position.flows || []).forEach(function (id) {
      if (has(registry, id)) {
        canvas.addMarker(id, "done");
      }
    });
    (position.flows_not_taken || []).forEach(function (id) {
      if (has(registry, id)) {
        canvas.addMarker(id, "not-taken");
      }
    });
    var notes = position.overlays || {};
    Object.keys(notes).forEach(function (id) {
      if (has(registry, id)) {
        overlays.add(id, "tongban-count", {
          position: { top: -10, right: 10 },
          html: badge(notes[id], "diagram-count"),
        });
      }
    });
  }

  /** On a narrow screen, show the nodes the case reached (done and current) rather than all. */
  function focusOnPath(viewer, position) {
    if (window.innerWidth > 640) {
      return;
    }
    var registry = viewer.get("elementRegistry");
    var markers = position.markers || {};
    var box = null;
    Object.keys(markers).forEach(function (id) {
      var element = registry.get(id);
      if (!element || markers[id] === "not-taken" || element.waypoints) {
        return;
      }
      var x2 = element.x + element.width;
      var y2 = element.y + element.height;
      box = box
        ? {
            x: Math.min(box.x, element.x),
            y: Math.min(box.y, element.y),
            x2: Math.max(box.x2, x2),
            y2: Math.max(box.y2, y2),
          }
        : { x: element.x, y: element.y, x2: x2, y2: y2 };
    });
    if (box) {
      var pad = 40;
      viewer.get("canvas").viewbox({
        x: box.x - pad,
        y: box.y - pad,
        width: box.x2 - box.x + 2 * pad,
        height: box.y2 - box.y + 2 * pad,
      });
    }
  }

  function applyLabels(viewer, labels) {
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    Object.keys(labels).forEach(function (id) {
      var element = registry.get(id);
      if (element && !element.waypoints) {
        overlays.add(id, "tongban-label", {
          position: { bottom: -4, left: 0 },
          html: badge(labels[id], "diagram-label"),
        });
      }
    });
  }

  function fit(viewer) {
    try {
      viewer.get("canvas").zoom("fit-viewport", "auto");
    } catch (error) {
      // A hidden container has no size yet: fitted again on the next resize.
    }
  }

  function renderBpmn(element, canvasElement, xml) {
    var viewer = new window.BpmnJS({ container: canvasElement });
    return viewer.importXML(xml).then(function () {
      fit(viewer);
      var labels = element.getAttribute("data-labels");
      if (labels) {
        applyLabels(viewer, JSON.parse(labels));
      }
      var positionUrl = element.getAttribute("data-position-url");
      var ready = positionUrl
        ? fetchOk(positionUrl, "application/json")
            .then(function (response) {
              return response.json();
            })
            .then(function (position) {
              applyPosition(viewer, position);
              if (element.hasAttribute("data-focus-narrow")) {
                focusOnPath(viewer, position);
              }
            })
        : Promise.resolve();
      var timer = null;
      window.addEventListener("resize", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          fit(viewer);
        }, 150);
      });
      return ready.then(function () {
        return viewer;
      });
    });
  }

  function renderDmn(canvasElement, xml) {
    var viewer = new window.DmnJS({ container: canvasElement });
    return viewer.importXML(xml).then(function () {
      // A decision table says more than the one box of its requirements diagram.
      var table = viewer.getViews().filter(function (view) {
        return view.type === "decisionTable";
      })[0];
      return (table ? viewer.open(table) : Promise.resolve()).then(function () {
        return viewer;
      });
    });
  }

  function render(element) {
    if (element.getAttribute("data-diagram-state")) {
      return Promise.resolve(null);
    }
    element.setAttribute("data-diagram-state", "loading");
    var canvasElement = element.querySelector(".diagram-canvas") || element;
    var kind = element.getAttribute("data-kind") || "bpmn";
    return fetchOk(element.getAttribute("data-xml-url"), "application/xml")
      .then(function (response) {
        return response.text();
      })
      .then(function (xml) {
        if (kind === "dmn") {
          return renderDmn(canvasElement, xml);
        }
        return renderBpmn(element, canvasElement, xml);
      })
      .then(function (viewer) {
        element.setAttribute("data-diagram-state", "ready");
        return viewer;
      })
      .catch(function (error) {
        element.setAttribute("data-diagram-state", "failed");
        fail(element, error);
        return null;
      });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-diagram]"), render);
  }

  window.TongbanDiagram = { render: render, applyPosition: applyPosition };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
