// Gridcare's outbox: every write made on the phone goes here first (IndexedDB), then to POST /api/v1/sync.
// It knows no domain: a write is {id, kind, device_time, payload}. Loaded by pages and by the service worker
// (importScripts), so that one piece of code replays the queue: in order, keeping what the server did not take.
// See docs/decisions/0004-offline-writes-and-door-state.md.
(function (scope) {
  "use strict";

  var NAMES = scope.GridcareNames;  // names.js, sent before this file
  var DB_NAME = NAMES.DATABASE;
  var STORE = "outbox";
  var META = "meta";
  var PHOTOS = "photos";  // photos taken without signal (an errand's delivery, a receipt), sent after the writes
  var BATCH = 100;
  // A request the network never answers would hold the one sync of this phone (and every tick after it) for ever;
  // one given up on is sent again later, which the server makes harmless (a write's id).
  var SEND_TIMEOUT_MS = 45000;
  // This context's requests to /api/v1/sync on their way (at most one: the lock). Outbox.abort() gives them up here
  // and in every other context of the phone (pages, the service worker's Background Sync), so that a person's
  // "send again" does not wait behind a hung request for SEND_TIMEOUT_MS (issue 16; decision 0027).
  var sending = [];
  var channel = typeof BroadcastChannel !== "undefined" ? new BroadcastChannel(NAMES.OUTBOX) : null;
  if (channel) channel.onmessage = function (event) { if (event.data === "abort") abortHere(); };
  function abortHere() {
    sending.forEach(function (controller) { controller.abort(); });
  }
  function abortable(limitMs) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, limitMs || SEND_TIMEOUT_MS);
    sending.push(controller);
    return {
      signal: controller.signal,
      done: function () {
        clearTimeout(timer);
        sending = sending.filter(function (c) { return c !== controller; });
      },
    };
  }

  // A photo goes whole in one request, and on a phone's weak signal it is slow: on "Slow 3G" (Chrome's profile:
  // 400 kbit/s up, 2 s a round trip) a 3 MB photo takes ~60 s, the 10 MB the server takes ~3.5 min. So its limit
  // grows with its size: SEND_TIMEOUT_MS plus its bytes at half that rate (the signal varies on the stairs): 45 s +
  // 2 min for 3 MB, 45 s + 7 min for 10 MB. On pages the request says how far it got (XMLHttpRequest's upload
  // progress), and one whose bytes stop moving for SEND_TIMEOUT_MS is given up sooner: stopped is hung, not slow.
  // Given up or aborted (Outbox.abort), the photo stays queued and is sent again with its id: stored once (0027).
  var PHOTO_MIN_BYTES_PER_SECOND = 25000;
  function photoLimitMs(bytes) {
    return SEND_TIMEOUT_MS + Math.ceil((bytes || 0) / PHOTO_MIN_BYTES_PER_SECOND) * 1000;
  }

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 2);
      request.onupgradeneeded = function () {
        var db = request.result;  // version 1 had the outbox and meta; 2 adds the photos
        if (!db.objectStoreNames.contains(STORE)) {
          db.createObjectStore(STORE, { keyPath: "id" }).createIndex("queued_at", "queued_at");
          db.createObjectStore(META);
        }
        if (!db.objectStoreNames.contains(PHOTOS)) {
          db.createObjectStore(PHOTOS, { keyPath: "id" }).createIndex("queued_at", "queued_at");
        }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // `work` gets the store, or the transaction itself when given several stores' names.
  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var result = work(Array.isArray(storeName) ? tx : tx.objectStore(storeName));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function localIsoTime(date) {
    // The device time with its offset (the server refuses times it cannot place).
    var offset = -date.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    var pad = function (n) { return String(Math.floor(Math.abs(n))).padStart(2, "0"); };
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" +
      pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      sign + pad(offset / 60) + ":" + pad(offset % 60);
  }

  function meta(key) {
    return run(META, "readonly", function (store) { return store.get(key); });
  }

  function setMeta(key, value) {
    return run(META, "readwrite", function (store) { store.put(value, key); });
  }

  // One sync at a time per phone, across the page and the service worker (Background Sync may fire while the
  // page syncs too): the same writes sent twice at once would race on the server.
  function exclusive(work) {
    if (scope.navigator && scope.navigator.locks) return scope.navigator.locks.request(NAMES.OUTBOX, work);
    return work();
  }

  // The outbox is sent in queued_at order: it must grow with every write, also for taps in the same millisecond
  // (the same ms would order them by their random ids, and a door's last word could be an earlier tap).
  var lastQueued = 0;
  function queuedAt() {
    lastQueued = Math.max(Date.now(), lastQueued + 0.001);
    return lastQueued;
  }

  // How long a sent write is kept to be laid over pages older than it: a day of sweeping (a copy of a floor is
  // fetched again after each sync of its writes, so older copies are rare).
  var SENT_KEPT_MS = 24 * 3600 * 1000;

  function everything() {
    return run(STORE, "readonly", function (store) { return store.index("queued_at").getAll(); });
  }

  var Outbox = {
    // Queue a write of the logged-in user. Resolves once it is safely on the device; sending happens later.
    // `ui` stays on the phone: where the page shows the write while it waits.
    // One transaction reads the user and stores the write: the tap is on the phone a few ms sooner (a page left or
    // reloaded before the write's transaction completes loses it; forms.js makes links wait, a reload cannot).
    // `made` (optional): {id, page} of a write made elsewhere than on a page, such as a door's plain form the service
    // worker keeps (sw.js: its id is the one the server would give that form, so it is stored once).
    add: function (kind, payload, ui, made) {
      var write = {
        id: (made && made.id) || crypto.randomUUID(),
        kind: kind,
        device_time: localIsoTime(new Date()),
        payload: payload,
        user_id: null,
        queued_at: queuedAt(),
        status: "queued",
        ui: ui || null,
        // its copy on the phone is refreshed once the write is sent (kept-pages.js)
        page: (made && made.page) || scope.location.pathname,
      };
      return run([STORE, META], "readwrite", function (tx) {
        tx.objectStore(META).get("user").onsuccess = function (event) {
          write.user_id = event.target.result || null;
          tx.objectStore(STORE).put(write);
        };
      }).then(function () { return write; });
    },

    // The writes still on their way: waiting, or refused (for the person to see).
    all: function () {
      return everything().then(function (writes) {
        return writes.filter(function (w) { return w.status !== "sent"; });
      });
    },

    // Writes the server took (with its seq) in the last SENT_KEPT_MS: a page drawn before the server had one, or
    // the phone's older copy of it, would show its door unrecorded; the page lays these over it (marks.js).
    sent: function () {
      return everything().then(function (writes) {
        return writes.filter(function (w) { return w.status === "sent"; });
      });
    },

    // Keep a photo on the phone (the file itself, in IndexedDB) until it is sent to its errand card. Its id is made
    // from the picture and where it goes (photoId): the same picture picked again for the same card is the same
    // photo, kept once on the phone and stored once by the server, also when it was sent already (issue 16).
    // Resolves with the photo kept; `already` is true where the phone held it before this pick.
    addPhoto: function (card, role, file, ui) {
      return meta("user").then(function (user) {
        return photoId(card, role, user, file).then(function (id) {
          var photo = {
            id: id,
            card: card,
            role: role,
            blob: file,
            name: file.name || "photo.jpg",
            user_id: user || null,
            queued_at: queuedAt(),  // two photos picked in the same ms are sent in the order picked
            status: "queued",
            ui: ui || null,
          };
          var held = null;
          return run(PHOTOS, "readwrite", function (store) {
            store.get(id).onsuccess = function (event) {
              held = event.target.result || null;
              if (!held) store.put(photo);
            };
          }).then(function () { return held ? Object.assign(held, { already: true }) : photo; });
        });
      });
    },

    photos: function () {
      return run(PHOTOS, "readonly", function (store) { return store.index("queued_at").getAll(); });
    },

    // Who is logged in on this phone, and the CSRF token of their session: pages set them, the service worker
    // (which can read neither cookies nor pages) uses them. A phone shared by two volunteers sends each one's
    // writes only under their own session.
    setSession: function (userId, token) {
      return setMeta("user", userId || null).then(function () { return setMeta("csrf", token || ""); });
    },

    // When the server last took this user's writes: {user, at} (shown as "last sync" on the pages that write).
    lastSync: function () {
      return meta("synced");
    },

    // Writes of this user the server refused for `reason` go back in the queue, where `payload` matches: a guest
    // signed out of a sweep and back in it sends what was refused meanwhile (it was never accepted).
    requeue: function (userId, reason, payload) {
      return run(STORE, "readwrite", function (store) {
        store.index("queued_at").openCursor().onsuccess = function (event) {
          var cursor = event.target.result;
          if (!cursor) return;
          var write = cursor.value;
          var matches = Object.keys(payload || {}).every(function (key) {
            return write.payload && write.payload[key] === payload[key];
          });
          if (write.user_id === userId && write.status === "rejected" && write.reason === reason && matches) {
            write.status = "queued";
            delete write.reason;
            cursor.update(write);
          }
          cursor.continue();
        };
      });
    },

    // A refused write someone has dealt with (/refused) leaves the phone: the server keeps it (decision 0034).
    forget: function (id) {
      return run(STORE, "readwrite", function (store) {
        store.get(id).onsuccess = function (event) {
          var write = event.target.result;
          if (write && write.status === "rejected") store.delete(id);
        };
      });
    },

    // Send this user's queued writes in order, batch after batch, until none is left or the server asks to wait.
    // Accepted and duplicate writes leave the outbox; rejected ones stay, marked, for the person to see.
    // Resolves with what is still waiting (0 when all is sent).
    // `progress` (optional) hears how far a photo on its way got: {loaded, total} bytes, each time it moves; and
    // {sent: id} once the server has it (photos go one a request: the page shows each as it lands).
    sync: function (progress) {
      return exclusive(function () {
        return Promise.all([meta("user"), meta("csrf")]).then(function (found) {
          return sendLoop(found[0], found[1], false).then(function (left) {
            // Photos after the writes (the card is taken, on its way, before its photo arrives), one a request.
            if (left) return waitingPhotos(found[0]).then(function (photos) { return left + photos.length; });
            return meta("csrf").then(function (token) { return sendPhotos(found[0], token, false, progress); });
          });
        });
      });
    },

    // Give up the requests of a sync on their way, wherever on this phone they were made: their writes stay queued
    // and are sent again by the next sync (the server answers a write it already has "duplicate"). The lock is
    // released once the aborted request has failed, so the next sync never overlaps it.
    abort: function () {
      abortHere();
      if (channel) channel.postMessage("abort");
    },
  };

  // The server no longer knows this phone's session (it ran out, or a coordinator signed the guest out): nothing is
  // sent, nothing is refused; the writes wait, and the page says so (sending.js).
  function signedOut() {
    var error = new Error("signed out");
    error.signedOut = true;
    return error;
  }

  function freshToken() {
    return fetch("/api/v1/csrf", { credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) throw signedOut();
        if (!response.ok) throw new Error("not logged in");
        return response.json();
      })
      .then(function (body) { return setMeta("csrf", body.token).then(function () { return body.token; }); });
  }

  // A photo's id: the SHA-256 of its bytes, hashed again with its card, its role and the person, cut to a UUID
  // (version 8, RFC 9562's for ids made so). A picture picked twice is one id; the server stores an id once.
  // Without crypto.subtle (no secure context) or a readable file, a random id: kept and sent, not merged.
  function photoId(card, role, user, file) {
    if (!(scope.crypto && scope.crypto.subtle && file && file.arrayBuffer)) return Promise.resolve(crypto.randomUUID());
    return file.arrayBuffer().then(function (bytes) {
      return crypto.subtle.digest("SHA-256", bytes);
    }).then(function (digest) {
      var head = new TextEncoder().encode(["gridcare-photo", card, role, user || ""].join("\n") + "\n");
      var whole = new Uint8Array(head.length + digest.byteLength);
      whole.set(head);
      whole.set(new Uint8Array(digest), head.length);
      return crypto.subtle.digest("SHA-256", whole);
    }).then(function (digest) {
      var b = new Uint8Array(digest).slice(0, 16);
      b[6] = (b[6] & 0x0f) | 0x80;
      b[8] = (b[8] & 0x3f) | 0x80;
      var hex = Array.prototype.map.call(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
      return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" +
        hex.slice(20);
    }, function () {
      return crypto.randomUUID();
    });
  }

  function waitingPhotos(user) {
    return Outbox.photos().then(function (photos) {
      return photos.filter(function (p) { return p.status === "queued" && user && p.user_id === user; });
    });
  }

  // Each photo to its card, with the id made on the phone (sent twice, it is stored once). A refusal (not a
  // picture, too large, no longer this person's card) is kept, marked, for the person to see; a failure to reach
  // the server keeps it queued for the next round. Resolves with how many are still waiting.
  function sendPhotos(user, token, refreshed, progress) {
    return waitingPhotos(user).then(function (photos) {
      if (!photos.length) return 0;
      var photo = photos[0];
      var form = new FormData();
      form.append("photo", photo.blob, photo.name);
      form.append("role", photo.role);
      form.append("photo_id", photo.id);
      form.append("taken_at", new Date(photo.queued_at).toISOString());  // when taken, not when signal came back
      // This phone's clock as it sends: the server moves taken_at by how far the clock is off, as a batch's (0032).
      form.append("sent_at", new Date().toISOString());
      var headers = { "X-CSRFToken": token || "", Accept: "application/json" };
      return upload("/errands/" + photo.card + "/photos", headers, form, photo.blob.size, progress)
      .then(function (response) {
        if (response.status === 401) throw signedOut();
        if (response.status === 403 && !refreshed) {
          return freshToken().then(function (fresh) { return sendPhotos(user, fresh, true, progress); });
        }
        if (response.ok) {
          return run(PHOTOS, "readwrite", function (store) { store.delete(photo.id); })
            .then(function () { return synced(user); })
            .then(function () { if (progress) progress({ sent: photo.id }); })
            .then(function () { return sendPhotos(user, token, refreshed, progress); });
        }
        if (response.status >= 500 || response.status === 403) throw new Error("photo answered " + response.status);
        return response.json().catch(function () { return {}; }).then(function (body) {
          photo.status = "rejected";
          photo.reason = body.reason || (response.status === 413 ? "picture_too_large" : "not_allowed");
          photo.message = body.message || "";
          return run(PHOTOS, "readwrite", function (store) { store.put(photo); });
        }).then(function () { return sendPhotos(user, token, refreshed, progress); });
      });
    });
  }

  // One photo's request, given up past its limit or by Outbox.abort() like a sync's (the lock is released once it
  // has failed). Resolves with {status, ok, json()}; fails as fetch does (AbortError, TypeError) when not answered.
  // Pages send it by XMLHttpRequest, which says how far the upload got; the service worker has only fetch.
  function upload(url, headers, form, bytes, progress) {
    var request = abortable(photoLimitMs(bytes));
    if (typeof XMLHttpRequest === "undefined") {
      return fetch(url, { method: "POST", credentials: "same-origin", headers: headers, body: form, signal: request.signal })
        .then(function (response) {
          return { status: response.status, ok: response.ok, json: function () { return response.json(); } };
        }).finally(request.done);
    }
    var xhr = new XMLHttpRequest();
    var stopped = null;
    function moved(loaded) {
      clearTimeout(stopped);
      stopped = setTimeout(function () { xhr.abort(); }, SEND_TIMEOUT_MS);
      if (progress && loaded !== undefined) progress({ loaded: loaded, total: bytes });
    }
    return new Promise(function (resolve, reject) {
      var failed = function (name) {
        return function () {
          var error = new Error("photo not sent");
          error.name = name;
          reject(error);
        };
      };
      xhr.open("POST", url);
      Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      xhr.upload.onprogress = function (event) { moved(Math.min(event.loaded, bytes)); };
      xhr.upload.onload = function () { moved(bytes); };  // all sent: the server's answer is awaited as long
      xhr.onload = function () {
        resolve({
          status: xhr.status,
          ok: xhr.status >= 200 && xhr.status < 300,
          json: function () { return new Promise(function (ok) { ok(JSON.parse(xhr.responseText)); }); },
        });
      };
      xhr.onerror = failed("TypeError");
      xhr.onabort = failed("AbortError");
      request.signal.addEventListener("abort", function () { xhr.abort(); });
      moved();
      xhr.send(form);
    }).finally(function () {
      clearTimeout(stopped);
      request.done();
    });
  }

  function waiting(user) {
    return Outbox.all().then(function (writes) {
      return writes.filter(function (w) { return w.status === "queued" && user && w.user_id === user; });
    });
  }

  function sendLoop(user, token, refreshed) {
    return waiting(user).then(function (writes) {
      if (!writes.length) return 0;
      return sendBatch(writes.slice(0, BATCH), token).then(function (result) {
        if (result === "token") {
          // The CSRF token went stale (a restarted browser, a page from the cache): fetch a fresh one, once.
          if (refreshed) throw new Error("sync refused");
          return freshToken().then(function (fresh) { return sendLoop(user, fresh, true); });
        }
        if (result === "wait") return waiting(user).then(function (left) { return left.length; });
        return sendLoop(user, token, refreshed);
      });
    });
  }

  function sendBatch(batch, token) {
    var body = JSON.stringify({
      writes: batch.map(function (w) {
        return { id: w.id, kind: w.kind, device_time: w.device_time, payload: w.payload, user_id: w.user_id };
      }),
      // This phone's clock now, to the millisecond: the server moves the writes' times by how far it is off (0032).
      sent_at: new Date().toISOString(),
    });
    var request = abortable();
    return fetch("/api/v1/sync", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token || "" },
      body: body,
      signal: request.signal,
    }).then(function (response) {
      if (response.status === 401) throw signedOut();
      if (response.status === 403) return "token";
      if (!response.ok) throw new Error("sync answered " + response.status);
      return response.json();
    }).finally(request.done).then(function (result) {
      // Answered: the answers are stored whatever is aborted from now on (they are the server's truth).
      return result === "token" ? result : record(batch, result.answers);
    });
  }

  // Store the answers. A "retry" stops the round: what comes after it waits, so that the server receives the
  // writes in the order they were made.
  function record(batch, answers) {
    var byId = {};
    batch.forEach(function (w) { byId[w.id] = w; });
    var mustWait = false;
    return run(STORE, "readwrite", function (store) {
      answers.forEach(function (answer) {
        var write = byId[answer.id];
        if (!write) return;
        if (answer.status === "accepted" || answer.status === "duplicate") {
          if (write.ui && answer.seq) {
            // Kept, marked sent, with the server's seq: what shows the write on its page once it has gone.
            write.status = "sent";
            write.seq = answer.seq;
            write.sent_at = Date.now();
            store.put(write);
          } else {
            store.delete(answer.id);
          }
        } else if (answer.status === "rejected") {
          write.status = "rejected";
          write.reason = answer.reason;
          store.put(write);
        } else {
          mustWait = true;
        }
      });
      forgetOldSent(store);
    }).then(function () { return synced(batch[0].user_id); })
      .then(function () { return mustWait ? "wait" : "sent"; });
  }

  function forgetOldSent(store) {
    var before = Date.now() - SENT_KEPT_MS;
    store.index("queued_at").openCursor(IDBKeyRange.upperBound(before)).onsuccess = function (event) {
      var cursor = event.target.result;
      if (!cursor) return;
      if (cursor.value.status === "sent" && cursor.value.sent_at < before) cursor.delete();
      cursor.continue();
    };
  }

  function synced(user) {
    return setMeta("synced", { user: user, at: Date.now() });
  }

  scope.GridcareOutbox = Outbox;
})(typeof self !== "undefined" ? self : window);
