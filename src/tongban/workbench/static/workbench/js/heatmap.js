/* Tongban: the heat map of a process version on its BPMN diagram.
 *
 * The page holds <div class="heatmap-canvas" data-heatmap="ID"> and the JSON of
 * <script type="application/json" id="ID"> (Django's json_script): {xml, nodes: [{id, name,
 * passed, waiting, median, p90, levels: {waiting, dwell, passed}}], flows: [{flow, visits,
 * cases}], nodes_url, labels}. The vendored bpmn-js NavigatedViewer draws the XML; each node
 * gets a marker heat-0 … heat-4 for the mode chosen in <select data-heat-mode> and an overlay
 * with its number in that mode; each flow an overlay with the times it was taken. Clicking a node loads its
 * waiting cases with htmx into data-waiting-target. The same numbers are in the page's tables,
 * so the diagram is hidden from assistive technology.
 */
(function () {
  "use strict";

  function text(tag, className, content) {
    var el = document.createElement(tag);
    el.className = className;
    el.textContent = content;
    return el;
  }

  /* The one number a node shows in a mode: waiting cases, median dwell, or cases passed. */
  function nodeBadge(node, mode, labels) {
    if (mode === "waiting" && node.waiting) {
      return text("span", "heat-badge heat-waiting", labels.waiting + " " + node.waiting);
    }
    if (mode === "dwell" && node.type === "UserTask" && node.median !== null && node.median !== undefined) {
      return text("span", "heat-badge heat-dwell", node.median + " " + labels.days);
    }
    if (mode === "passed" && node.passed) {
      return text("span", "heat-badge heat-passed", labels.passed + " " + node.passed);
    }
    return null;
  }

  function draw(container) {
    var source = document.getElementById(container.getAttribute("data-heatmap"));
    if (!source || typeof window.BpmnJS === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var viewer = new window.BpmnJS({ container: container });
    var byId = {};
    data.nodes.forEach(function (node) {
      byId[node.id] = node;
    });

    viewer.importXML(data.xml).then(function () {
      var canvas = viewer.get("canvas");
      var overlays = viewer.get("overlays");
      var registry = viewer.get("elementRegistry");
      var eventBus = viewer.get("eventBus");
      canvas.zoom("fit-viewport");

      data.flows.forEach(function (flow) {
        var element = registry.get(flow.flow);
        if (!element || !element.waypoints || element.waypoints.length < 2) {
          return;
        }
        var a = element.waypoints[Math.floor((element.waypoints.length - 1) / 2)];
        var b = element.waypoints[Math.floor((element.waypoints.length - 1) / 2) + 1];
        var minX = Math.min.apply(null, element.waypoints.map(function (p) { return p.x; }));
        var minY = Math.min.apply(null, element.waypoints.map(function (p) { return p.y; }));
        overlays.add(flow.flow, "heat-flow", {
          position: { left: (a.x + b.x) / 2 - minX - 10, top: (a.y + b.y) / 2 - minY - 10 },
          html: text("span", "heat-flow", String(flow.visits))
        });
      });

      function paint(mode) {
        overlays.remove({ type: "heat-node" });
        data.nodes.forEach(function (node) {
          if (!registry.get(node.id)) {
            return;
          }
          for (var level = 0; level <= 4; level += 1) {
            canvas.removeMarker(node.id, "heat-" + level);
          }
          canvas.addMarker(node.id, "heat-" + (node.levels[mode] || 0));
          var badge = nodeBadge(node, mode, data.labels);
          if (badge) {
            overlays.add(node.id, "heat-node", { position: { top: -10, right: 10 }, html: badge });
          }
        });
      }
      var select = document.querySelector("[data-heat-mode]");
      paint(select ? select.value : "waiting");
      if (select) {
        select.addEventListener("change", function () {
          paint(select.value);
        });
      }

      var target = container.getAttribute("data-waiting-target");
      eventBus.on("element.click", function (event) {
        var node = byId[event.element.id];
        if (!node || !node.waiting || typeof window.htmx === "undefined") {
          return;
        }
        var url = data.nodes_url.replace("__node__", encodeURIComponent(node.id));
        window.htmx.ajax("GET", url, { target: target, swap: "innerHTML" });
      });
      container.classList.add("is-drawn");
    }).catch(function (error) {
      container.classList.add("is-broken");
      if (window.console) {
        window.console.error(error);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-heatmap]"), draw);
  });
})();
