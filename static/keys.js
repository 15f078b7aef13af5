/* Keyboard shortcuts, on every page:
 *   /        focus the page's search box (the first [data-search], else the first search field)
 *   j / k    move a row cursor down / up the run table;  Enter opens that run;  x selects it for compare
 *   g t      back to the run table (the last view of it in this tab, with its filters)
 *   ?        show the shortcuts;  Esc closes them
 *   ← / →    move between the run page's tabs, when one has focus
 * Keys typed into a field (or with Ctrl, Alt or Cmd) are left alone: shortcuts never eat typing; Esc
 * leaves the field. */
(function () {
  "use strict";

  var TABLE_URL = "sptweb.table-url"; // written by table.js
  var PREFIX_MS = 1500; // how long `g` waits for its second key
  var SHORTCUTS = [
    ["/", "Focus the search box"],
    ["j / k", "Next / previous run in the table"],
    ["Enter", "Open the run under the cursor"],
    ["x", "Select the run under the cursor for compare"],
    ["g then t", "Go to the run table"],
    ["?", "Show these shortcuts"],
    ["Esc", "Close this, a menu or a box"],
  ];

  var cursorId = null; // the run under the cursor, by id: it survives the table's live refreshes
  var pendingG = 0; // when `g` was pressed

  function isTyping(element) {
    if (!element || !element.tagName) return false;
    if (element.isContentEditable || element.tagName === "TEXTAREA" || element.tagName === "SELECT") return true;
    return element.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset|range|color|file)$/.test(element.type);
  }

  function visible(element) {
    return element.offsetParent !== null || element.getClientRects().length > 0;
  }

  /* ---- / ---- */

  function focusSearch() {
    var candidates = Array.prototype.slice.call(document.querySelectorAll("[data-search], input[type=search]"));
    var field = candidates.filter(visible)[0];
    if (!field) return false;
    field.focus();
    if (field.select) field.select();
    return true;
  }

  /* ---- j / k / Enter / x: a row cursor ---- */

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#runs-table tr.run-row"));
  }

  function cursorRow() {
    return rows().filter(function (row) { return row.dataset.runId === cursorId; })[0] || null;
  }

  function showCursor(scroll) {
    rows().forEach(function (row) {
      var here = row.dataset.runId === cursorId;
      row.classList.toggle("cursor", here);
      if (here) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
      if (here && scroll) row.scrollIntoView({ block: "nearest" });
    });
  }

  function moveCursor(step) {
    var all = rows();
    if (!all.length) return false;
    var at = all.indexOf(cursorRow());
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    cursorId = all[next].dataset.runId;
    showCursor(true);
    return true;
  }

  function openCursor() {
    var row = cursorRow();
    var link = row && row.querySelector("a.run-link");
    if (!link) return false;
    window.location.assign(link.href);
    return true;
  }

  function pickCursor() {
    var box = cursorRow() && cursorRow().querySelector("input.pick-run");
    if (!box) return false;
    box.click(); // table.js keeps the selection
    return true;
  }

  /* ---- g t ---- */

  function goToTable() {
    var url = null;
    try { url = sessionStorage.getItem(TABLE_URL); } catch (error) { /* private mode */ }
    var brand = document.querySelector(".topbar .brand");
    window.location.assign(url || (brand ? brand.getAttribute("href") : "/"));
  }

  /* ---- ? : the shortcuts overlay, a modal <dialog> (Esc closes it natively) ---- */

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function helpDialog() {
    var dialog = document.getElementById("shortcuts");
    if (dialog) return dialog;
    dialog = element("dialog", "shortcuts");
    dialog.id = "shortcuts";
    dialog.setAttribute("aria-labelledby", "shortcuts-title");
    var head = element("header");
    var title = element("h2", "", "Keyboard shortcuts");
    title.id = "shortcuts-title";
    var close = element("button", "close", "✕");
    close.type = "button";
    close.setAttribute("aria-label", "Close");
    close.addEventListener("click", function () { dialog.close(); });
    head.append(title, close);
    var list = element("dl");
    SHORTCUTS.forEach(function (entry) {
      var keys = element("dt");
      entry[0].split(" ").forEach(function (word) { // keys in <kbd>, the words between them as text
        keys.append(/^(then|\/)$/.test(word) ? " " + word + " " : element("kbd", "", word));
      });
      list.append(keys, element("dd", "", entry[1]));
    });
    var note = element("p", "muted", "Shortcuts are off while you type in a field.");
    dialog.append(head, list, note);
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close(); // a click on the backdrop
    });
    document.body.append(dialog);
    return dialog;
  }

  function showHelp() {
    var dialog = helpDialog();
    if (!dialog.open) dialog.showModal();
    return true;
  }

  /* ---- ← → between tabs (the ARIA tabs pattern) ---- */

  function moveTab(event) {
    var tab = event.target.closest && event.target.closest("[role=tab]");
    if (!tab || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return false;
    var tabs = Array.prototype.slice.call(tab.parentNode.querySelectorAll("[role=tab]"));
    var next = tabs[(tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    next.focus();
    return true;
  }

  function handle(event) {
    if (event.key === "g") {
      pendingG = Date.now();
      return true;
    }
    var afterG = Date.now() - pendingG < PREFIX_MS;
    pendingG = 0;
    if (afterG && event.key === "t") {
      goToTable();
      return true;
    }
    switch (event.key) {
      case "/": return focusSearch();
      case "?": return showHelp();
      case "j": return moveCursor(1);
      case "k": return moveCursor(-1);
      case "x": return pickCursor();
      case "Enter": return cursorId !== null && !isInteractive(event.target) && openCursor();
      default: return moveTab(event);
    }
  }

  // Enter on a link or button does what it says; only elsewhere does it open the cursor's run.
  function isInteractive(element) {
    return Boolean(element && element.closest && element.closest("a, button, summary, input, select, textarea"));
  }

  // Esc in a plain field (not in a box or menu that Esc closes) hands the keys back to the shortcuts.
  function leaveField(event) {
    var field = event.target;
    if (event.key !== "Escape" || !field.blur || field.closest("dialog, details, [role=dialog]")) return;
    field.blur();
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) {
      leaveField(event);
      return;
    }
    var dialog = document.getElementById("shortcuts");
    if (dialog && dialog.open) return; // the overlay is modal: Esc (native) or its button close it
    if (handle(event)) event.preventDefault();
  });

  // A live refresh re-renders the rows: put the cursor back on the same run.
  document.addEventListener("htmx:afterSettle", function () { if (cursorId !== null) showCursor(false); });
})();
