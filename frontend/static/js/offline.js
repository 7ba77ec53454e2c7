// The page's scripts (joined by the server into one js/page.js in the order of server/web/scripts.py FEATURES):
// progressive enhancement only; every page works without them. Each is one feature, an IIFE; what the features share
// is on window.Gridcare (here), the names of caches and storage on window.GridcareNames (names.js).
(function () {
  "use strict";
  var G = window.Gridcare = {};
  // Without the outbox (no IndexedDB) the page is left as the server drew it: only this file's banner runs.
  G.works = Boolean(window.GridcareOutbox && window.indexedDB);
  G.RETRY_MS = 30000;

  // The offline banner: shown whenever the browser says the network is gone.
  function updateBanner() {
    var banner = document.getElementById("offline-banner");
    if (banner && !document.querySelector("[data-testid='offline-page']")) banner.hidden = navigator.onLine;
    document.documentElement.classList.toggle("offline", !navigator.onLine);  // the sync state's word (app.css)
  }
  window.addEventListener("online", updateBanner);
  window.addEventListener("offline", updateBanner);
  document.addEventListener("DOMContentLoaded", updateBanner);

  // Register the service worker that keeps the app shell (and the pages for offline work) on the phone.
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (error) {
        console.warn("service worker not registered", error);
      });
    });
  }
})();
