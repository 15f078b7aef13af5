/* Logs tab: keep the view pinned to the bottom while following (unless the reader scrolled
 * up), keep the reading position when earlier lines are prepended, and pause/resume following. */
(function () {
  "use strict";

  var PINNED_SLACK_PX = 40; // "at the bottom" allows for a line's worth of rounding
  var pinned = true;
  var heightBefore = 0;

  function view() { return document.getElementById("log-view"); }

  function atBottom(element) {
    return element.scrollHeight - element.scrollTop - element.clientHeight < PINNED_SLACK_PX;
  }

  function scrollToEnd() {
    var element = view();
    if (element) element.scrollTop = element.scrollHeight;
  }

  // Opened at a search hit or at a failure's exception line: show that line, mid-view, not the end.
  function showStart() {
    var element = view();
    var hit = document.getElementById("log-hit");
    if (!element) return;
    if (!hit) { scrollToEnd(); return; }
    pinned = false;
    element.scrollTop = hit.offsetTop - element.clientHeight / 2 + hit.offsetHeight / 2;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = view();
    // A paused follower asks for nothing; the offset it holds resumes exactly where it stopped.
    if (event.detail.elt.id === "log-follow" && element && element.dataset.paused === "1") event.preventDefault();
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var element = view();
    if (!element || event.detail.target.id !== "log-lines") return;
    pinned = atBottom(element);
    heightBefore = element.scrollHeight;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var element = view();
    if (!element) return;
    if (event.detail.target.id === "run-logs") { showStart(); return; }
    if (event.detail.target.id !== "log-lines") return;
    if (event.detail.requestConfig && /\/logs\/before/.test(event.detail.requestConfig.path)) {
      element.scrollTop += element.scrollHeight - heightBefore; // earlier lines went above: stay on the same line
    } else if (pinned) {
      scrollToEnd();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.id !== "log-pause") return;
    var element = view();
    var paused = element.dataset.paused !== "1";
    element.dataset.paused = paused ? "1" : "";
    event.target.textContent = paused ? "Resume" : "Pause";
    event.target.setAttribute("aria-pressed", String(paused));
    var badge = document.getElementById("log-live");
    if (badge) {
      badge.textContent = paused ? "❚❚ paused" : "● live";
      badge.classList.toggle("paused", paused);
    }
  });

  document.addEventListener("DOMContentLoaded", showStart);
})();
