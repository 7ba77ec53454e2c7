// The outbox bar and the sync state: how many writes wait on the phone, how many the server refused, when it last
// took them; signed out meanwhile.
(function () {
  "use strict";
  var G = window.Gridcare;
  if (!G.works) return;
  var Outbox = window.GridcareOutbox;
  var NAMES = window.GridcareNames;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (error) {
      return "";
    }
  }

  // Signed out while this page was open (or it came from the phone's copy): the server answered 401. What waits
  // is not accepted, and stays on the phone; the banner says so and gives the way back in (base.html).
  var signedOut = false;
  function showSignedOut() {
    signedOut = true;
    var banner = document.getElementById("signed-out");
    if (banner) banner.hidden = false;
  }
  function heldWhileSignedOut(write) {
    return signedOut && write.status === "queued" ? Object.assign({}, write, { status: "rejected", reason: "signed_out" })
      : write;
  }

  // A guest back in a sweep after being signed out of it (join_controllers.py sets the cookie once): what the
  // server refused as "signed_out" meanwhile goes back in the queue and is sent now.
  function requeueAfterJoining(user) {
    var found = document.cookie.match(/(?:^|; )gc_joined=([0-9a-f-]+)/);
    if (!user || !found) return Promise.resolve();
    document.cookie = "gc_joined=; Max-Age=0; Path=/; SameSite=Lax";
    return Outbox.requeue(user, "signed_out", { sweep_id: found[1] }).catch(function () {});
  }

  // The outbox bar: how many writes wait to be sent, and how many the server refused. Always visible when >0.
  // `redraw`: puts fresh rows from the server in the page just before the writes are laid over them, in the same
  // turn, so that a write still waiting never shows as undone in between (freshRound).
  function showStatus(redraw) {
    return Promise.all([Outbox.all(), Outbox.photos(), Outbox.sent()]).then(function (found) {
      if (redraw) redraw();
      var writes = found[0];
      var user = document.body.dataset.userId;
      var photos = found[1].filter(function (p) { return p.user_id === user; }).map(heldWhileSignedOut);
      var mine = writes.filter(function (w) { return w.user_id === user; }).map(heldWhileSignedOut);
      var queued = mine.filter(function (w) { return w.status === "queued"; })
        .concat(photos.filter(function (p) { return p.status === "queued"; }));
      var rejected = mine.filter(function (w) { return w.status === "rejected"; })
        .concat(photos.filter(function (p) { return p.status === "rejected"; }));
      G.showPhotos(photos);
      var left = document.getElementById("outbox-left");  // only on pages for someone not logged in
      if (left) {
        var held = writes.concat(found[1]).filter(function (w) {
          return w.status === "queued" || w.reason === "signed_out";
        }).length;
        document.getElementById("outbox-left-count").textContent = held;
        left.hidden = held === 0;
      }
      var bar = document.getElementById("outbox-status");
      if (!bar) return writes;
      document.getElementById("outbox-count").textContent = queued.length;
      document.getElementById("outbox-rejected-count").textContent = rejected.length;
      document.getElementById("outbox-rejected").hidden = rejected.length === 0;
      document.getElementById("outbox-waiting").hidden = queued.length === 0 && rejected.length > 0;  // not "待同步: 0"
      bar.hidden = queued.length === 0 && rejected.length === 0;
      showSyncState(!bar.hidden);
      G.markPage(mine, found[2].filter(function (w) { return w.user_id === user; }));
      return writes;
    });
  }

  // The sync state: on the pages that work offline, and on any page while something waits.
  function showSyncState(pending) {
    document.getElementById("sync-state").hidden = !pending &&
      !document.querySelector("[data-outbox-kind],[data-photo-form],[data-precache],#kept-pages");
    document.getElementById("sync-done").hidden = pending;
    G.showSending();
    Outbox.lastSync().then(function (last) {
      var mine = last && last.user === document.body.dataset.userId;
      document.getElementById("sync-last").hidden = !mine;
      if (mine) document.getElementById("sync-time").textContent = clock(new Date(last.at));
    }).catch(function () {});
  }
  function clock(at) {  // 10:42, or 11-24 10:42 before today, as the server writes times
    var pad = function (n) { return String(n).padStart(2, "0"); };
    return (at.toDateString() === new Date().toDateString() ? "" : pad(at.getMonth() + 1) + "-" + pad(at.getDate()) +
      " ") + pad(at.getHours()) + ":" + pad(at.getMinutes());
  }

  G.showStatus = showStatus;
  G.showSignedOut = showSignedOut;
  G.requeueAfterJoining = requeueAfterJoining;
  G.csrfToken = csrfToken;
  G.clock = clock;
})();
