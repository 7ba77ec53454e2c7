// The text size a resident chose (A- / A+, data-size-step), on their pages and on every guide: one size, remembered
// on the phone (localStorage), set before anything is drawn.
(function () {
  "use strict";
  var NAMES = window.GridcareNames;
  var SIZES = 4;
  var DEFAULT_SIZE = 2;

  function saved() {
    var size = parseInt(localStorage.getItem(NAMES.SIZE_KEY), 10);
    return size >= 1 && size <= SIZES ? size : DEFAULT_SIZE;
  }
  try { document.documentElement.dataset.size = String(saved()); } catch (error) { /* storage blocked: default */ }

  document.addEventListener("click", function (event) {
    var resize = event.target.closest("[data-size-step]");
    if (!resize) return;
    var now = parseInt(document.documentElement.dataset.size || String(DEFAULT_SIZE), 10);
    var next = Math.min(SIZES, Math.max(1, now + parseInt(resize.dataset.sizeStep, 10)));
    document.documentElement.dataset.size = String(next);
    try { localStorage.setItem(NAMES.SIZE_KEY, String(next)); } catch (error) { /* kept for this page only */ }
  });
})();
