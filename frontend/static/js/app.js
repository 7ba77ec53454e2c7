// Gridcare's page script: progressive enhancement only; every page works without it.
(function () {
  "use strict";

  // The offline banner: shown whenever the browser says the network is gone.
  function updateBanner() {
    var banner = document.getElementById("offline-banner");
    if (banner && !document.querySelector("[data-testid='offline-page']")) banner.hidden = navigator.onLine;
  }
  window.addEventListener("online", updateBanner);
  window.addEventListener("offline", updateBanner);
  document.addEventListener("DOMContentLoaded", updateBanner);

  // Register the service worker that keeps the app shell for offline use.
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (error) {
        console.warn("service worker not registered", error);
      });
    });
  }
})();
