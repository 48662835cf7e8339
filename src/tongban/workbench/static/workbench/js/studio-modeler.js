/* 流程工作室: edit the version in force in the bpmn-js modeler and save it as a new version.
 * The XML is posted as JSON with the CSRF token; the server validates and dry-runs it and
 * answers with the new version's page, or with the problems found (each naming its element).
 * Configured by data-* attributes on #modeler (no inline script: strict CSP). */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function showError(box, title, errors) {
    box.textContent = "";
    var heading = document.createElement("p");
    heading.className = "alert-title";
    heading.textContent = title;
    box.appendChild(heading);
    if (errors && errors.length) {
      var list = document.createElement("ul");
      list.className = "studio-errors";
      errors.forEach(function (error) {
        var item = document.createElement("li");
        var code = document.createElement("code");
        code.textContent = error.field || "";
        item.appendChild(code);
        item.appendChild(document.createTextNode(" " + (error.message || "")));
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  }

  function start(container) {
    var form = document.getElementById("modeler-form");
    var note = document.getElementById("modeler-note");
    var status = document.getElementById("modeler-status");
    var box = document.getElementById("modeler-error");
    var modeler = new window.BpmnJS({ container: container });

    fetch(container.dataset.sourceUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (xml) {
        return modeler.importXML(xml);
      })
      .then(function () {
        modeler.get("canvas").zoom("fit-viewport");
        container.dataset.ready = "true";
      })
      .catch(function () {
        showError(box, container.dataset.loadError || "", []);
      });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      box.hidden = true;
      status.textContent = container.dataset.saving || "";
      modeler
        .saveXML({ format: true })
        .then(function (result) {
          return fetch(container.dataset.saveUrl, {
            method: "POST",
            credentials: "same-origin",
            headers: {
              "Content-Type": "application/json",
              "X-CSRFToken": csrfToken(form),
              Accept: "application/json",
            },
            body: JSON.stringify({ xml: result.xml, note: note.value }),
          });
        })
        .then(function (response) {
          return response.json().then(function (body) {
            return { ok: response.ok, body: body };
          });
        })
        .then(function (answer) {
          status.textContent = "";
          if (answer.ok && answer.body.url) {
            window.location.assign(answer.body.url);
            return;
          }
          showError(box, answer.body.detail || container.dataset.saveError, answer.body.errors);
        })
        .catch(function () {
          status.textContent = "";
          showError(box, container.dataset.saveError || "", []);
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("modeler");
    if (container && window.BpmnJS) {
      start(container);
    }
  });
})();
