// The guide reader: one step per screen, read aloud, bigger text, kept on the phone for offline reading.
// Progressive enhancement only: without it, every button is a link to ?step=n and the server shows that step.
(function () {
  "use strict";
  var GUIDES_CACHE = window.GridcareNames.GUIDES_CACHE; // the service worker reads it too (sw.js)
  // The text size: text-size.js, sent before this file (server/web/scripts.py READER).

  function speech() {
    return "speechSynthesis" in window && "SpeechSynthesisUtterance" in window ? window.speechSynthesis : null;
  }

  function stopReading() {
    var synth = speech();
    if (synth) synth.cancel();
    document.querySelectorAll(".btn-say[aria-pressed='true']").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
  }

  function readAloud(button) {
    var synth = speech();
    if (!synth) return;
    var wasReading = button.getAttribute("aria-pressed") === "true";
    stopReading();
    if (wasReading) return; // a second tap stops it
    var utterance = new SpeechSynthesisUtterance(button.dataset.say);
    utterance.lang = document.documentElement.lang === "en" ? "en-US" : "zh-CN";
    utterance.rate = 0.85; // a little slower than usual: easier to follow
    utterance.onend = function () { button.setAttribute("aria-pressed", "false"); };
    button.setAttribute("aria-pressed", "true");
    synth.speak(utterance);
  }

  function show(n) {
    var target = document.getElementById("step-" + n);
    if (!target) return false;
    stopReading();
    document.querySelectorAll("section.step").forEach(function (s) { s.hidden = s !== target; });
    history.replaceState(null, "", "?step=" + n);
    window.scrollTo(0, 0);
    var heading = target.querySelector("[tabindex='-1']");
    if (heading) heading.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener("click", function (event) {
    var go = event.target.closest("[data-go]");
    if (go && show(go.dataset.go)) { event.preventDefault(); return; }
    var say = event.target.closest("[data-say]");
    if (say) { readAloud(say); return; }
    if (event.target.closest("[data-print]")) window.print();
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (speech()) document.querySelectorAll("[data-say]").forEach(function (b) { b.hidden = false; });
    document.querySelectorAll("[data-size-control], [data-print]").forEach(function (el) { el.hidden = false; });

    // Keep this guide on the phone: the page, its font and its pictures, so that it opens with no network.
    var keep = document.body.dataset.keep;
    if (keep && "caches" in window) {
      caches.open(GUIDES_CACHE)
        .then(function (cache) { return cache.addAll(JSON.parse(keep)); })
        .then(function () { document.body.dataset.kept = "true"; })
        .catch(function (error) { console.warn("guide not kept for offline reading", error); });
    }
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (error) {
        console.warn("service worker not registered", error);
      });
    }
  });
})();
