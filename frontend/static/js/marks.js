// What the phone holds, laid over the page the server drew: each write where it was made, an errand card's next
// steps, the floor's doors left, the round's count.
(function () {
  "use strict";
  var G = window.Gridcare;
  if (!G.works) return;
  var Outbox = window.GridcareOutbox;
  var NAMES = window.GridcareNames;

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

  G.markPage = markPage;
  G.showSaved = showSaved;
})();
