// Gridcare's page script: progressive enhancement only; every page works without it.
(function () {
  "use strict";
  var Outbox = window.GridcareOutbox;
  var RETRY_MS = 30000;

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

  if (!Outbox || !window.indexedDB) return;

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
      showPhotos(photos);
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
      markPage(mine, found[2].filter(function (w) { return w.user_id === user; }));
      return writes;
    });
  }

  // Show each write where it was made while it waits, also after a reload offline (the page itself may be the
  // server's last copy, from the service worker's cache); and say so where the server refused one.
  // Writes the server has taken are shown too where the page is older than them (a page fetched before they were
  // sent, or the phone's copy of it): a part marked data-outbox-seq says the last seq it shows (decision 0014).
  // A whole floor's nobody-home is shown only at a door with no answer of its own (the server's rule, 0020).
  function markPage(writes, sent) {
    var latest = {};
    var own = {};  // target -> the phone's last answer there, not the whole floor's: waiting, refused or sent
    var floor = {};  // target -> the phone's last whole-floor nobody-home there
    var known = {};  // target -> the phone has an answer there that the page does not show: waiting or sent
    var later = function (map, write) {
      var key = write.ui.target;
      if (!map[key] || map[key].queued_at < write.queued_at) map[key] = write;
    };
    writes.forEach(function (w) {
      if (!w.ui) return;
      latest[w.ui.target] = w;  // oldest first: the last one wins
      later(w.payload && w.payload.bulk ? floor : own, w);
      if (w.status === "queued") known[w.ui.target] = true;
    });
    (sent || []).forEach(function (w) {
      var target = w.ui && document.getElementById(w.ui.target.slice(1));
      var holder = target && target.closest("[data-outbox-seq]");
      if (!holder || !(w.seq > Number(holder.getAttribute("data-outbox-seq")))) return;  // the page shows it
      // A round's row shows the call made last (0034): one made before it, sent late, stays under it.
      if (holder.hasAttribute("data-made-at") && Date.parse(w.device_time) < Number(holder.getAttribute("data-made-at"))) {
        return;
      }
      later(w.payload && w.payload.bulk ? floor : own, w);
      known[w.ui.target] = true;
    });
    var shownOnRound = [];  // the write each row of the round shows: its outcome counts in the heading
    document.querySelectorAll("[data-outbox-target]").forEach(function (target) {
      var key = "#" + target.id;
      var write = latest[key];
      if (target.closest("[data-outbox-seq]")) {
        write = own[key] || (target.hasAttribute("data-answered") ? null : floor[key]) || null;
      }
      if (write && target.hasAttribute("data-round-row")) shownOnRound.push(write);
      var state = target.querySelector("[data-outbox-state]");
      target.classList.toggle("queued", Boolean(write && write.status === "queued"));
      if (!state) return;
      var pending = state.querySelector("[data-outbox-pending]");
      var refused = state.querySelector("[data-outbox-refused]");
      var label = state.querySelector("[data-outbox-label]");
      if (write) {
        state.hidden = false;
        label.textContent = write.ui.label || answerWord(target, write);
      } else if (target.hasAttribute("data-round-row")) {
        // A tap once laid over this row, now sent and made before the call the row shows (0034): the server's word
        // again, not the tap's until the next refresh redraws the row.
        label.textContent = label.dataset.server || "";  // as the server drew it (_round_row.html)
        target.setAttribute("data-outcome", target.getAttribute("data-server-outcome") || "");
      }
      pending.hidden = !(write && write.status === "queued");
      refused.hidden = !(write && write.status === "rejected");
      // Say why the server refused it, where the page knows the words for its reasons ("already taken"), on the
      // element or once for a whole list (the door screen).
      var holder = refused.closest("[data-reasons]");
      var reasons = holder && holder.getAttribute("data-reasons");
      if (!refused.dataset.plain) refused.dataset.plain = refused.textContent;
      refused.textContent = (write && write.reason && reasons && JSON.parse(reasons)[write.reason])
        ? "· " + JSON.parse(reasons)[write.reason] : refused.dataset.plain;
    });
    showNextSteps(latest);
    markFloor(writes, known);
    countRound(shownOnRound);
  }

  // The word of a write kept without one: a door's plain form sent before this script ran, kept by the service
  // worker (sw.js), which has no words: the page's button for that answer says it (its form's label first).
  function answerWord(target, write) {
    var outcome = write.payload && write.payload.outcome;
    var button = outcome && target.querySelector("button[name=outcome][value=\"" + CSS.escape(outcome) + "\"]");
    if (!button) return "";
    return (button.form && button.form.getAttribute("data-outbox-label")) || button.textContent.trim();
  }

  // An errand card's buttons follow its state; a move still queued offline counts as made, so that the next
  // step can be tapped in the stairwell too (the server checks each move again when it arrives).
  function showNextSteps(latest) {
    document.querySelectorAll("[data-card-state]").forEach(function (card) {
      var write = latest["#" + card.id];
      var state = write && write.status === "queued" && write.ui.state ? write.ui.state : card.dataset.cardState;
      card.querySelectorAll("[data-for-states]").forEach(function (element) {
        element.hidden = element.getAttribute("data-for-states").split(",").indexOf(state) < 0;
      });
      // The badge says the state the queued move puts the card in (it stayed 新 after 接单 without signal).
      var badge = card.querySelector("[data-testid=card-state]");
      var names = card.dataset.stateNames && JSON.parse(card.dataset.stateNames);
      if (badge && names && names[state]) {
        badge.textContent = names[state];
        badge.className = "state state-" + state;
      }
    });
  }

  // Photos still on the phone, under their card's photos: what was taken shows at once, also after a reload
  // without signal, marked 待同步 until it is sent (or with why the server refused it).
  var shownPhotos = {};
  function showPhotos(photos) {
    var kept = {};
    photos.forEach(function (photo) { kept[photo.id] = true; });
    Object.keys(shownPhotos).forEach(function (id) {  // sent: its copy in the page's memory goes too
      if (!kept[id]) { URL.revokeObjectURL(shownPhotos[id]); delete shownPhotos[id]; }
    });
    document.querySelectorAll("[data-queued-photos]").forEach(function (list) {
      var card = list.getAttribute("data-queued-photos");
      var here = photos.filter(function (p) { return p.card === card; });
      list.replaceChildren.apply(list, here.map(function (photo) {
        if (!shownPhotos[photo.id]) shownPhotos[photo.id] = URL.createObjectURL(photo.blob);
        var figure = document.createElement("figure");
        figure.className = "photo-queued";
        figure.setAttribute("data-testid", "queued-photo");
        var image = document.createElement("img");
        image.className = "photo-thumb";
        image.src = shownPhotos[photo.id];
        image.alt = list.dataset.alt;
        image.width = image.height = 96;
        var caption = document.createElement("figcaption");
        caption.textContent = photo.status === "rejected"
          ? (photo.message || list.dataset.refused) : list.dataset.waiting;
        if (photo.status === "rejected") caption.className = "error";
        figure.append(image, caption);
        return figure;
      }));
    });
  }

  // Send what waits; if something is left (no network, the server asked to wait), try again in a while.
  // One sync of this page at a time: asked for while one runs (a tap on a door meanwhile), one more follows it, so
  // that every write saved meanwhile goes too, and calls do not pile up behind a hung request (Web Locks).
  var retryTimer = null;
  var running = null;  // the sync under way, a promise
  var again = false;
  function sync() {
    if (!navigator.onLine) return showStatus();
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
        if (error && error.signedOut) showSignedOut();
        // Given up (timed out, aborted) or no route to the server: the network's; any other answer: the server's.
        why = error && error.signedOut ? "signed_out"
          : !error || /^(AbortError|TimeoutError|TypeError)$/.test(error.name) ? "network" : "server";
        return 1;  /* kept for the next try */
      })
      .then(function (left) {
        clearTimeout(retryTimer);
        if (left > 0) retryTimer = setTimeout(sync, RETRY_MS);
        running = null;
        var more = again;
        again = false;
        sendingEnded(left, why, more);
        return (more ? sync() : Promise.resolve()).then(function () { return showStatus(); });  // not as its redraw
      })
      .then(function (writes) {
        // Something went out: parts of the page that show the server's state (hx-trigger) fetch it again.
        if (before > 0) document.body.dispatchEvent(new CustomEvent("gridcare:synced"));
        if (window.caches) refreshCopies(waiting, writes);
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
      showStatus();
      document.body.dispatchEvent(new CustomEvent("gridcare:synced"));
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
    failure = left > 0 && why !== "signed_out" ? { at: at, next: at + RETRY_MS, why: why } : null;
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
        .replace("{time}", clock(new Date(failure.at)))
        // Rounded up to its minute: "18:58 没发出去 … 18:58 自动再发" read as a contradiction; it comes a little early.
        .replace("{next}", clock(new Date(Math.ceil(failure.next / 60000) * 60000)));
    }
    note.textContent = text;
    note.hidden = !text;
    document.getElementById("sync-state").classList.toggle("stuck", Boolean(text) && !sent && !moving);
    document.getElementById("sync-done").classList.toggle("said", sent);  // ✓ 已全部同步 would say it twice
  }

  // Forms marked data-outbox-kind go to the outbox instead of the network: a tap is saved on the phone at once,
  // in the order made; a tap while an earlier one is being saved waits its turn (issue 14: 5 of 102 fast taps were
  // dropped). Only the same answer tapped again on the same form within a second (a double tap) is merged.
  var DOUBLE_TAP_MS = 1000;
  var saving = Promise.resolve();
  var lastTaps = new WeakMap();
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var kind = form.getAttribute("data-outbox-kind");
    if (!kind) return;
    if (!form.checkValidity()) return;  // let the browser say what is missing
    event.preventDefault();
    var submitter = event.submitter;
    var writes = outboxWrites(form, submitter);  // read now: the form may change before its turn comes
    var key = JSON.stringify(writes.map(function (write) { return write[0]; }));
    var now = Date.now();
    var last = lastTaps.get(form);
    if (last && last.key === key && now - last.at < DOUBLE_TAP_MS) return;  // a double tap: stored once
    lastTaps.set(form, { key: key, at: now });
    unsaved += 1;
    saving = saving.then(function () { return saveWrites(form, kind, writes, submitter); })
      .then(function () { unsaved -= 1; }, function () { unsaved -= 1; });
  });

  // A link tapped while a tap is still being saved (the next floor right after the last door) waits for it: a page
  // left before its write is on the phone loses the write (issue 14: 2 of 6 such taps lost, and a change of
  // answer seen lost on the server). Saving takes milliseconds; the link then opens as usual.
  var unsaved = 0;
  document.addEventListener("click", function (event) {
    var link = !unsaved || event.defaultPrevented ? null : event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download") || event.button !== 0 || event.ctrlKey ||
        event.metaKey || event.shiftKey || event.altKey || link.origin !== location.origin) return;
    event.preventDefault();
    saving.then(function () { location.assign(link.href); });
  });

  // A tap's writes: [payload, where the page shows it]. data-outbox-each: one write per value of that field (each
  // door left on a floor); data-outbox-bulk marks them as the whole floor's answer.
  function outboxWrites(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.set(submitter.name, submitter.value);
    var payload = {};
    form.getAttribute("data-outbox-fields").split(",").forEach(function (name) {
      if (data.has(name)) payload[name] = data.get(name);
    });
    var label = form.getAttribute("data-outbox-label") || (submitter ? submitter.textContent.trim() : "");
    var each = form.getAttribute("data-outbox-each");
    if (!each) {
      return [[payload, {
        target: form.getAttribute("data-outbox-target"),
        label: label,
        state: form.getAttribute("data-outbox-ui-state") || null,
      }]];
    }
    return data.getAll(each).map(function (value) {
      var one = Object.assign({}, payload);
      one[each] = value;
      if (form.hasAttribute("data-outbox-bulk")) one.bulk = true;
      return [one, { target: form.getAttribute("data-outbox-target-prefix") + value, label: label }];
    });
  }

  function saveWrites(form, kind, writes, submitter) {
    var saved = [];
    return writes.reduce(function (chain, write) {
      return chain.then(function () {
        return Outbox.add(kind, write[0], write[1]).then(function (one) { saved.push(one); });
      });
    }, Promise.resolve()).then(function () {
      showSaved(saved);
      var details = (submitter && submitter.closest("details")) || form.closest("details");
      if (details) details.open = false;
      // A note goes with the answer it was written for, not with every later one.
      Array.prototype.forEach.call(form.elements, function (field) { if (field.name === "note") field.value = ""; });
      return showStatus();
    }).then(function () {
      // Background Sync sends the outbox even if the page is closed, where the browser has it.
      if ("serviceWorker" in navigator) {
        navigator.serviceWorker.ready.then(function (registration) {
          if (registration.sync) return registration.sync.register("gridcare-outbox");
        }).catch(function () {});
      }
      sync();  // not awaited: the next tap is saved while this one is on its way
    }).catch(function (error) {
      // The phone could not save it (storage full, private mode): send the form the plain way instead.
      console.warn("outbox unavailable", error);
      form.removeAttribute("data-outbox-kind");
      if (submitter) form.requestSubmit(submitter); else form.requestSubmit();
    });
  }

  // "Nobody home on the whole floor" counts and sends only doors with no answer: none drawn by the server, none
  // waiting on the phone, none sent from this page since (issue 14: it counted ticked doors and overwrote them).
  var seen = {};  // id of a write seen waiting -> its door; once it has left the outbox, the server has it
  var sent = {};  // doors whose write was sent from this page (a refused write stays in the outbox)
  // Said at once where a tap was made: a sync already under way may send it before the outbox is read again.
  function showSaved(writes) {
    writes.forEach(function (write) {
      var target = write.ui && write.ui.target && document.querySelector(write.ui.target);
      var state = target && target.querySelector("[data-outbox-state]");
      if (state) {
        state.hidden = false;
        state.querySelector("[data-outbox-label]").textContent = write.ui.label;
      }
      var door = target && target.closest(".door-row");
      if (door) seen[write.id] = door.id;  // sent by then, the door still counts as answered
    });
    countRound(writes);
  }

  // Today's round: the heading's count of people still to reach follows each outcome tapped here, waiting on the
  // phone or sent (issue 16: it changed only on a reload), and each row others changed (freshRound). A row keeps the
  // outcome last tapped on it, or sent after the page was drawn and made after the call it shows (data-outbox-seq,
  // data-made-at: decision 0034); a refused one goes back
  // to what the server drew. Someone answered (平安, 需要帮忙, 身体不适) is reached; 未接 is not.
  var REACHED = ["ok", "needs", "unwell"];
  function countRound(writes) {
    var count = document.querySelector("[data-round-left]");
    if (!count) return;
    writes.forEach(function (write) {
      var row = write.ui && write.ui.target && document.querySelector(write.ui.target);
      if (!row || !row.hasAttribute("data-round-row") || !write.payload) return;
      row.setAttribute("data-outcome", write.status === "rejected" ? row.getAttribute("data-server-outcome")
        : write.payload.outcome);
    });
    var left = 0;
    document.querySelectorAll("[data-round-row]").forEach(function (row) {
      if (REACHED.indexOf(row.getAttribute("data-outcome")) < 0) left += 1;
    });
    count.textContent = String(left);
  }

  // `known`: targets where the phone has an answer the page does not show (waiting, or sent since the page).
  function markFloor(writes, known) {
    var form = document.querySelector("form[data-bulk]");
    if (!form) return;
    var waiting = {};
    var present = {};
    Object.keys(known).forEach(function (key) {
      var target = document.getElementById(key.slice(1));
      var door = target && target.closest(".door-row");
      if (door) waiting[door.id] = door.id;
    });
    writes.forEach(function (write) {
      present[write.id] = true;
      var target = write.ui && write.ui.target && document.querySelector(write.ui.target);
      var door = target && target.closest(".door-row");
      if (door && write.status === "queued") waiting[door.id] = seen[write.id] = door.id;
    });
    Object.keys(seen).forEach(function (id) {
      if (!present[id]) { sent[seen[id]] = true; delete seen[id]; }
    });
    var left = 0;
    form.querySelectorAll("[data-bulk-door]").forEach(function (item) {
      var id = item.getAttribute("data-bulk-door");
      var door = document.getElementById(id);
      var answered = Boolean(door.hasAttribute("data-answered") || waiting[id] || sent[id]);
      item.hidden = item.querySelector("input").disabled = answered;
      if (!answered) left += 1;
    });
    form.querySelectorAll("[data-bulk-count]").forEach(function (count) { count.textContent = String(left); });
    form.hidden = left === 0;
  }

  // The door screen's copy on the phone (shown on a reload without signal) is fetched again once writes have gone
  // out: a door ticked and sent is no longer in the outbox, and the older copy would show it open.
  // The same fresh page redraws the doors on the screen: after "✓ 已全部同步" the rows say what the server holds now,
  // another volunteer's or the coordinator's answers given meanwhile included (a stranger's review: a page showed
  // this phone's overruled answers under ✓ until a reload).
  var copiesKept = 0;
  function keepFloorCopy() {
    if (!document.querySelector(".door-row") || !navigator.onLine || !("caches" in window)) return;
    var url = location.pathname;
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok || response.redirected) return;
      var fresh = response.clone();
      return caches.open("gridcare-pages").then(function (cache) {
        return cache.delete(url, { ignoreSearch: true }).then(function () { return cache.put(url, response); });
      }).then(function () {
        document.documentElement.dataset.floorCopies = String(++copiesKept);  // tests wait for this
        return fresh.text();
      }).then(function (html) {
        if (location.pathname === url) redrawDoors(new DOMParser().parseFromString(html, "text/html"));
      });
    }).catch(function () { /* a weak signal: the copy made when the page was opened stays */ });
  }
  function redrawDoors(page) {
    var busy = function (element) {  // a sheet open, a note being typed: that part waits for the next sync
      return element.closest("details[open]") || element.querySelector("details[open]") ||
        element.contains(document.activeElement);
    };
    page.querySelectorAll(".door-row[id]").forEach(function (row) {
      var shown = document.getElementById(row.id);
      if (shown && !busy(shown)) shown.replaceWith(document.importNode(row, true));
    });
    var picker = page.querySelector("[data-testid='floor-picker-sheet']");
    var shownPicker = document.querySelector("[data-testid='floor-picker-sheet']");
    if (picker && shownPicker && !busy(shownPicker)) {
      shownPicker.replaceWith(document.importNode(picker, true));
    }
    showStatus();  // what still waits on the phone, and what it sent, laid over the fresh rows
  }
  var copyTimer = null;
  document.body.addEventListener("gridcare:synced", function () {
    clearTimeout(copyTimer);  // a run of taps: one fetch once they are all out
    copyTimer = setTimeout(keepFloorCopy, 500);
  });

  // Today's round shows what others record on it without a reload (issue 16: a worker and the one covering her grid
  // could call the same elder twice). The page asks (htmx, data-round-fresh) for the rows whose calls arrived since it
  // last asked; each is redrawn unless the person is busy with it (its sheet open, a field of it with the focus), and
  // this phone's writes are laid over the fresh rows in the same turn. A row held back, or an answer that came while
  // a tap was being saved to the outbox, is asked for again next time: the cursor moves only once all are in.
  function hasAttr(element, name) {
    return Boolean(element && element.hasAttribute && element.hasAttribute(name));
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var part = event.detail.elt;
    if (hasAttr(part, "data-round-fresh")) {
      event.detail.parameters.since = part.getAttribute("data-round-since");
      event.detail.parameters.members = part.getAttribute("data-round-members");
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    // Parts marked data-in-sight (the round's rows, the home page's counts) ask nothing out of sight or without
    // signal; coming back into sight or online, they ask at once.
    if (hasAttr(event.detail.elt, "data-in-sight") && (document.hidden || !navigator.onLine)) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var part = event.detail.elt;
    if (hasAttr(part, "data-round-fresh") && event.detail.successful) freshRound(part, event.detail.xhr.responseText);
  });
  function busyWith(element) {
    var active = document.activeElement;
    return Boolean(element.querySelector("details[open]") ||
      (active && element.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)));
  }
  function typedIn(element) {  // a finding typed in a go-and-look card, its field left for a moment
    return Array.prototype.some.call(element.querySelectorAll("input[type=text], textarea"), function (field) {
      return field.value !== field.defaultValue;
    });
  }
  function freshRound(part, html) {
    var fresh = document.createElement("template");
    fresh.innerHTML = html;
    var since = fresh.content.querySelector("[data-round-since]");
    var answered = function () {  // tests wait for this
      document.documentElement.dataset.roundFresh = String(Number(document.documentElement.dataset.roundFresh || 0) + 1);
    };
    if (!since || unsaved) return answered();  // a tap on its way to the outbox: these rows come again next time
    showStatus(function () {
      answered();
      if (unsaved) return;
      var held = false;
      fresh.content.querySelectorAll("[data-round-row]").forEach(function (row) {
        var shown = document.getElementById(row.id);
        if (!shown || shown.getAttribute("data-outbox-seq") === row.getAttribute("data-outbox-seq")) return;
        if (busyWith(shown)) { held = true; return; }
        var copy = document.importNode(row, true);
        // A number shown whole on a tap (logged) stays shown: the person may be about to call it.
        var revealed = shown.querySelector(".round-call [data-testid=call-link]");
        if (revealed) copy.querySelector(".round-call").replaceWith(revealed.closest(".round-call"));
        shown.replaceWith(copy);
        if (window.htmx) window.htmx.process(copy);
      });
      var cards = fresh.content.querySelector("#follow-ups");
      var shownCards = document.getElementById("follow-ups");
      if (cards && shownCards) {
        if (busyWith(shownCards) || typedIn(shownCards)) held = true;
        else shownCards.replaceWith(document.importNode(cards, true));
      }
      var members = fresh.content.querySelector("[data-round-members]");
      if (members) roundMembers(part, members);
      if (!held) part.setAttribute("data-round-since", since.getAttribute("data-round-since"));
    });
  }
  // Who is on the round, when it changed (an import, a new profile, a building handed over): a row no longer on it
  // goes, unless it is in use or holds a tap waiting on the phone (it says so, and goes on a later refresh); the
  // rows of people added are asked for, and come in above those reached today. The page takes the new list as its
  // own only once every row is in and out: until then each refresh brings the list again.
  function roundMembers(part, members) {
    var list = document.querySelector("[data-testid=round]");
    if (!list) return;
    var wanted = {};
    var ids = members.getAttribute("data-round-ids").split(" ").filter(Boolean);
    ids.forEach(function (id) { wanted["c-" + id] = true; });
    var settled = true;
    list.querySelectorAll("[data-round-row]").forEach(function (row) {
      var gone = row.querySelector("[data-round-gone]");
      if (wanted[row.id]) { if (gone) gone.remove(); return; }
      if (busyWith(row) || row.querySelector("[data-outbox-pending]:not([hidden]), [data-outbox-refused]:not([hidden])")) {
        settled = false;
        if (!gone) {
          var note = document.createElement("span");
          note.className = "warn round-gone";
          note.setAttribute("data-round-gone", "");
          note.setAttribute("data-testid", "round-gone");
          note.textContent = list.getAttribute("data-gone-label");
          (row.querySelector(".round-line") || row).appendChild(note);
        }
        return;
      }
      row.remove();
    });
    var missing = ids.filter(function (id) { return !document.getElementById("c-" + id); }).slice(0, ROUND_ADDED);
    if (!missing.length) {
      // showStatus, which runs this, counts the rows left to reach next
      if (settled) part.setAttribute("data-round-members", members.getAttribute("data-round-members"));
      return;
    }
    var query = missing.map(function (id) { return "rows=" + encodeURIComponent(id); }).join("&");
    fetch("/round?" + query, { credentials: "same-origin", headers: { "HX-Request": "true" } }).then(function (answer) {
      if (!answer.ok) throw new Error("round rows answered " + answer.status);
      return answer.text();
    }).then(function (html) {
      var added = document.createElement("template");
      added.innerHTML = html;
      added.content.querySelectorAll("[data-round-row]").forEach(function (row) {
        if (document.getElementById(row.id)) return;
        var copy = document.importNode(row, true);
        var reached = list.querySelector("[data-round-row].door-done");
        list.insertBefore(copy, copy.classList.contains("door-done") || !reached ? null : reached);
        if (window.htmx) window.htmx.process(copy);
      });
      var empty = list.querySelector("li.empty");
      if (empty && list.querySelector("[data-round-row]")) empty.remove();
      return showStatus();
    }).catch(function (error) {
      console.warn("the round's new rows did not come; asked again next time", error);
    });
  }
  var ROUND_ADDED = 50;  // rows asked for at once (the server's round.MAX_ADDED)

  // A refused write said to be dealt with (/refused) leaves this phone's outbox, where it was counted as 未被接受;
  // the server keeps it for the others who see it (decision 0034).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var write = form.getAttribute && form.getAttribute("data-forget-write");
    if (!write) return;
    event.preventDefault();
    Outbox.forget(write).catch(function () {}).then(function () { form.submit(); });
  });

  // A sheet opened low on the screen (a door's 更多, the floor's confirm step) comes into view, not below the fold.
  // (toggle does not bubble: listened for while capturing.)
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.open || !details.hasAttribute || !details.hasAttribute("data-reveal")) return;
    var sheet = details.lastElementChild;
    if (sheet && sheet.scrollIntoView) sheet.scrollIntoView({ block: "nearest" });
  }, true);

  // A photo for an errand card goes to the phone first, like every write: taken at a door without signal, it is
  // kept and sent when the network is back. Without JavaScript the form sends it the plain way (needs signal).
  // With it, 添加照片 opens the camera (or the gallery) and each photo picked is kept on the phone at once, whatever
  // is on its way: on main the form was busy until the whole sync ended, and a photo picked while another was
  // sending did nothing, without a word (issue 16, Slow 3G). Picks are kept in the order made; the same picture
  // picked again is one photo (its id is made from it: outbox.js), and the form says so.
  document.documentElement.classList.add("photo-picker");  // app.css hides the bare file field: the button picks
  var keepingPhotos = Promise.resolve();
  function photoForm(card) {  // the card's form now: a refresh of the card (htmx) may have drawn it again meanwhile
    return document.querySelector("[data-photo-form][data-card='" + card + "']");
  }
  function keepPhotos(form, input) {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return;
    var card = form.dataset.card;
    var limit = parseInt(form.dataset.photoMb, 10) * 1024 * 1024;
    var fitting = files.filter(function (file) { return file.size <= limit; });
    form.querySelector("[data-photo-too-large]").hidden = fitting.length === files.length;
    form.querySelector("[data-photo-again]").hidden = true;
    var role = (form.querySelector("input[name=role]:checked") || { value: "delivery" }).value;
    input.value = "";  // a next pick is a photo of its own, whatever becomes of this one meanwhile
    keepingPhotos = keepingPhotos.then(function () {
      return fitting.reduce(function (kept, file) {
        return kept.then(function (photos) {
          return Outbox.addPhoto(card, role, file).then(function (photo) { return photos.concat([photo]); });
        });
      }, Promise.resolve([]));
    }).then(function (photos) {
      var again = photoForm(card);
      if (again && photos.some(function (photo) { return photo.already; })) {
        again.querySelector("[data-photo-again]").hidden = false;
      }
      return showStatus().then(function () { sync(); });
    }, function (error) {
      // Storage full or blocked: the plain way instead, with the photos put back in the field (needs signal).
      console.warn("photo not kept on the phone", error);
      var plain = photoForm(card) || form;
      var field = plain.querySelector("input[type=file]");
      try {
        var back = new DataTransfer();
        fitting.forEach(function (file) { back.items.add(file); });
        field.files = back.files;
      } catch (failed) { /* an old browser: the person picks again, now in the plain form */ }
      plain.removeAttribute("data-photo-form");
      if (field.files && field.files.length) plain.requestSubmit();
    }).catch(function (error) {
      console.warn("photo kept; the page not updated", error);  // it is on the phone: the next look shows it
    });
  }
  function picked(event) {
    var input = event.target;
    var form = input.closest && input.closest("[data-photo-form]");
    if (form && input.type === "file") keepPhotos(form, input);  // the first to hear it empties the field
  }
  document.addEventListener("change", picked);
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-photo-form] button");
    if (!button) return;
    event.preventDefault();  // the photo is kept when picked: the button picks
    var input = button.form.querySelector("input[type=file]");
    // Heard on the field itself too: the card may be drawn again (its refresh, a photo landing) while the camera is
    // open, and a field no longer in the page tells the document nothing; its photo is kept all the same.
    if (!input.dataset.heard) input.addEventListener("change", picked);
    input.dataset.heard = "1";
    input.click();
  });
  // A submit all the same (the keyboard's Enter): its photo is kept as a pick.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-photo-form")) return;
    event.preventDefault();
    keepPhotos(form, form.querySelector("input[type=file]"));
  });
  function keepPickedBefore() {  // a photo picked before app.js ran (a slow phone) is kept as any pick
    document.querySelectorAll("[data-photo-form] input[type=file]").forEach(function (input) {
      keepPhotos(input.form, input);
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("#sync-now")) syncNow();
    // A resident's pages: the text size they chose, remembered with the guides' (the same key as guide.js).
    var resize = event.target.closest("[data-size-step]");
    if (resize) {
      var now = parseInt(document.documentElement.dataset.size || "2", 10);
      var next = Math.min(4, Math.max(1, now + parseInt(resize.dataset.sizeStep, 10)));
      document.documentElement.dataset.size = String(next);
      try { localStorage.setItem("gridcare-guide-size", String(next)); } catch (error) { /* storage blocked */ }
    }
  });
  try { document.documentElement.dataset.size = localStorage.getItem("gridcare-guide-size") || "2"; } catch (error) {}

  // The floors a volunteer claimed: keep a copy of each while there is signal, so that all of them open in the
  // stairwell without it (the service worker answers from this cache when offline).
  var PAGES = "gridcare-pages";
  function precache() {
    var holder = document.querySelector("[data-precache]");
    if (!holder || !navigator.onLine) return;
    var urls = JSON.parse(holder.getAttribute("data-precache"));
    keepCopies(urls).then(function () {
      document.documentElement.dataset.precached = String(urls.length);  // tests wait for this
    });
  }
  function keepCopies(urls) {
    return caches.open(PAGES).then(function (cache) {
      return Promise.all(urls.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) return cache.put(url, response);
        }).catch(function () { /* a weak signal: the floors already opened still work */ });
      }));
    }).catch(function () {});
  }
  // Sent writes leave the outbox: the copies of the pages they were made on (if kept) would show them undone.
  function refreshCopies(waiting, left) {
    var still = {}, sent = {};
    left.forEach(function (w) { still[w.id] = 1; });
    waiting.forEach(function (w) { if (!still[w.id] && w.page) sent[w.page] = 1; });
    Object.keys(sent).forEach(function (page) {
      caches.match(page, { cacheName: PAGES }).then(function (kept) { if (kept) keepCopies([page]); });
    });
  }

  // What the phone keeps for offline work goes only when its person logs out or another person logs in here,
  // never on a page without a user (the offline page, log-in after a session ended): decision 0014.
  function forgetPages() {
    return caches.delete(PAGES).catch(function () {});
  }
  function keepPagesFor(user) {
    var before = null;
    try {
      before = localStorage.getItem("gridcare-owner");
      if (user) localStorage.setItem("gridcare-owner", user);
    } catch (error) { /* storage blocked: nothing to tell people apart by, nothing dropped */ }
    return user && before && before !== user ? forgetPages() : Promise.resolve(before);
  }
  // Log-out drops them once the server has ended the session; tapped without signal, it says so in place.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("action") !== "/logout") return;
    event.preventDefault();
    fetch("/logout", { method: "POST", body: new URLSearchParams(new FormData(form)), redirect: "manual" })
      .then(function (response) {
        if (response.type !== "opaqueredirect") return form.submit();  // refused: the server's own answer
        return Promise.resolve(window.caches && forgetPages()).then(function () { location.assign("/login"); });
      }, function () {
        var note = form.querySelector("[data-offline-note]");
        note.hidden = false;
        note.scrollIntoView({ block: "nearest" });
      });
  });

  // The sync state: on the pages that work offline, and on any page while something waits.
  function showSyncState(pending) {
    document.getElementById("sync-state").hidden = !pending &&
      !document.querySelector("[data-outbox-kind],[data-photo-form],[data-precache],#kept-pages");
    document.getElementById("sync-done").hidden = pending;
    showSending();
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

  // The offline page lists what the phone can open without signal, by the kept copies' titles: each sweep, then
  // its floors in order; the round; the errand board, then its cards.
  function listKeptPages() {
    var list = document.getElementById("kept-pages");
    var suffix = document.title.slice(document.title.lastIndexOf(" · "));
    var text = document.createElement("textarea");  // decodes a title's entities, never runs markup
    caches.open(PAGES).then(function (cache) {
      return cache.matchAll();
    }).then(function (copies) {
      return Promise.all(copies.filter(function (copy) { return !/\/api\//.test(copy.url); }).map(function (copy) {
        return copy.text().then(function (html) {
          var path = new URL(copy.url).pathname;
          text.innerHTML = (/<title>([^<]*)/.exec(html) || [0, path])[1];
          return { path: path, title: text.value.replace(suffix, ""), at: new Date(copy.headers.get("date")),
            group: /^\/sweeps\/[^/]+|^\/[^/]*/.exec(path)[0] };
        });
      }));
    }).then(function (pages) {
      var titles = {}, seen = {};
      pages = pages.filter(function (p) {
        if (p.path === p.group) titles[p.group] = p.title;
        return !seen[p.path] && (seen[p.path] = 1);  // one row a page, whatever its ?query
      }).sort(function (a, b) {
        return a.group.localeCompare(b.group) || a.path.length - b.path.length ||
          a.title.localeCompare(b.title, undefined, { numeric: true });
      });
      list.replaceChildren.apply(list, pages.map(function (p) {
        var row = list.previousElementSibling.content.cloneNode(true);
        row.querySelector("a").href = p.path;
        row.querySelector(".row-title").textContent = p.title;
        row.querySelector(".row-sub").textContent = (p.path !== p.group && titles[p.group] ? titles[p.group] + " · " : "") +
          list.dataset.kept.replace("{time}", clock(p.at));
        return row;
      }));
      list.parentNode.hidden = !pages.length;
    }).catch(function () { /* nothing listed: 重试 still works */ });
  }

  // A part of the page that refreshes itself waits while a person is typing in it or has a form of it open, so
  // that nothing they are entering is swapped away.
  // A list folded behind its count (details[data-keep-open]) holds nothing typed: it does not stop the refresh.
  window.typing = function () {
    return Boolean(document.querySelector(
      "[hx-trigger] input:focus, [hx-trigger] textarea:focus, [hx-trigger] select:focus, " +
      "[hx-trigger] details[open]:not([data-keep-open])"));
  };
  // Its refresh is not sent meanwhile: data-hold="typing" while typing(), data-hold="focus" while anything in it has
  // the focus, data-hold="field" while a field in it has the focus (a folded list's summary, focused once tapped,
  // must not stop the refresh for good). (Not hx-trigger filters such as [!typing()]: htmx evaluates those as code,
  // which the page's Content-Security-Policy refuses.)
  document.addEventListener("htmx:beforeRequest", function (event) {
    var part = event.detail.elt;
    var hold = part && part.getAttribute && part.getAttribute("data-hold");
    if (!hold) return;
    var active = document.activeElement;
    var focused = active && active !== document.body && part.contains(active);
    var field = focused && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
    if ((hold === "typing" && window.typing()) || (hold === "focus" && focused) || (hold === "field" && field)) {
      event.preventDefault();
    }
  });
  // Asked again when the refreshed part arrives: the person may have started typing while it was on its way (an
  // amount typed then would be swapped away). The part stays as it is until the next refresh.
  // A sweep closed while its page refreshes itself answers 410, which htmx does not swap: the page is loaded
  // again to say that the sweep has ended (unless the person is typing: the next refresh asks again).
  // The lists a person opened or closed (details[data-keep-open] with an id) stay so across the refresh.
  var keptFolds = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var trigger = event.detail.elt && event.detail.elt.getAttribute("hx-trigger");
    if (!trigger || !/\bevery\b/.test(trigger)) return;
    if (window.typing()) event.detail.shouldSwap = false;
    else if (event.detail.xhr.status === 410) window.location.reload();
    else {
      keptFolds = {};
      event.detail.elt.querySelectorAll("details[data-keep-open][id]").forEach(function (fold) {
        keptFolds[fold.id] = fold.open;
      });
    }
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!keptFolds) return;
    Object.keys(keptFolds).forEach(function (id) {
      var fold = document.getElementById(id);
      if (fold && fold.hasAttribute("data-keep-open")) fold.open = keptFolds[id];
    });
    keptFolds = null;
  });
  // Today's round on a grid worker's phone: the whole numbers of the people to call, kept while there is signal
  // so that tap-to-call works in a basement or a lift (docs/decisions/0010). The server logs each hand-over with
  // the count; the copy lives in the pages cache, which log-out deletes, and serves only this user, only today.
  var PHONES_URL = "/api/v1/round/phones";
  function keptPhones() {
    if (!("caches" in window)) return Promise.resolve(null);
    return caches.open(PAGES).then(function (cache) {
      return cache.match(PHONES_URL).then(function (response) {
        return response ? response.json() : null;
      }).then(function (kept) {
        if (kept && kept.user === document.body.dataset.userId && Date.now() < kept.until) return kept;
        if (kept) return cache.delete(PHONES_URL).then(function () { return null; });  // another day or person
        return null;
      });
    }).catch(function () { return null; });
  }
  function keepRoundPhones() {
    var round = document.querySelector("[data-offline-phones]");
    if (!round || !("caches" in window)) return;
    if (!navigator.onLine) {  // the numbers kept today still call in one tap
      keptPhones().then(function (kept) { if (kept) roundPhones = kept.phones; });
      return;
    }
    keptPhones().then(function (kept) {
      // The same people as the copy on the phone: no second fetch, and no second entry in the log.
      if (kept && kept.key === round.dataset.offlineKey) return kept;
      return fetch(PHONES_URL, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) return null;
          return caches.open(PAGES).then(function (cache) {
            return cache.put(PHONES_URL, response.clone());
          }).then(function () { return response.json(); });
        });
    }).then(function (kept) {
      if (!kept) return;
      roundPhones = kept.phones;
      document.documentElement.dataset.phonesKept = String(Object.keys(kept.phones).length);  // tests wait
    }).catch(function () { /* a weak signal: the taps then need the network, as before */ });
  }
  // "No, keep it" in a step that asks again (details): closes the step where it is. Without the script the link loads
  // the page again, closed.
  document.addEventListener("click", function (event) {
    var keep = event.target.closest && event.target.closest("[data-close-details]");
    var step = keep && keep.closest("details");
    if (!step) return;
    event.preventDefault();
    step.open = false;
    step.querySelector("summary").focus();
  });
  // 拨打 on the round is one tap where the phone holds today's numbers (issue 16: a tap showed the number, a second
  // called): the link becomes tel: before the browser follows it, and the server is told of the look as the tap on a
  // masked number would have told it (phone.view, logged); without signal the hand-over entry is the record (0010).
  // Listened for while capturing, and kept from htmx's own handler on the link, which would only show the number.
  var roundPhones = null;
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-offline-phones] a[data-resident]");
    var number = link && roundPhones && roundPhones[link.getAttribute("data-resident")];
    if (!number) return;
    event.stopPropagation();
    link.href = "tel:" + number;
    fetch(link.getAttribute("hx-get"), { credentials: "same-origin", keepalive: true, headers: { "HX-Request": "true" } })
      .catch(function () { /* without signal: not logged here, as decision 0010 says */ });
  }, true);
  // A tap on a masked number without signal: the number kept for today, as the server's call link would show it.
  document.addEventListener("htmx:sendError", function (event) {
    var link = event.detail.elt;
    var resident = link && link.getAttribute("data-resident");
    var round = document.querySelector("[data-offline-phones]");
    if (!resident || !round) return;
    keptPhones().then(function (kept) {
      var number = kept && kept.phones[resident];
      if (!number) return;
      var call = document.createElement("a");
      call.className = "btn btn-primary btn-call";
      call.href = "tel:" + number;
      call.setAttribute("data-testid", "call-link");
      call.textContent = "☎ " + round.dataset.callLabel.replace("{number}", number);
      link.parentNode.replaceChildren(call);
    });
  });

  // Signal again: a request still on its way went out on the network that was lost, and may never be answered.
  window.addEventListener("online", sendAgain);
  // A part of the page swapped in by htmx shows the server's state: lay the writes still waiting over it again.
  document.addEventListener("htmx:afterSwap", function () { showStatus(); });
  document.addEventListener("DOMContentLoaded", function () {
    // The offline page stands in for a page of whoever uses the phone (the service worker shows it wherever the
    // network fails): their session stays as it was, and it counts their writes waiting.
    var standIn = document.getElementById("kept-pages");
    if (standIn) {
      try { document.body.dataset.userId = localStorage.getItem("gridcare-owner") || ""; } catch (error) {}
      var left = document.getElementById("outbox-left");  // "log in to send them": not said to someone logged in
      if (left) left.remove();
    }
    var user = document.body.dataset.userId || null;
    // What waits is shown at once: a sync may wait behind one the network never answers (Web Locks).
    (standIn ? Promise.resolve() : Outbox.setSession(user, csrfToken()).then(function () {
      return requeueAfterJoining(user);
    })).then(function () { keepPickedBefore(); showStatus(); sync(); });
    if (window.caches) keepPagesFor(user).then(function () {
      precache();
      keepRoundPhones();
      if (standIn) listKeptPages();
    });
    // Ask the browser not to evict the outbox when the phone runs short of space.
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
  });
})();
