// Today's round: rows others changed, redrawn without a reload; its numbers kept on the phone for calls without
// signal (docs/decisions/0010).
(function () {
  "use strict";
  var G = window.Gridcare;
  if (!G.works) return;
  var Outbox = window.GridcareOutbox;
  var NAMES = window.GridcareNames;

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
    if (!since || G.unsaved) return answered();  // a tap on its way to the outbox: these rows come again next time
    G.showStatus(function () {
      answered();
      if (G.unsaved) return;
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
      return G.showStatus();
    }).catch(function (error) {
      console.warn("the round's new rows did not come; asked again next time", error);
    });
  }
  var ROUND_ADDED = 50;  // rows asked for at once (the server's round.MAX_ADDED)

  // Today's round on a grid worker's phone: the whole numbers of the people to call, kept while there is signal
  // so that tap-to-call works in a basement or a lift (docs/decisions/0010). The server logs each hand-over with
  // the count; the copy lives in the pages cache, which log-out deletes, and serves only this user, only today.
  var PHONES_URL = "/api/v1/round/phones";
  function keptPhones() {
    if (!("caches" in window)) return Promise.resolve(null);
    return caches.open(NAMES.PAGES_CACHE).then(function (cache) {
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
          return caches.open(NAMES.PAGES_CACHE).then(function (cache) {
            return cache.put(PHONES_URL, response.clone());
          }).then(function () { return response.json(); });
        });
    }).then(function (kept) {
      if (!kept) return;
      roundPhones = kept.phones;
      document.documentElement.dataset.phonesKept = String(Object.keys(kept.phones).length);  // tests wait
    }).catch(function () { /* a weak signal: the taps then need the network, as before */ });
  }
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

  G.keepRoundPhones = keepRoundPhones;
})();
