// Parts of a page that refresh themselves (htmx hx-trigger every …) wait for a person busy in them; sheets.
(function () {
  "use strict";
  var G = window.Gridcare;
  if (!G.works) return;
  var Outbox = window.GridcareOutbox;
  var NAMES = window.GridcareNames;

  // A part of the page that refreshes itself waits while a person is typing in it or has a form of it open, so
  // that nothing they are entering is swapped away.
  // A list folded behind its count (details[data-keep-open]) holds nothing typed: it does not stop the refresh.
  window.typing = function () {
    return Boolean(document.querySelector(
      "[hx-trigger] input:focus, [hx-trigger] textarea:focus, [hx-trigger] select:focus, " +
      "[hx-trigger] details[open]:not([data-keep-open])"));
  };
  // Its refresh is not sent meanwhile: data-hold="typing" while typing(), data-hold="focus" while anything in it has
  // the focus, data-hold="field" while a field in it has the focus (a folded list's summary, focused once tapped,
  // must not stop the refresh for good). (Not hx-trigger filters such as [!typing()]: htmx evaluates those as code,
  // which the page's Content-Security-Policy refuses.)
  document.addEventListener("htmx:beforeRequest", function (event) {
    var part = event.detail.elt;
    var hold = part && part.getAttribute && part.getAttribute("data-hold");
    if (!hold) return;
    var active = document.activeElement;
    var focused = active && active !== document.body && part.contains(active);
    var field = focused && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
    if ((hold === "typing" && window.typing()) || (hold === "focus" && focused) || (hold === "field" && field)) {
      event.preventDefault();
    }
  });
  // Asked again when the refreshed part arrives: the person may have started typing while it was on its way (an
  // amount typed then would be swapped away). The part stays as it is until the next refresh.
  // A sweep closed while its page refreshes itself answers 410, which htmx does not swap: the page is loaded
  // again to say that the sweep has ended (unless the person is typing: the next refresh asks again).
  // The lists a person opened or closed (details[data-keep-open] with an id) stay so across the refresh.
  var keptFolds = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var trigger = event.detail.elt && event.detail.elt.getAttribute("hx-trigger");
    if (!trigger || !/\bevery\b/.test(trigger)) return;
    if (window.typing()) event.detail.shouldSwap = false;
    else if (event.detail.xhr.status === 410) window.location.reload();
    else {
      keptFolds = {};
      event.detail.elt.querySelectorAll("details[data-keep-open][id]").forEach(function (fold) {
        keptFolds[fold.id] = fold.open;
      });
    }
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!keptFolds) return;
    Object.keys(keptFolds).forEach(function (id) {
      var fold = document.getElementById(id);
      if (fold && fold.hasAttribute("data-keep-open")) fold.open = keptFolds[id];
    });
    keptFolds = null;
  });
  function hasAttr(element, name) {
    return Boolean(element && element.hasAttribute && element.hasAttribute(name));
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    // Parts marked data-in-sight (the round's rows, the home page's counts) ask nothing out of sight or without
    // signal; coming back into sight or online, they ask at once.
    if (hasAttr(event.detail.elt, "data-in-sight") && (document.hidden || !navigator.onLine)) {
      event.preventDefault();
    }
  });

  // A sheet opened low on the screen (a door's 更多, the floor's confirm step) comes into view, not below the fold.
  // (toggle does not bubble: listened for while capturing.)
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.open || !details.hasAttribute || !details.hasAttribute("data-reveal")) return;
    var sheet = details.lastElementChild;
    if (sheet && sheet.scrollIntoView) sheet.scrollIntoView({ block: "nearest" });
  }, true);

  // "No, keep it" in a step that asks again (details): closes the step where it is. Without the script the link loads
  // the page again, closed.
  document.addEventListener("click", function (event) {
    var keep = event.target.closest && event.target.closest("[data-close-details]");
    var step = keep && keep.closest("details");
    if (!step) return;
    event.preventDefault();
    step.open = false;
    step.querySelector("summary").focus();
  });
})();
