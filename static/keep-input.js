/* Typing is never lost to a live update.
 *
 * Fragments refresh themselves (SSE events, `every 30s`); a refresh swaps the fragment's whole element,
 * and a text field inside it would lose its focus, its caret and what was typed. So a swap that the user
 * did not cause (no trusted click, key or input event behind it, and not a save) is held back while its
 * target holds the focused text field or any text field whose value differs from what the server sent.
 * When the field is left (or saved, or closed), the held refresh is fetched again, fresh.
 *
 * Why hold instead of keeping the field through the swap (hx-preserve, or moving the element into the
 * new content): a field has to be matched to its copy in the new HTML, and on a live table the row may
 * have moved, been renamed or filtered out; focus and the caret do not survive a DOM move everywhere
 * either. Holding never touches the user's element, needs no ids, works for every fragment, and costs
 * only a refresh that arrives a few seconds later. A `.held-note` inside the target says so meanwhile.
 */
(function () {
  "use strict";

  var TEXT_INPUT = /^(text|search|email|url|tel|number|password)$/;
  var held = []; // [{target, source, path}] refreshes waiting for the user to leave a field

  function isTextField(element) {
    if (!element || !element.tagName) return false;
    if (element.tagName === "TEXTAREA" || element.isContentEditable) return true;
    return element.tagName === "INPUT" && TEXT_INPUT.test(element.type);
  }

  function unsaved(field) {
    return isTextField(field) && field.value !== field.defaultValue;
  }

  function holdsInput(target) {
    if (!target || !target.isConnected) return false;
    var active = document.activeElement;
    if (active && target.contains(active) && isTextField(active)) return true;
    return Array.prototype.some.call(target.querySelectorAll("input, textarea"), unsaved);
  }

  // A swap the user asked for (clicked a link, typed a search, saved a form) goes ahead: it is theirs.
  function userCaused(config) {
    if (!config) return false;
    if (config.verb && config.verb !== "get") return true;
    return Boolean(config.triggeringEvent && config.triggeringEvent.isTrusted);
  }

  function hold(target, config) {
    target.setAttribute("data-held", "");
    var entry = { target: target, source: config.elt, path: config.path };
    held = held.filter(function (other) { return other.target !== target; });
    held.push(entry);
  }

  function resumeWhenFree() {
    held = held.filter(function (entry) {
      if (!entry.target.isConnected) return false;
      if (holdsInput(entry.target)) return true;
      entry.target.removeAttribute("data-held");
      var source = entry.source && entry.source.isConnected ? entry.source : entry.target;
      htmx.ajax("GET", entry.path, { source: source, target: entry.target });
      return false;
    });
  }

  // No request at all while the target is busy: it would only be thrown away.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig;
    var target = event.detail.target;
    if (!userCaused(config) && holdsInput(target)) {
      event.preventDefault();
      hold(target, config);
    }
  });

  // The user may have started typing while the request was on its way.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig;
    var target = event.detail.target;
    if (event.detail.shouldSwap && !userCaused(config) && holdsInput(target)) {
      event.detail.shouldSwap = false;
      hold(target, config);
    }
  });

  // Out-of-band parts of a response never replace a field in use, whoever caused the request.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    if (holdsInput(event.detail.target)) event.detail.shouldSwap = false;
  });

  // A saved form is no longer unsaved: what was typed is now what the server has.
  document.addEventListener("htmx:afterRequest", function (event) {
    var config = event.detail.requestConfig;
    var form = event.detail.elt;
    if (!event.detail.successful || !config || config.verb === "get" || !form || !form.querySelectorAll) return;
    Array.prototype.forEach.call(form.querySelectorAll("input, textarea"), function (field) {
      if (isTextField(field)) field.defaultValue = field.value;
    });
    setTimeout(resumeWhenFree, 0);
  });

  // Leaving a field (after focus settles on its new element), closing a box, or undoing the typing.
  document.addEventListener("focusout", function () { setTimeout(resumeWhenFree, 0); });
  document.addEventListener("toggle", function () { setTimeout(resumeWhenFree, 0); }, true);
  document.addEventListener("input", function () { if (held.length) setTimeout(resumeWhenFree, 0); });

  // For tests and other scripts: is a live refresh of `element` being held back?
  window.sptwebKeepInput = { holdsInput: holdsInput, isTextField: isTextField };
})();
