// Gridcare's outbox: every write made on the phone goes here first (IndexedDB), then to POST /api/v1/sync.
// It knows no domain: a write is {id, kind, device_time, payload}. Loaded by pages and by the service worker
// (importScripts), so that one piece of code replays the queue: in order, keeping what the server did not take.
// See docs/decisions/0004-offline-writes-and-door-state.md.
(function (scope) {
  "use strict";

  var DB_NAME = "gridcare";
  var STORE = "outbox";
  var META = "meta";
  var BATCH = 100;

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        var store = db.createObjectStore(STORE, { keyPath: "id" });
        store.createIndex("queued_at", "queued_at");
        db.createObjectStore(META);
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var result = work(tx.objectStore(storeName));
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

  var Outbox = {
    // Queue a write. Resolves once it is safely on the device; sending happens later. `ui` stays on the phone:
    // where the page shows the write while it waits.
    add: function (kind, payload, ui) {
      var write = {
        id: crypto.randomUUID(),
        kind: kind,
        device_time: localIsoTime(new Date()),
        payload: payload,
        queued_at: Date.now(),
        status: "queued",
        ui: ui || null,
      };
      return run(STORE, "readwrite", function (store) { store.put(write); }).then(function () { return write; });
    },

    all: function () {
      return run(STORE, "readonly", function (store) { return store.index("queued_at").getAll(); });
    },

    queued: function () {
      return Outbox.all().then(function (writes) {
        return writes.filter(function (w) { return w.status === "queued"; });
      });
    },

    // The CSRF token, kept where the service worker can read it too (it cannot read cookies).
    setToken: function (token) {
      return run(META, "readwrite", function (store) { store.put(token, "csrf"); });
    },

    token: function () {
      return run(META, "readonly", function (store) { return store.get("csrf"); });
    },

    // Send queued writes in order, in batches. Accepted and duplicate ones leave the outbox; rejected ones stay,
    // marked, for the person to see; "retry" and network failures leave them queued for the next attempt.
    sync: function () {
      if (Outbox._syncing) return Outbox._syncing;
      Outbox._syncing = Promise.all([Outbox.queued(), Outbox.token()])
        .then(function (found) { return sendAll(found[0], found[1]); })
        .finally(function () { Outbox._syncing = null; });
      return Outbox._syncing;
    },
  };

  function sendAll(writes, token) {
    var sent = { accepted: 0, rejected: 0, kept: writes.length };
    var chain = Promise.resolve();
    for (var start = 0; start < writes.length; start += BATCH) {
      (function (batch) {
        chain = chain.then(function () { return sendBatch(batch, token, sent); });
      })(writes.slice(start, start + BATCH));
    }
    return chain.then(function () { return sent; });
  }

  function sendBatch(batch, token, sent) {
    var body = JSON.stringify({
      writes: batch.map(function (w) {
        return { id: w.id, kind: w.kind, device_time: w.device_time, payload: w.payload };
      }),
    });
    return fetch("/api/v1/sync", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token || "" },
      body: body,
    }).then(function (response) {
      if (!response.ok) throw new Error("sync answered " + response.status);
      return response.json();
    }).then(function (result) {
      var byId = {};
      batch.forEach(function (w) { byId[w.id] = w; });
      return run(STORE, "readwrite", function (store) {
        result.answers.forEach(function (answer) {
          var write = byId[answer.id];
          if (!write) return;
          if (answer.status === "accepted" || answer.status === "duplicate") {
            store.delete(answer.id);
            sent.accepted += 1;
            sent.kept -= 1;
          } else if (answer.status === "rejected") {
            write.status = "rejected";
            write.reason = answer.reason;
            store.put(write);
            sent.rejected += 1;
            sent.kept -= 1;
          }
        });
      });
    });
  }

  scope.GridcareOutbox = Outbox;
})(typeof self !== "undefined" ? self : window);
