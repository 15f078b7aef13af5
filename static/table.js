/* Run table selection: checkboxes (shift-click for ranges) feed the "Compare selected" link.
 * The selection lives in sessionStorage, so it survives the table's live refreshes and paging. */
(function () {
  "use strict";

  var STORE = "sptweb.selected-runs";
  var lastClicked = null;

  function selected() {
    try { return JSON.parse(sessionStorage.getItem(STORE)) || []; } catch (error) { return []; }
  }

  function save(ids) {
    sessionStorage.setItem(STORE, JSON.stringify(ids));
    render();
  }

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("#runs-table input.pick-run"));
  }

  function render() {
    var ids = selected();
    var chosen = {};
    ids.forEach(function (id) { chosen[id] = true; });
    boxes().forEach(function (box) { box.checked = Boolean(chosen[box.value]); });
    var link = document.getElementById("compare-selected");
    var clear = document.getElementById("clear-selection");
    if (!link) return;
    var url = new URL(link.dataset.compareUrl, location.href);
    ids.forEach(function (id) { url.searchParams.append("runs", id); });
    link.href = url.pathname + url.search;
    link.querySelector("b").textContent = String(ids.length);
    link.hidden = ids.length < 1;
    clear.hidden = ids.length < 1;
  }

  function toggle(box, event) {
    var ids = selected();
    var all = boxes();
    var targets = [box];
    if (event.shiftKey && lastClicked && all.indexOf(lastClicked) >= 0) {
      var from = all.indexOf(lastClicked), to = all.indexOf(box);
      targets = all.slice(Math.min(from, to), Math.max(from, to) + 1);
    }
    targets.forEach(function (target) {
      var at = ids.indexOf(target.value);
      if (box.checked && at < 0) ids.push(target.value);
      if (!box.checked && at >= 0) ids.splice(at, 1);
    });
    lastClicked = box;
    save(ids);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.matches && target.matches("#runs-table input.pick-run")) toggle(target, event);
    if (target.matches && target.matches("#runs-table input.pick-page")) {
      var ids = selected();
      boxes().forEach(function (box) {
        var at = ids.indexOf(box.value);
        if (target.checked && at < 0) ids.push(box.value);
        if (!target.checked && at >= 0) ids.splice(at, 1);
      });
      save(ids);
    }
    if (target.id === "clear-selection") {
      event.preventDefault();
      save([]);
    }
  });

  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render); // the table was re-rendered by a live update
})();
