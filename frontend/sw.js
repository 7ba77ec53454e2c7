// Gridcare's service worker: one small file, read it top to bottom.
// The server fills in VERSION (a hash of the shell files) and SHELL (their versioned URLs), so any change to the
// shell installs a new worker and a new cache, and the old cache is deleted on activation.
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const OFFLINE_URL = "/offline";
const SHELL_CACHE = `gridcare-shell-${VERSION}`;
// Pages people work on offline: the last copy of each sweep page seen (doors, never phone numbers) and a grid
// worker's round of calls (names, masked numbers, last outcomes), the errand board and the cards in hand (doors,
// items, masked numbers); the page re-applies queued writes from the outbox on top of the copy. The round's page
// script also keeps today's whole numbers here (decision 0010). Only log-out, or another person logging in on this
// phone, deletes this cache (app.js; decision 0014): never a page without a user, such as the offline page.
const PAGES_CACHE = "gridcare-pages";
const OFFLINE_PAGES = /^\/(sweeps\/[0-9a-f-]{36}(\/|$)|round$|errands(\/[0-9a-f-]{36})?$)/;
// Guides read by link (the page, its pictures, its font subset): a resident's phone keeps the last copy of each,
// in a cache of their own that log-out does not clear (a guide holds nothing about anyone but its reader).
// The page's script fills it on the first visit (guide.js), before this worker controls the page; shell files
// are looked up in every cache, so guide.css and guide.js kept there are found offline too.
const GUIDES_CACHE = "gridcare-guides";
const GUIDE_URLS = /^\/(g\/[A-Za-z0-9_-]+|guide-fonts\/)/;

importScripts(SHELL.find((url) => url.startsWith("/static/js/outbox.js")));

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // A shell URL carries its file's hash (?v=...), so a copy in the HTTP cache is the right one: the files the
      // page has just loaded are not downloaded a second time. The offline page has no version: cache: "reload"
      // skips the HTTP cache, so the precache holds what the server has now.
      await cache.addAll([...SHELL.map((url) => new Request(url)), new Request(OFFLINE_URL, { cache: "reload" })]);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith("gridcare-shell-") && name !== SHELL_CACHE)
          .map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // writes are never answered from a cache
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (GUIDE_URLS.test(url.pathname)) {
    event.respondWith(networkFirstKeepingACopy(event, GUIDES_CACHE));
  } else if (request.mode === "navigate" && OFFLINE_PAGES.test(url.pathname)) {
    event.respondWith(networkFirstKeepingACopy(event, PAGES_CACHE));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  }
});

// Strategy "network first, offline page as fallback": pages hold live data, so a stale copy would mislead.
// A stairwell often has a signal too weak to load anything: after NAVIGATION_TIMEOUT_MS the offline page is
// shown rather than a blank screen that never ends. On 2G (~2 s a round trip) a page's first bytes come in 2-5 s.
const NAVIGATION_TIMEOUT_MS = 10000;
// A page kept on the phone waits for the network this long only, then opens from its copy: a volunteer on the
// stairs should not wait 10 s for a floor the phone holds. The network's answer, if it comes, still refreshes the
// copy for the next visit (decision 0014).
const KEPT_COPY_AFTER_MS = 3000;

async function fetchWithTimeout(request) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), NAVIGATION_TIMEOUT_MS);
  try {
    return await fetch(request, { signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

async function offlinePage() {
  return (await (await caches.open(SHELL_CACHE)).match(OFFLINE_URL)) || Response.error();
}

// The browser knows it has no network (navigator.onLine false: flight mode, no signal at all): a page is answered
// from what the phone holds at once, not after a fetch that can only fail (the timeouts are for a network that
// answers slowly, or not at all, while the phone believes it is online).
function knownOffline() {
  return self.navigator && self.navigator.onLine === false;
}

async function networkFirstPage(request) {
  if (knownOffline()) return offlinePage();
  try {
    return await fetchWithTimeout(request);
  } catch (error) {
    return offlinePage();
  }
}

// Strategy "network first, keep a copy": sweep pages open in a stairwell from the last copy seen, guides at home.
// The page is answered as soon as the network's headers arrive (it then loads as usual); the copy is stored once
// the whole body is in, in the background (waitUntil), so a slow body delays neither the page nor the copy.
function networkFirstKeepingACopy(event, cacheName) {
  const request = event.request;
  const cached = caches.open(cacheName).then((cache) => cache.match(request, { ignoreSearch: true }));
  if (knownOffline()) return cached.then((copy) => copy || offlinePage());
  const network = fetchWithTimeout(request);
  event.waitUntil(
    network
      .then((response) => {
        const fresh = response.clone(); // at once, before the page starts reading the body
        return caches.open(cacheName).then((cache) => {
          if (response.ok && !response.redirected) return cache.put(request, fresh);
          // A withdrawn guide (410) or one gone (404) must not go on opening from the copy.
          if (response.status === 404 || response.status === 410) return cache.delete(request, { ignoreSearch: true });
        });
      })
      .catch(() => {}), // no network: the copy stays as it was
  );
  return (async () => {
    const copy = await cached;
    if (!copy) return network.catch(offlinePage);
    const late = new Promise((resolve) => setTimeout(resolve, KEPT_COPY_AFTER_MS));
    // The network's answer if it comes in time (a 404 or 410 included: the copy must not hide it), else the copy.
    return (await Promise.race([network.catch(() => null), late])) || copy;
  })();
}

// Background Sync: the browser wakes the worker when the network is back, even with the page closed.
self.addEventListener("sync", (event) => {
  // Rejecting while writes still wait tells the browser to try again later.
  if (event.tag === "gridcare-outbox") {
    event.waitUntil(
      self.GridcareOutbox.sync().then((left) => {
        if (left > 0) throw new Error(`${left} writes still waiting`);
      }),
    );
  }
});

// Strategy "cache first": static URLs carry a content hash (?v=...), so a cached copy is never stale.
// A page copy kept from before an update asks for an older ?v= of a shell file: the current one will do, rather
// than a page without its script (whose taps would then be lost, and whose waiting writes would not be shown).
// Such a file waits for the network as long as a kept page does, no longer: a stalled request never fails by
// itself, and the page's scripts would wait for it for ever (seen in issue 14: a floor opened with no sync state).
async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const current = await caches.match(request, { ignoreSearch: true });
  if (!current) return fetch(request).catch(() => Response.error());
  if (knownOffline()) return current;
  const late = new Promise((resolve) => setTimeout(resolve, KEPT_COPY_AFTER_MS));
  return (await Promise.race([fetch(request).catch(() => null), late])) || current;
}
