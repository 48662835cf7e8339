/* 叫号屏: highlight and announce each new call of the board that htmx refreshes.
 * Every call and recall has its own data-announce-key; a key not seen before is new.
 * Speech (Web Speech API) is used only where the browser has it and after someone
 * in the hall turned it on (browsers refuse to speak before a user gesture). */
(function () {
  "use strict";

  var HIGHLIGHT_MS = 12000;
  var seen = null; // announce keys already on the screen
  var firstSeen = {}; // key -> time it appeared, to keep the highlight across refreshes
  var voiceOn = false;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#board [data-announce-key]"));
  }

  function speak(row) {
    if (!voiceOn || !("speechSynthesis" in window) || typeof SpeechSynthesisUtterance === "undefined") {
      return;
    }
    try {
      var zh = new SpeechSynthesisUtterance(row.getAttribute("data-say-zh"));
      zh.lang = "zh-CN";
      var en = new SpeechSynthesisUtterance(row.getAttribute("data-say-en"));
      en.lang = "en-US";
      window.speechSynthesis.speak(zh);
      window.speechSynthesis.speak(en);
    } catch (error) {
      // No voice installed: the highlight alone must do.
    }
  }

  function refresh() {
    var now = Date.now();
    var current = rows();
    if (seen === null) {
      // The calls on screen when it opens were announced already.
      seen = {};
      current.forEach(function (row) { seen[row.getAttribute("data-announce-key")] = true; });
      return;
    }
    var fresh = current.filter(function (row) { return !seen[row.getAttribute("data-announce-key")]; });
    // Oldest first, so the hall hears the calls in the order they were made.
    fresh.reverse().forEach(function (row) {
      var key = row.getAttribute("data-announce-key");
      seen[key] = true;
      firstSeen[key] = now;
      speak(row);
    });
    current.forEach(function (row) {
      var since = firstSeen[row.getAttribute("data-announce-key")];
      row.classList.toggle("is-new", since !== undefined && now - since < HIGHLIGHT_MS);
    });
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "board") {
      refresh();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    refresh();
    var toggle = document.querySelector("[data-voice-toggle]");
    if (!toggle) {
      return;
    }
    if (!("speechSynthesis" in window)) {
      toggle.hidden = true;
      return;
    }
    toggle.addEventListener("click", function () {
      voiceOn = !voiceOn;
      toggle.setAttribute("aria-pressed", voiceOn ? "true" : "false");
    });
  });
})();
