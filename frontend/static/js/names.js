// The names the phone's scripts share: caches, storage, events. One place, so that the page, the guide reader and the
// service worker (sw.js, which the server sends with this file before it) never disagree on a name; a test checks
// that no other script writes one of these as a literal (tests/test_shape_scripts.py).
(function (scope) {
  "use strict";
  scope.GridcareNames = Object.freeze({
    // The service worker's cache of the app shell, one per version: gridcare-shell-<version>.
    SHELL_CACHE_PREFIX: "gridcare-shell-",
    // Pages kept for offline work (sweeps, the round, errands) and the round's numbers; log-out deletes it (0014).
    PAGES_CACHE: "gridcare-pages",
    // Guides read by link, kept for reading offline; log-out leaves it.
    GUIDES_CACHE: "gridcare-guides",
    // The outbox's IndexedDB database.
    DATABASE: "gridcare",
    // The outbox's Background Sync tag, Web Lock and BroadcastChannel.
    OUTBOX: "gridcare-outbox",
    // localStorage: whose pages the phone keeps (0014), and the text size a resident chose (guides, their pages).
    OWNER_KEY: "gridcare-owner",
    SIZE_KEY: "gridcare-guide-size",
    // Said on document.body when writes went out: parts that show the server's state fetch it again (hx-trigger).
    SYNCED_EVENT: "gridcare:synced",
  });
})(typeof self !== "undefined" ? self : this);
