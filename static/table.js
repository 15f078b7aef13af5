/* The run table page: selection for compare, the controls kept in step with the table, the column
 * picker, the inline rename box, and a table that scrolls inside the window (sticky header, pinned
 * name column). */
(function () {
  "use strict";

  var STORE = "sptweb.selected-runs";
  var TABLE_URL = "sptweb.table-url"; // the last table view, for the `g t` shortcut (keys.js)
  var lastClicked = null;

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  /* ---- Selection: checkboxes (shift-click for ranges) feed the "Compare selected" link. It lives in
   * sessionStorage, so it survives the table's live refreshes and paging. ---- */

  function selected() {
    try { return JSON.parse(sessionStorage.getItem(STORE)) || []; } catch (error) { return []; }
  }

  function save(ids) {
    sessionStorage.setItem(STORE, JSON.stringify(ids));
    renderSelection();
  }

  function boxes() {
    return all("#runs-table input.pick-run");
  }

  function renderSelection() {
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
    var every = boxes();
    var targets = [box];
    if (event.shiftKey && lastClicked && every.indexOf(lastClicked) >= 0) {
      var from = every.indexOf(lastClicked), to = every.indexOf(box);
      targets = every.slice(Math.min(from, to), Math.max(from, to) + 1);
    }
    targets.forEach(function (target) {
      var at = ids.indexOf(target.value);
      if (box.checked && at < 0) ids.push(target.value);
      if (!box.checked && at >= 0) ids.splice(at, 1);
    });
    lastClicked = box;
    save(ids);
  }

  function pickPage(target) {
    var ids = selected();
    boxes().forEach(function (box) {
      var at = ids.indexOf(box.value);
      if (target.checked && at < 0) ids.push(box.value);
      if (!target.checked && at >= 0) ids.splice(at, 1);
    });
    save(ids);
  }

  /* ---- Controls in step with the table. Links in the table (a tag chip, the kind and root chips, the
   * archived note) change the query by swapping only the table; without this, the form would still
   * hold the old values and the next search would silently drop the tag. A field the user has edited
   * and not yet sent (value differs from the last synced one) is left alone. ---- */

  function syncControls() {
    var table = document.getElementById("runs-table");
    var form = document.getElementById("table-controls");
    if (!table || !form || !table.dataset.query) return;
    var query = JSON.parse(table.dataset.query);
    ["q", "tag", "filter", "group"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field || field === document.activeElement) return;
      var wanted = query[name] || "";
      var editedByUser = field.tagName !== "SELECT" && field.value !== field.defaultValue && field.value !== wanted;
      if (editedByUser) return;
      field.value = wanted;
      if (field.tagName !== "SELECT") field.defaultValue = wanted;
    });
    var archived = form.elements.namedItem("archived");
    if (archived) archived.checked = archived.defaultChecked = query.archived === "1";
    var tag = form.querySelector(".tag-filter");
    if (tag) tag.classList.toggle("active", Boolean(query.tag));
    try { sessionStorage.setItem(TABLE_URL, location.pathname + location.search); } catch (error) { /* private mode */ }
  }

  /* ---- Column picker: find as you type, closes on Esc and on a click outside. ---- */

  function picker() {
    return document.querySelector(".column-picker");
  }

  function filterColumns(text) {
    var needle = text.trim().toLowerCase();
    var list = picker().querySelector(".column-list");
    var shown = 0;
    all(".column-group", list).forEach(function (group) {
      var inGroup = 0;
      all("label[data-column]", group).forEach(function (label) {
        var match = !needle || label.dataset.column.indexOf(needle) >= 0;
        label.hidden = !match;
        if (match) inGroup += 1;
      });
      group.hidden = inGroup === 0;
      shown += inGroup;
    });
    var none = list.querySelector(".column-none");
    if (none) none.hidden = shown > 0;
  }

  function closePicker(returnFocus) {
    var details = picker();
    if (!details || !details.open) return;
    details.open = false;
    if (returnFocus) details.querySelector("summary").focus();
  }

  /* ---- Inline rename: the box focuses its field when opened; Esc or closing it discards the typing
   * (so a held live refresh can resume); a successful save closes it. ---- */

  function onToggle(event) {
    var details = event.target;
    if (!details.matches) return;
    if (details.matches(".rename-inline")) {
      var field = details.querySelector("input[type=text]");
      if (details.open) {
        field.focus();
        field.select();
      } else if (field) {
        field.value = field.defaultValue;
      }
    }
    if (details.matches(".column-picker") && details.open) {
      var find = details.querySelector(".column-find");
      if (find) find.focus();
    }
  }

  function onSaved(event) {
    var form = event.detail.elt;
    if (!event.detail.successful || !form || !form.closest) return;
    var details = form.closest(".rename-inline");
    if (!details) return;
    details.open = false;
    var link = details.closest("tr").querySelector(".run-link");
    if (link) link.focus();
  }

  /* ---- The table scrolls inside the window, so its header can stick and the name column stay pinned
   * while wide tables scroll sideways (a sticky cell needs its scrolling box to be the table's own). ---- */

  function fitTable() {
    var box = document.querySelector("#runs-table .table-scroll");
    if (!box) return;
    var top = box.getBoundingClientRect().top + window.scrollY;
    var pager = document.querySelector("#runs-table .pager");
    var below = pager ? pager.offsetHeight + 8 : 16;
    box.style.maxHeight = Math.max(240, window.innerHeight - top - below) + "px";
  }

  /* ---- Events ---- */

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.matches && target.matches("#runs-table input.pick-run")) toggle(target, event);
    if (target.matches && target.matches("#runs-table input.pick-page")) pickPage(target);
    if (target.id === "clear-selection") {
      event.preventDefault();
      save([]);
    }
    var details = picker();
    if (details && details.open && !details.contains(target)) closePicker(false);
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Escape") {
      var details = picker();
      if (details && details.open && (details.contains(target) || target === document.body)) {
        event.preventDefault();
        closePicker(true);
        return;
      }
      var rename = target.closest && target.closest(".rename-inline");
      if (rename) {
        event.preventDefault();
        rename.open = false;
        rename.querySelector("summary").focus();
      }
    }
    // Enter in the column finder must not submit the controls form.
    if (event.key === "Enter" && target.matches && target.matches(".column-find")) event.preventDefault();
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches(".column-find")) filterColumns(event.target.value);
  });

  document.addEventListener("toggle", onToggle, true); // toggle does not bubble
  document.addEventListener("htmx:afterRequest", onSaved);
  window.addEventListener("resize", fitTable);

  function refreshed() {
    renderSelection();
    syncControls();
    fitTable();
  }

  document.addEventListener("DOMContentLoaded", refreshed);
  document.addEventListener("htmx:afterSettle", refreshed); // the table was re-rendered by a live update
})();
