// An errand card's photos: kept on the phone when picked, shown while they wait, sent with the outbox.
(function () {
  "use strict";
  var G = window.Gridcare;
  if (!G.works) return;
  var Outbox = window.GridcareOutbox;
  var NAMES = window.GridcareNames;

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
      return G.showStatus().then(function () { G.sync(); });
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
  function keepPickedBefore() {  // a photo picked before page.js ran (a slow phone) is kept as any pick
    document.querySelectorAll("[data-photo-form] input[type=file]").forEach(function (input) {
      keepPhotos(input.form, input);
    });
  }

  G.showPhotos = showPhotos;
  G.keepPickedBefore = keepPickedBefore;
})();
