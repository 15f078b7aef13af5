/* Run header edits: Ctrl+Enter saves notes; a live refresh of the header never replaces a
 * field you are in the middle of typing (it retries at the next change event instead). */
(function () {
  "use strict";

  function unsavedFieldIn(element) {
    var active = document.activeElement;
    if (!active || !element.contains(active) || !/INPUT|TEXTAREA/.test(active.tagName)) return false;
    return active.value !== active.defaultValue;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.matches && target.matches(".notes-form textarea")) {
      event.preventDefault();
      htmx.trigger(target.form, "save");
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var ownSave = event.detail.requestConfig && event.detail.requestConfig.verb === "post";
    if (target && target.id === "run-header" && !ownSave && unsavedFieldIn(target)) event.detail.shouldSwap = false;
  });
})();
