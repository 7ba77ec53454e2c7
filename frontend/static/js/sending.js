// Sending what waits, and what the sync strip says of it (立即同步).
(function () {
  "use strict";
  var G = window.Gridcare;
  if (!G.works) return;
  var Outbox = window.GridcareOutbox;
  var NAMES = window.GridcareNames;

  // Send what waits; if something is left (no network, the server asked to wait), try again in a while.
  // One sync of this page at a time: asked for while one runs (a tap on a door meanwhile), one more follows it, so
  // that every write saved meanwhile goes too, and calls do not pile up behind a hung request (Web Locks).
  var retryTimer = null;
  var running = null;  // the sync under way, a promise
  var again = false;
  function sync() {
    if (!navigator.onLine) return G.showStatus();
    if (running) { again = true; return running; }
    var user = document.body.dataset.userId;
    var before = 0;
    var waiting = [];
    var why = null;
    running = Promise.all([Outbox.all(), Outbox.photos()])
      .then(function (found) {
        waiting = found[0].filter(function (w) { return w.user_id === user && w.status === "queued"; });
        before = found[0].concat(found[1])
          .filter(function (w) { return w.user_id === user && w.status === "queued"; }).length;
        return Outbox.sync(photoMoved);
      })
      .then(function (left) {
        if (left > 0) why = "server";  // it answered, and asked to wait
        return left;
      }, function (error) {
        if (error && error.signedOut) G.showSignedOut();
        // Given up (timed out, aborted) or no route to the server: the network's; any other answer: the server's.
        why = error && error.signedOut ? "signed_out"
          : !error || /^(AbortError|TimeoutError|TypeError)$/.test(error.name) ? "network" : "server";
        return 1;  /* kept for the next try */
      })
      .then(function (left) {
        clearTimeout(retryTimer);
        if (left > 0) retryTimer = setTimeout(sync, G.RETRY_MS);
        running = null;
        var more = again;
        again = false;
        sendingEnded(left, why, more);
        return (more ? sync() : Promise.resolve()).then(function () { return G.showStatus(); });  // not as its redraw
      })
      .then(function (writes) {
        // Something went out: parts of the page that show the server's state (hx-trigger) fetch it again.
        if (before > 0) document.body.dispatchEvent(new CustomEvent(NAMES.SYNCED_EVENT));
        if (window.caches) G.refreshCopies(waiting, writes);
        return writes;
      });
    sendingStarted();
    return running;
  }

  // What the sync strip says of sending (issue 16: a hung request left "待同步: 1 立即同步" on screen, unchanged, and a
  // tap on 立即同步 waited silently behind it). While a sync runs, its button is busy (正在发送…); a sync unanswered
  // for STALLED_AFTER_MS says the network is not answering and that the writes are safe, and the button sends again:
  // a tap then gives the hung request up, wherever on the phone it was made, and sends at once (decision 0027).
  // A send that failed says when, and when the phone tries again; a tap's outcome is said in place.
  var STALLED_AFTER_MS = 10000;  // a 100-write batch on 2G (2 s a round trip, 50 kbit/s) is answered in ~6 s
  var stalled = false;
  var stallTimer = null;
  var tapped = false;  // 立即同步 asked for the sync under way: its outcome is said where the button is
  var failure = null;  // the last sync that left writes: {at, next, why}
  var outcome = null;  // the last tapped sync's: {left, why}
  // A photo on its way: how far it got, {loaded, total}. A photo on a slow signal takes minutes, and its bytes
  // moving say it is slow, not hung: the strip says how far it got, and only bytes stopped for STALLED_AFTER_MS
  // make it stalled (then a tap gives it up and sends it again, as a hung batch: outbox.js).
  var photo = null;
  function photoMoved(progress) {
    if (progress.sent) {
      // One photo landed and others follow (picked while it was sending): the card shows it from the server now,
      // and the strip counts what is left, rather than both once the last has gone.
      photo = null;
      G.showStatus();
      document.body.dispatchEvent(new CustomEvent(NAMES.SYNCED_EVENT));
      return;
    }
    photo = progress;
    if (running) watchForStall();
  }
  function sendingStarted() {
    outcome = null;
    photo = null;
    watchForStall();
  }
  function watchForStall() {
    stalled = false;
    clearTimeout(stallTimer);
    stallTimer = setTimeout(function () { stalled = true; showSending(); }, STALLED_AFTER_MS);
    showSending();
  }
  function sendingEnded(left, why, more) {
    clearTimeout(stallTimer);
    stalled = false;
    photo = null;
    var at = Date.now();
    failure = left > 0 && why !== "signed_out" ? { at: at, next: at + G.RETRY_MS, why: why } : null;
    if (more) return;  // the sync that follows says the outcome
    if (tapped) outcome = { left: left, why: why };
    tapped = false;
  }
  // Send again now: a request on its way anywhere on the phone is given up (its writes stay queued), and a new sync
  // follows (the page's own, if it waited behind that request, sends at once).
  function sendAgain() {
    Outbox.abort();
    if (!running) return sync();
    again = true;
    watchForStall();
    return running;
  }
  function syncNow() {
    if (running && !stalled) return running;  // busy: the button is disabled meanwhile
    tapped = true;
    outcome = null;
    return running ? sendAgain() : sync();
  }
  function showSending() {
    var button = document.getElementById("sync-now");
    var note = document.getElementById("sync-note");
    if (!button || !note) return;
    var busy = Boolean(running) && !stalled;
    button.disabled = busy;
    button.setAttribute("aria-busy", String(busy));
    button.textContent = button.dataset[busy ? "busy" : stalled ? "again" : "idle"];
    var count = document.getElementById("outbox-count").textContent;
    var left = function (why) {
      return note.dataset[why === "server" ? "leftServer" : "left"].replace("{count}", count);
    };
    var text = "";
    var sent = false;
    var moving = false;
    if (running) {
      if (stalled) text = tapped ? left("network") : note.dataset.stalled;
      else if (photo) {
        moving = true;
        text = note.dataset.photo.replace("{percent}", Math.floor(100 * photo.loaded / Math.max(1, photo.total)) + "%");
      }
    } else if (outcome && outcome.why !== "signed_out") {
      sent = outcome.left === 0;
      text = sent ? "✓ " + note.dataset.sent : left(outcome.why);
      // ✓ 已全部发送 beside 未被接受: 1 read as a contradiction (issue 16): sent, and some not accepted, said so.
      var refusedCount = Number(document.getElementById("outbox-rejected-count").textContent);
      if (sent && refusedCount > 0) {
        sent = false;
        text = note.dataset.sentRefused.replace("{count}", refusedCount);
      }
    } else if (failure) {
      text = note.dataset[failure.why === "server" ? "server" : "failed"]
        .replace("{time}", G.clock(new Date(failure.at)))
        // Rounded up to its minute: "18:58 没发出去 … 18:58 自动再发" read as a contradiction; it comes a little early.
        .replace("{next}", G.clock(new Date(Math.ceil(failure.next / 60000) * 60000)));
    }
    note.textContent = text;
    note.hidden = !text;
    document.getElementById("sync-state").classList.toggle("stuck", Boolean(text) && !sent && !moving);
    document.getElementById("sync-done").classList.toggle("said", sent);  // ✓ 已全部同步 would say it twice
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest("#sync-now")) syncNow();
  });


  G.sync = sync;
  G.sendAgain = sendAgain;
  G.showSending = showSending;
})();
