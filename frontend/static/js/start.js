// Last of the page's scripts: once every feature is in place, the page shows what waits and sends it.
(function () {
  "use strict";
  var G = window.Gridcare;
  if (!G.works) return;
  var Outbox = window.GridcareOutbox;
  var NAMES = window.GridcareNames;

  // Signal again: a request still on its way went out on the network that was lost, and may never be answered.
  window.addEventListener("online", G.sendAgain);
  // A part of the page swapped in by htmx shows the server's state: lay the writes still waiting over it again.
  document.addEventListener("htmx:afterSwap", function () { G.showStatus(); });
  document.addEventListener("DOMContentLoaded", function () {
    // The offline page stands in for a page of whoever uses the phone (the service worker shows it wherever the
    // network fails): their session stays as it was, and it counts their writes waiting.
    var standIn = document.getElementById("kept-pages");
    if (standIn) {
      try { document.body.dataset.userId = localStorage.getItem(NAMES.OWNER_KEY) || ""; } catch (error) {}
      var left = document.getElementById("outbox-left");  // "log in to send them": not said to someone logged in
      if (left) left.remove();
    }
    var user = document.body.dataset.userId || null;
    // What waits is shown at once: a sync may wait behind one the network never answers (Web Locks).
    (standIn ? Promise.resolve() : Outbox.setSession(user, G.csrfToken()).then(function () {
      return G.requeueAfterJoining(user);
    })).then(function () { G.keepPickedBefore(); G.showStatus(); G.sync(); });
    if (window.caches) G.keepPagesFor(user).then(function () {
      G.precache();
      G.keepRoundPhones();
      if (standIn) G.listKeptPages();
    });
    // Ask the browser not to evict the outbox when the phone runs short of space.
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
  });
})();
