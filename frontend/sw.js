// Gridcare's service worker: one small file, read it top to bottom. The server sends names.js and outbox.js before
// it (server/web/scripts.py WORKER): the names of caches and storage (self.GridcareNames), the outbox.
// The server fills in VERSION (a hash of the shell files) and SHELL (their versioned URLs), so any change to the
// shell installs a new worker and a new cache, and the old cache is deleted on activation.
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const OFFLINE_URL = "/offline";
const NAMES = self.GridcareNames;
const SHELL_CACHE = `${NAMES.SHELL_CACHE_PREFIX}${VERSION}`;
// Pages people work on offline: the last copy of each sweep page seen (doors, never phone numbers) and a grid
// worker's round of calls (names, masked numbers, last outcomes), the errand board and the cards in hand (doors,
// items, masked numbers); the page re-applies queued writes from the outbox on top of the copy. The round's page
// script also keeps today's whole numbers here (decision 0010). Only log-out, or another person logging in on this
// phone, deletes this cache (kept-pages.js; decision 0014): never a page without a user, such as the offline page.
const PAGES_CACHE = NAMES.PAGES_CACHE;
const OFFLINE_PAGES = /^\/(sweeps\/[0-9a-f-]{36}(\/|$)|round$|errands(\/[0-9a-f-]{36})?$)/;
// Guides read by link (the page, its pictures, its font subset): a resident's phone keeps the last copy of each,
// in a cache of their own that log-out does not clear (a guide holds nothing about anyone but its reader).
// The page's script fills it on the first visit (guide.js), before this worker controls the page; shell files
// are looked up in every cache, so guide.css and reader.js kept there are found offline too.
const GUIDES_CACHE = NAMES.GUIDES_CACHE;
const GUIDE_URLS = /^\/(g\/[A-Za-z0-9_-]+|guide-fonts\/)/;

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
          .filter((name) => name.startsWith(NAMES.SHELL_CACHE_PREFIX) && name !== SHELL_CACHE)
          .map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && request.mode === "navigate" && DOOR_FORM.test(url.pathname)) {
    event.respondWith(doorByForm(request, url));
    return;
  }
  if (request.method !== "GET") return; // writes are never answered from a cache
  if (GUIDE_URLS.test(url.pathname)) {
    event.respondWith(networkFirstKeepingACopy(event, GUIDES_CACHE));
  } else if (request.mode === "navigate" && OFFLINE_PAGES.test(url.pathname)) {
    event.respondWith(networkFirstKeepingACopy(event, PAGES_CACHE));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(event));
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

// A resident's phone (only a resident's pages say X-Gridcare-Keep, so only his home is kept at "/") opens his home
// for a page it does not hold: his grid worker's number one tap away, at his text size, in his words. The offline
// page was a worker's, in small type and without a number (a stranger's walk of issue 16).
async function offlinePage() {
  if (await caches.has(PAGES_CACHE)) {
    const home = await caches.match("/", { cacheName: PAGES_CACHE });
    if (home) return home;
  }
  return (await (await caches.open(SHELL_CACHE)).match(OFFLINE_URL)) || Response.error();
}

// The browser knows it has no network (navigator.onLine false: flight mode, no signal at all): a page is answered
// from what the phone holds at once, not after a fetch that can only fail (the timeouts are for a network that
// answers slowly, or not at all, while the phone believes it is online).
function knownOffline() {
  return self.navigator && self.navigator.onLine === false;
}

// A page the server says may be kept (its X-Gridcare-Keep header: a resident's own home and requests, server/web/
// pages.py) is kept in PAGES_CACHE as it comes, and opened from there without network; a page at that address
// without the header (someone else's home) drops the copy. So 郝大爷 offline still has his grid worker's number.
async function networkFirstPage(event) {
  const request = event.request;
  // Never caches.open without a copy to keep: it would make the cache again after log-out deleted it (decision 0014).
  const kept = async () =>
    (await caches.match(request, { cacheName: PAGES_CACHE, ignoreSearch: true })) || offlinePage();
  if (knownOffline()) return kept();
  try {
    const response = await fetchWithTimeout(request);
    const keep = response.ok && !response.redirected && response.headers.get("X-Gridcare-Keep");
    const copy = keep ? response.clone() : null;
    const stored = copy
      ? caches.open(PAGES_CACHE).then((cache) => cache.put(request, copy))
      : caches.has(PAGES_CACHE).then(
          (held) => held && caches.open(PAGES_CACHE).then((cache) => cache.delete(request, { ignoreSearch: true })),
        );
    event.waitUntil(stored.catch(() => {}));
    return response;
  } catch (error) {
    return kept();
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
  if (event.tag === NAMES.OUTBOX) {
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

// A door's answer sent by its plain form: a tap made before the page's script ran (a floor opened from the phone's
// copy is usable ~100-300 ms before it on a slow phone), or on a phone whose script failed. With signal it goes to
// the server as it is. Without (known offline, no route, or no answer in NAVIGATION_TIMEOUT_MS), it goes to the
// outbox the page uses, as the page's script would have put it, and the floor opens again (from its copy) with the
// door waiting to be sent: the browser's "no internet" page had lost the tap (decision 0031). Its id is the one the
// server gives that form (`_tick_id` in server/sweeps/controllers.py: UUIDv5 of the page's token and the answer),
// so an answer that reached the server and whose reply was lost is stored once when the outbox sends it again.
const DOOR_FORM = /^\/sweeps\/([0-9a-f-]{36})\/(ticks|floor-ticks)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function doorByForm(request, url) {
  // Read before the request is sent (a used request cannot be cloned).
  const form = await request.clone().formData().catch(() => null);
  if (!form || knownOffline()) return keepDoorForm(url, form);
  try {
    return await fetchWithTimeout(request);
  } catch (error) {
    return keepDoorForm(url, form);
  }
}

async function keepDoorForm(url, form) {
  const field = (name) => String((form && form.get(name)) || "").trim().toLowerCase();
  const [, sweep, path] = DOOR_FORM.exec(url.pathname);
  const writes = form && field("outcome") ? await (path === "ticks" ? doorAnswer : floorAnswer)(form, field) : [];
  if (!writes.length) return offlinePage();  // not an answer this worker knows: nothing kept, nothing said kept
  const backField = String(form.get("back") || "");
  const page = new URL(backField.startsWith("/") && !backField.startsWith("//") ? backField : "/", self.location.origin);
  for (const [id, answer, target] of writes) {
    // The label is the page's word for the answer: marks.js finds it on the page (the worker has no words).
    await self.GridcareOutbox.add("sweep.tick", { sweep_id: sweep, ...answer }, { target: target, label: "" },
      { id: id, page: page.pathname });
  }
  if (self.registration.sync) self.registration.sync.register(NAMES.OUTBOX).catch(() => {});
  if (path === "ticks" && !page.hash) page.hash = `#d-${writes[0][1].household_id}`;  // as the server sends it
  return Response.redirect(page.href, 303);
}

// One door's answer, as `record_tick` stores it: the server's payload in its order (the id hashes its JSON).
async function doorAnswer(form, field) {
  const household = field("household_id");
  if (!UUID.test(household)) return [];
  const answer = { household_id: household, outcome: String(form.get("outcome")),
    help_needed: String(form.get("help_needed") || ""), note: String(form.get("note") || "") };
  if (UUID.test(field("resident_id"))) answer.resident_id = field("resident_id");
  const token = field("tick_id");
  const id = UUID.test(token) ? await uuid5(token, JSON.stringify(answer)) : crypto.randomUUID();
  return [[id, answer, answer.resident_id ? `#p-${answer.resident_id}` : `#d-${household}`]];
}

// The whole floor's nobody-home, as `record_floor` sends it: a tick a door, its id from the form's token and the
// door. Doors answered meanwhile keep their answer: the tick rule sets such bulk ticks aside (decision 0020).
async function floorAnswer(form, field) {
  const token = field("form_token");
  const doors = [...new Set(form.getAll("household_id").map((door) => String(door).trim().toLowerCase()))];
  if (!UUID.test(token) || String(form.get("outcome")) !== "nobody_home") return [];
  return Promise.all(doors.filter((door) => UUID.test(door)).map(async (door) =>
    [await uuid5(token, door), { household_id: door, outcome: "nobody_home", bulk: true }, `#d-${door}`]));
}

// RFC 4122 version 5 (SHA-1), as Python's uuid.uuid5: the name's UTF-8 bytes after the namespace's 16.
async function uuid5(namespace, name) {
  const hex = namespace.replace(/-/g, "");
  const text = new TextEncoder().encode(name);
  const data = new Uint8Array(16 + text.length);
  for (let i = 0; i < 16; i += 1) data[i] = parseInt(hex.substr(i * 2, 2), 16);
  data.set(text, 16);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-1", data)).slice(0, 16);
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const out = Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${out.slice(0, 8)}-${out.slice(8, 12)}-${out.slice(12, 16)}-${out.slice(16, 20)}-${out.slice(20)}`;
}
