// Forms whose writes go to the outbox (data-outbox-kind), links that wait for a tap being saved, and refused writes
// dealt with.
(function () {
  "use strict";
  var G = window.Gridcare;
  if (!G.works) return;
  var Outbox = window.GridcareOutbox;
  var NAMES = window.GridcareNames;

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
    G.unsaved += 1;
    saving = saving.then(function () { return saveWrites(form, kind, writes, submitter); })
      .then(function () { G.unsaved -= 1; }, function () { G.unsaved -= 1; });
  });

  // A link tapped while a tap is still being saved (the next floor right after the last door) waits for it: a page
  // left before its write is on the phone loses the write (issue 14: 2 of 6 such taps lost, and a change of
  // answer seen lost on the server). Saving takes milliseconds; the link then opens as usual.
  G.unsaved = 0;
  document.addEventListener("click", function (event) {
    var link = !G.unsaved || event.defaultPrevented ? null : event.target.closest("a[href]");
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
      G.showSaved(saved);
      var details = (submitter && submitter.closest("details")) || form.closest("details");
      if (details) details.open = false;
      // A note goes with the answer it was written for, not with every later one.
      Array.prototype.forEach.call(form.elements, function (field) { if (field.name === "note") field.value = ""; });
      return G.showStatus();
    }).then(function () {
      // Background Sync sends the outbox even if the page is closed, where the browser has it.
      if ("serviceWorker" in navigator) {
        navigator.serviceWorker.ready.then(function (registration) {
          if (registration.sync) return registration.sync.register(NAMES.OUTBOX);
        }).catch(function () {});
      }
      G.sync();  // not awaited: the next tap is saved while this one is on its way
    }).catch(function (error) {
      // The phone could not save it (storage full, private mode): send the form the plain way instead.
      console.warn("outbox unavailable", error);
      form.removeAttribute("data-outbox-kind");
      if (submitter) form.requestSubmit(submitter); else form.requestSubmit();
    });
  }

  // A refused write said to be dealt with (/refused) leaves this phone's outbox, where it was counted as 未被接受;
  // the server keeps it for the others who see it (decision 0034).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var write = form.getAttribute && form.getAttribute("data-forget-write");
    if (!write) return;
    event.preventDefault();
    Outbox.forget(write).catch(function () {}).then(function () { form.submit(); });
  });
})();
