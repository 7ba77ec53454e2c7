// The pages the phone keeps for offline work (the pages cache): the claimed floors, the door screen's copy, what
// log-out drops, and the offline page's list of them.
(function () {
  "use strict";
  var G = window.Gridcare;
  if (!G.works) return;
  var Outbox = window.GridcareOutbox;
  var NAMES = window.GridcareNames;

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
      return caches.open(NAMES.PAGES_CACHE).then(function (cache) {
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
    G.showStatus();  // what still waits on the phone, and what it sent, laid over the fresh rows
  }
  var copyTimer = null;
  document.body.addEventListener(NAMES.SYNCED_EVENT, function () {
    clearTimeout(copyTimer);  // a run of taps: one fetch once they are all out
    copyTimer = setTimeout(keepFloorCopy, 500);
  });

  // The floors a volunteer claimed: keep a copy of each while there is signal, so that all of them open in the
  // stairwell without it (the service worker answers from this cache when offline).
  function precache() {
    var holder = document.querySelector("[data-precache]");
    if (!holder || !navigator.onLine) return;
    var urls = JSON.parse(holder.getAttribute("data-precache"));
    keepCopies(urls).then(function () {
      document.documentElement.dataset.precached = String(urls.length);  // tests wait for this
    });
  }
  function keepCopies(urls) {
    return caches.open(NAMES.PAGES_CACHE).then(function (cache) {
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
      caches.match(page, { cacheName: NAMES.PAGES_CACHE }).then(function (kept) { if (kept) keepCopies([page]); });
    });
  }

  // What the phone keeps for offline work goes only when its person logs out or another person logs in here,
  // never on a page without a user (the offline page, log-in after a session ended): decision 0014.
  function forgetPages() {
    return caches.delete(NAMES.PAGES_CACHE).catch(function () {});
  }
  function keepPagesFor(user) {
    var before = null;
    try {
      before = localStorage.getItem(NAMES.OWNER_KEY);
      if (user) localStorage.setItem(NAMES.OWNER_KEY, user);
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

  // The offline page lists what the phone can open without signal, by the kept copies' titles: each sweep, then
  // its floors in order; the round; the errand board, then its cards.
  function listKeptPages() {
    var list = document.getElementById("kept-pages");
    var suffix = document.title.slice(document.title.lastIndexOf(" · "));
    var text = document.createElement("textarea");  // decodes a title's entities, never runs markup
    caches.open(NAMES.PAGES_CACHE).then(function (cache) {
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
          list.dataset.kept.replace("{time}", G.clock(p.at));
        return row;
      }));
      list.parentNode.hidden = !pages.length;
    }).catch(function () { /* nothing listed: 重试 still works */ });
  }

  G.refreshCopies = refreshCopies;
  G.precache = precache;
  G.keepPagesFor = keepPagesFor;
  G.listKeptPages = listKeptPages;
})();
