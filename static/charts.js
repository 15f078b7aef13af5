/* sptweb charts: the one client-side island. Draws metric panels with the vendored
 * uPlot from /api/metrics (run page, RUN_MODE) or /api/compare (COMPARE_MODE). The
 * server downsamples (min/max per pixel, so spikes survive) and smooths; this file only
 * draws, zooms, keeps chart options in the URL, and follows runs as their files change.
 */
(function () {
  "use strict";

  var CHART_HEIGHT = 220;
  var MIN_CHART_WIDTH = 200;
  var LIVE_DEBOUNCE_MS = 1000; // at most one live fetch a second, however fast a run logs
  var COMPARE_LIVE_MS = 5000; // compare charts re-fetch whole: less often
  var TOOLTIP_ROWS = 12;
  var NEAREST_SLOTS = 40; // how far (in half-pixels) the tooltip looks for a sparse run's point
  var MAX_POINTS_PER_PIXEL = 6; // past this, appended points trigger a fresh downsampled fetch
  var COLOR = "#2563eb";
  var RAW_UNDER_SMOOTH = "rgba(37, 99, 235, 0.22)";
  // Panels per /api/metrics request: under the server's limit on keys (200), and small
  // enough that a run with 1,000 metrics draws its first panels while the rest load.
  var KEYS_PER_REQUEST = 40;

  var page = null; // state of the metrics tab currently on screen

  // ---- what differs between the run page and the compare page -------------------
  // How panels are batched into requests and named in the URL, how a response is
  // drawn, and how the page follows runs that keep logging.
  var RUN_MODE = {
    liveMs: LIVE_DEBOUNCE_MS,
    batches: function (panels) { return chunks(panels, KEYS_PER_REQUEST); },
    // One `keys=` per metric: names may hold commas, spaces, # or %.
    nameSeries: function (params, panels) {
      panels.forEach(function (panel) { params.append("keys", panel.dataset.key); });
    },
    draw: function (panels, body) {
      panels.forEach(function (panel) {
        drawRun(panel, body.series[panel.dataset.key]);
        setCsvLink(panel);
      });
      noticeNewKeys(body.keys);
      showWarning(body.warning);
    },
    live: extendRun, // fetch only the points past the last x held, and append them
  };

  var COMPARE_MODE = {
    liveMs: COMPARE_LIVE_MS,
    // Many runs: one request per panel, all runs' curves for that metric.
    batches: function (panels) { return panels.map(function (panel) { return [panel]; }); },
    nameSeries: function (params, panels, opts) {
      params.set("key", panels[0].dataset.key);
      if (opts.group) params.set("group", opts.group);
      params.set("band", opts.band);
    },
    draw: function (panels, body) { drawCompare(panels[0], body); },
    // All runs share one x grid and groups are recomputed: nothing to append to, re-fetch whole.
    live: function () { loadPanels(visiblePanels()); },
  };

  function init() {
    var root = document.getElementById("run-metrics") || document.getElementById("compare-metrics");
    if (!root || !root.querySelector(".panel") || root.dataset.ready) return;
    root.dataset.ready = "1";
    page = {
      root: root,
      mode: root.dataset.mode === "compare" ? COMPARE_MODE : RUN_MODE,
      form: root.querySelector(".chart-controls"),
      charts: {}, // key -> {plot, panel, held}; held = the run page's series as drawn, for live appends
      sync: uPlot.sync("sptweb-metrics"),
      liveTimer: null,
      hovered: null, // the compare plot under the mouse: only it shows a tooltip
    };
    bindControls();
    applyFilter();
    loadVisible();
    window.addEventListener("resize", debounce(resizeAll, 150));
  }

  // ---- chart options <-> URL ------------------------------------------------

  function options() {
    var form = page.form;
    var params = new URLSearchParams(location.search);
    return {
      group: form.elements.group ? form.elements.group.value.trim() : "",
      band: form.elements.band ? form.elements.band.value : "std",
      x: form.elements.x.value,
      logy: form.elements.logy.checked,
      smooth: parseFloat(form.elements.smooth.value) || 0,
      smoothMode: form.elements.smooth_mode.value,
      xmin: numberOrNull(params.get("xmin")),
      xmax: numberOrNull(params.get("xmax")),
      filter: form.elements.mf.value.trim().toLowerCase(),
    };
  }

  function writeUrl(changes) {
    var params = new URLSearchParams(location.search);
    Object.keys(changes).forEach(function (name) {
      var value = changes[name];
      if (value === null || value === "" || value === false) params.delete(name);
      else params.set(name, value === true ? "1" : String(value));
    });
    history.replaceState(history.state, "", location.pathname + "?" + params.toString());
  }

  function bindControls() {
    var form = page.form;
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.elements.mf.addEventListener("input", function () {
      writeUrl({ mf: form.elements.mf.value.trim() });
      applyFilter();
      loadVisible();
    });
    form.elements.x.addEventListener("change", function () {
      writeUrl({ x: form.elements.x.value === "step" ? null : form.elements.x.value, xmin: null, xmax: null });
      reloadAll();
    });
    form.elements.logy.addEventListener("change", function () {
      writeUrl({ logy: form.elements.logy.checked });
      reloadAll();
    });
    var slider = form.elements.smooth;
    slider.addEventListener("input", function () {
      form.elements["smooth-value"].value = parseFloat(slider.value).toFixed(2);
    });
    slider.addEventListener("change", function () {
      writeUrl({ smooth: parseFloat(slider.value) > 0 ? slider.value : null });
      reloadAll();
    });
    form.elements.smooth_mode.addEventListener("change", function () {
      writeUrl({ smooth_mode: form.elements.smooth_mode.value === "ema" ? null : "time" });
      reloadAll();
    });
    form.elements["reset-zoom"].addEventListener("click", function () { zoom(null, null); });
    if (form.elements.group) {
      form.elements.group.addEventListener("change", function () {
        writeUrl({ group: form.elements.group.value.trim() });
        reloadAll();
      });
      form.elements.band.addEventListener("change", function () {
        writeUrl({ band: form.elements.band.value === "std" ? null : form.elements.band.value });
        reloadAll();
      });
    }
    page.root.querySelectorAll("details.metric-group").forEach(function (group) {
      group.addEventListener("toggle", function () {
        if (group.open) materialize(group);
        loadVisible();
      });
    });
  }

  // ---- which panels, and fetching their data ----------------------------------

  function applyFilter() {
    var filter = options().filter;
    page.root.querySelectorAll("details.metric-group[data-keys]").forEach(function (group) {
      var found = filter !== "" && JSON.parse(group.dataset.keys).some(function (key) {
        return key.toLowerCase().indexOf(filter) >= 0;
      });
      if (found) materialize(group);
    });
    page.root.querySelectorAll(".panel").forEach(function (panel) {
      panel.hidden = filter !== "" && panel.dataset.key.toLowerCase().indexOf(filter) < 0;
    });
    page.root.querySelectorAll("details.metric-group").forEach(function (group) {
      if (group.dataset.keys) { group.hidden = filter !== ""; return; } // not built: no key matched
      group.hidden = !group.querySelector(".panel:not([hidden])");
      if (filter !== "" && !group.hidden) group.open = true; // a name filter shows what it found
    });
  }

  function visiblePanels() {
    return Array.prototype.filter.call(page.root.querySelectorAll(".panel"), function (panel) {
      return !panel.hidden && panel.closest("details").open;
    });
  }

  function loadVisible() {
    var missing = visiblePanels().filter(function (panel) { return !page.charts[panel.dataset.key]; });
    if (missing.length) loadPanels(missing);
  }

  function reloadAll() {
    Object.keys(page.charts).forEach(function (key) { page.charts[key].plot.destroy(); });
    page.charts = {};
    page.form.elements["reset-zoom"].hidden = options().xmin === null && options().xmax === null;
    loadVisible();
  }

  function loadPanels(panels) {
    page.mode.batches(panels).forEach(function (batch) {
      fetchJson(seriesUrl(batch, {})).then(function (body) { page.mode.draw(batch, body); })
        .catch(function (error) { batch.forEach(function (panel) { showError(panel, error); }); });
    });
  }

  function seriesUrl(panels, extra) {
    var opts = options();
    var url = new URL(page.root.dataset.api, location.href);
    page.mode.nameSeries(url.searchParams, panels, opts);
    url.searchParams.set("x", opts.x);
    url.searchParams.set("points", String(Math.max(100, Math.round(panels[0].clientWidth || 600))));
    if (opts.smooth > 0) {
      url.searchParams.set("smooth", String(opts.smooth));
      url.searchParams.set("smooth_mode", opts.smoothMode);
    }
    if (opts.xmin !== null) url.searchParams.set("xmin", String(opts.xmin));
    if (opts.xmax !== null) url.searchParams.set("xmax", String(opts.xmax));
    Object.keys(extra).forEach(function (name) { url.searchParams.set(name, String(extra[name])); });
    return url;
  }

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || response.statusText);
        return body;
      });
    });
  }

  function showError(panel, error) {
    panel.querySelector(".chart").innerHTML = "";
    var note = document.createElement("p");
    note.className = "error-banner";
    note.textContent = "Could not load: " + error.message;
    panel.querySelector(".chart").appendChild(note);
  }

  // ---- the plot: one builder for both pages ---------------------------------------

  // `picture` comes from the mode: {data, series, bands?, plugins?}; `held` is kept for live updates.
  function plotPanel(panel, picture, held) {
    var opts = options();
    var holder = clearPanel(panel);
    var plot = new uPlot({
      width: Math.max(MIN_CHART_WIDTH, holder.clientWidth),
      height: CHART_HEIGHT,
      // x=wall (TensorBoard's wall time, epoch seconds) gets uPlot's date-time axis.
      scales: { x: { time: opts.x === "wall", range: zoomRange(opts) }, y: { distr: opts.logy ? 3 : 1 } },
      axes: [{ size: opts.x === "wall" ? 44 : 36 }, { size: 58, values: function (u, ticks) { return ticks.map(tickLabel); } }],
      series: picture.series,
      bands: picture.bands,
      plugins: picture.plugins,
      cursor: { sync: { key: page.sync.key }, drag: { x: true, y: false, setScale: false } },
      hooks: { setSelect: [onSelect] },
    }, picture.data, holder);
    plot.over.addEventListener("dblclick", function () { zoom(null, null); });
    page.charts[panel.dataset.key] = { plot: plot, panel: panel, held: held };
    bindPng(panel, plot);
  }

  function clearPanel(panel) {
    var chart = page.charts[panel.dataset.key];
    if (chart) chart.plot.destroy();
    var holder = panel.querySelector(".chart");
    holder.innerHTML = "";
    return holder;
  }

  function zoomRange(opts) {
    if (opts.xmin === null && opts.xmax === null) return undefined;
    return function (u, dataMin, dataMax) {
      return [opts.xmin !== null ? opts.xmin : dataMin, opts.xmax !== null ? opts.xmax : dataMax];
    };
  }

  function onSelect(plot) {
    var select = plot.select;
    if (select.width < 4) return;
    var lo = plot.posToVal(select.left, "x");
    var hi = plot.posToVal(select.left + select.width, "x");
    plot.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    zoom(lo, hi);
  }

  function zoom(lo, hi) {
    // Re-fetch the window from the server at full resolution: zooming in reveals real points.
    writeUrl({ xmin: lo === null ? null : roundX(lo), xmax: hi === null ? null : roundX(hi) });
    reloadAll();
  }

  function bindPng(panel, plot) {
    var link = panel.querySelector("a.png");
    link.onclick = function () {
      var source = plot.ctx.canvas;
      var canvas = document.createElement("canvas");
      canvas.width = source.width;
      canvas.height = source.height;
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(source, 0, 0);
      link.href = canvas.toDataURL("image/png");
    };
  }

  function resizeAll() {
    Object.keys(page.charts).forEach(function (key) {
      var plot = page.charts[key].plot;
      plot.setSize({ width: Math.max(MIN_CHART_WIDTH, plot.root.parentNode.clientWidth), height: CHART_HEIGHT });
    });
  }

  // ---- run page: one metric per panel, raw and smoothed, uPlot's own legend -----

  function drawRun(panel, series) {
    if (!series) return; // not in this response: leave the panel as it is
    if (!series.raw_count) {
      clearPanel(panel).innerHTML = '<p class="muted loading">no points logged yet</p>';
      delete page.charts[panel.dataset.key];
      return;
    }
    var smoothing = Boolean(series.smooth);
    var lines = [
      { label: options().x },
      { label: smoothing ? "raw" : panel.dataset.key, stroke: smoothing ? RAW_UNDER_SMOOTH : COLOR, width: 1, value: formatValue },
    ];
    if (smoothing) lines.push({ label: "smoothed", stroke: COLOR, width: 1.6, value: formatValue });
    plotPanel(panel, { data: columns(series, options().logy), series: lines }, series);
    showStats(panel, series);
  }

  function columns(series, logy) {
    var clean = function (values) { return values.map(function (v) { return v === null || (logy && v <= 0) ? null : v; }); };
    var data = [series.x, clean(series.y)];
    if (series.smooth) data.push(clean(series.smooth));
    return data;
  }

  function showStats(panel, series) {
    var stats = panel.querySelector(".stats");
    stats.textContent = "last " + fmt(series.last) + " · min " + fmt(series.min_value) + " · max " + fmt(series.max_value)
      + (series.downsampled ? " · " + series.count.toLocaleString() + " of " + series.raw_count.toLocaleString() + " pts" : "");
    stats.title = series.nonfinite ? series.nonfinite + " NaN/Inf points shown as gaps" : "";
  }

  function extendRun() {
    loadVisible(); // panels with no points yet get another try
    var keys = Object.keys(page.charts);
    if (!keys.length) return;
    var after = Math.min.apply(null, keys.map(function (key) { return lastX(page.charts[key].held); }));
    var panels = keys.map(function (key) { return page.charts[key].panel; });
    chunks(panels, KEYS_PER_REQUEST).forEach(function (batch) {
      fetchJson(seriesUrl(batch, isFinite(after) ? { after: after } : {})).then(function (body) {
        batch.forEach(function (panel) { appendPoints(panel, body.series[panel.dataset.key]); });
        noticeNewKeys(body.keys);
      }).catch(function () { /* the next change event retries */ });
    });
  }

  // Built here, not in the page: a run with 1,000 metrics would otherwise send 1,000 URLs it may never use.
  function setCsvLink(panel) {
    var link = panel.querySelector("a.csv");
    if (!link) return;
    var url = new URL(page.root.dataset.api, location.href);
    url.searchParams.append("keys", panel.dataset.key);
    url.searchParams.set("x", options().x);
    url.searchParams.set("format", "csv");
    link.href = url.pathname + url.search;
  }

  function showWarning(text) {
    var banner = page.root.querySelector(".metrics-warning");
    if (!banner || !text) return;
    banner.textContent = text;
    banner.hidden = false;
  }

  // A closed group of many panels arrives as its keys only: build its panels from the page's template.
  function materialize(group) {
    if (!group.dataset.keys) return;
    var keys = JSON.parse(group.dataset.keys);
    delete group.dataset.keys;
    var template = page.root.querySelector("template.panel-template").content.firstElementChild;
    var box = group.querySelector(".panels");
    keys.forEach(function (key) {
      var panel = template.cloneNode(true);
      panel.dataset.key = key;
      var title = panel.querySelector("h3");
      title.textContent = key;
      title.title = key;
      var png = panel.querySelector("a.png");
      if (png) png.setAttribute("download", png.getAttribute("download").replace("__KEY__", key.replace(/\//g, "_")));
      box.appendChild(panel);
    });
  }

  function chunks(items, size) {
    var out = [];
    for (var start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
    return out;
  }

  function appendPoints(panel, fresh) {
    var chart = page.charts[panel.dataset.key];
    if (!chart || !fresh) return;
    var held = chart.held;
    var from = lastX(held);
    var start = 0;
    while (start < fresh.x.length && fresh.x[start] <= from) start++;
    if (start === fresh.x.length) return;
    ["x", "y", "smooth"].forEach(function (name) {
      if (held[name] && fresh[name]) held[name] = held[name].concat(fresh[name].slice(start));
    });
    ["last", "last_x", "raw_count", "nonfinite", "min_value", "max_value"].forEach(function (name) { held[name] = fresh[name]; });
    if (held.x.length > MAX_POINTS_PER_PIXEL * panel.clientWidth) {
      loadPanels([panel]); // too dense to keep appending: ask for a fresh downsampled picture
      return;
    }
    chart.plot.setData(columns(held, options().logy));
    showStats(panel, held);
    page.form.querySelector(".live-note").textContent = "● live · updated " + new Date().toLocaleTimeString();
  }

  function noticeNewKeys(keys) {
    if (!keys) return;
    var known = {};
    page.root.querySelectorAll(".panel").forEach(function (panel) { known[panel.dataset.key] = true; });
    var fresh = (keys || []).filter(function (key) { return !known[key]; });
    var note = page.form.querySelector(".live-note");
    note.textContent = fresh.length ? "new metrics: " + fresh.join(", ") + " (reload to show)" : note.textContent;
  }

  // ---- compare page: many runs (or groups) in one chart, a tooltip for a legend --

  function drawCompare(panel, body) {
    var picture = { data: [body.x], series: [{ label: options().x }], bands: [], labels: [] };
    var note = body.groups ? addGroups(picture, body) : addRuns(picture, body);
    picture.plugins = [tooltipPlugin(picture.labels)];
    plotPanel(panel, picture, null);
    var holder = panel.querySelector(".chart");
    holder.dataset.lines = String(picture.labels.length); // for tests and curious readers of the DOM
    holder.dataset.bands = String(picture.bands.length);
    panel.querySelector(".stats").textContent = note;
  }

  // One line per run; returns the panel's note.
  function addRuns(picture, body) {
    var logy = options().logy;
    body.runs.forEach(function (run) {
      var gaps = {};
      run.gaps.forEach(function (index) { gaps[index] = true; });
      // null = no point in this slot (the line spans it); a NaN/Inf gap must break the line.
      var y = run.y.map(function (v, i) { return gaps[i] ? null : (v === null || (logy && v <= 0) ? undefined : v); });
      var column = addLine(picture, y, { label: run.name, stroke: run.color, width: 1.3, value: formatValue });
      picture.labels.push({ name: run.name, color: run.color, column: column });
    });
    return body.runs.length + " runs" + (body.missing.length ? " · " + body.missing.length + " without this metric" : "");
  }

  // Per group a mean line and a band between two invisible edges; returns the panel's note.
  function addGroups(picture, body) {
    var logy = options().logy;
    var clean = function (values) { return values.map(function (v) { return v === null || (logy && v <= 0) ? undefined : v; }); };
    body.groups.forEach(function (group) {
      var name = group.label + " (n=" + group.size + ")";
      var mean = addLine(picture, clean(group.mean), { label: name, stroke: group.color, width: 2, value: formatValue });
      var hi = addLine(picture, clean(group.hi), { label: "hi", stroke: "transparent", width: 0, points: { show: false } });
      var lo = addLine(picture, clean(group.lo), { label: "lo", stroke: "transparent", width: 0, points: { show: false } });
      picture.bands.push({ series: [hi, lo], fill: translucent(group.color) });
      picture.labels.push({ name: name, color: group.color, column: mean });
    });
    return body.groups.length + " groups by " + (body.group_keys.join(", ") || "nothing") + " · band: " + (body.band === "std" ? "mean ± std" : "min–max");
  }

  // Adds a uPlot series and its data column; returns the column's index.
  function addLine(picture, values, series) {
    picture.series.push(series);
    return picture.data.push(values) - 1;
  }

  // uPlot's legend would list every run under every chart: a tooltip lists them at the cursor
  // instead. Cursors are synced across panels, but only the panel under the mouse lists values.
  function tooltipPlugin(labels) {
    var tooltip = document.createElement("div");
    tooltip.className = "compare-tooltip";
    tooltip.hidden = true;
    return {
      opts: function (u, opts) { opts.legend = { show: false }; opts.cursor.points = { show: false }; },
      hooks: {
        init: [function (u) {
          u.over.appendChild(tooltip);
          u.over.addEventListener("mouseenter", function () { page.hovered = u; });
          u.over.addEventListener("mouseleave", function () { page.hovered = null; tooltip.hidden = true; });
        }],
        setCursor: [function (u) { showTooltip(u, tooltip, labels); }],
      },
    };
  }

  // Hover: every run's (or group's) value at this x, largest first.
  function showTooltip(u, tooltip, labels) {
    var idx = u.cursor.idx;
    if (page.hovered !== u || idx === null || idx === undefined || u.cursor.left < 0) { tooltip.hidden = true; return; }
    var rows = labels.map(function (label) { return { label: label, value: valueNear(u.data[label.column], idx) }; })
      .filter(function (row) { return row.value !== null && row.value !== undefined; })
      .sort(function (a, b) { return b.value - a.value; });
    if (!rows.length) { tooltip.hidden = true; return; }
    tooltip.innerHTML = "";
    var head = document.createElement("div");
    head.textContent = options().x + " " + fmt(u.data[0][idx]);
    tooltip.appendChild(head);
    rows.slice(0, TOOLTIP_ROWS).forEach(function (row) {
      var line = document.createElement("div");
      var mark = document.createElement("i");
      mark.style.background = row.label.color;
      line.appendChild(mark);
      line.appendChild(document.createTextNode(fmt(row.value) + "  " + row.label.name));
      tooltip.appendChild(line);
    });
    if (rows.length > TOOLTIP_ROWS) {
      var more = document.createElement("div");
      more.textContent = "… " + (rows.length - TOOLTIP_ROWS) + " more";
      tooltip.appendChild(more);
    }
    tooltip.hidden = false;
    var left = u.cursor.left + 14;
    tooltip.style.left = (left + 240 > u.over.clientWidth ? u.cursor.left - 250 : left) + "px";
    tooltip.style.top = "4px";
  }

  // A sparse run (validation every N steps) has no point in most slots: show its nearest one.
  function valueNear(column, idx) {
    for (var offset = 0; offset <= NEAREST_SLOTS; offset++) {
      var left = column[idx - offset];
      if (left !== undefined && left !== null) return left;
      var right = column[idx + offset];
      if (right !== undefined && right !== null) return right;
    }
    return null;
  }

  function translucent(color) {
    return color.replace("hsl(", "hsla(").replace(")", ", 0.16)");
  }

  // ---- live updates -------------------------------------------------------------

  // The htmx SSE extension owns the page's EventSource; listen on it for the
  // `run-files` event (a run's metrics.csv grew) and let the mode catch up.
  document.addEventListener("htmx:sseOpen", function (event) {
    event.detail.source.addEventListener("run-files", scheduleLive);
  });

  function scheduleLive() {
    if (!page || page.liveTimer) return;
    page.liveTimer = setTimeout(function () {
      page.liveTimer = null;
      if (options().xmax === null) page.mode.live(); // a zoomed window is a fixed picture
    }, page.mode.liveMs);
  }

  // ---- small helpers --------------------------------------------------------------

  function lastX(series) {
    return series.x.length ? series.x[series.x.length - 1] : -Infinity;
  }

  function formatValue(u, value) {
    return value === null || value === undefined ? "—" : fmt(value);
  }

  // The run table's format (Python's "%.6g"), so a number reads the same in a table cell and a panel.
  function fmt(value) {
    if (value === null || value === undefined) return "—";
    if (!isFinite(value)) return isNaN(value) ? "NaN" : (value > 0 ? "∞" : "-∞");
    if (value === 0) return "0";
    var exponent = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(6)))));
    if (exponent >= -4 && exponent < 6) return String(Number(value.toPrecision(6)));
    var parts = value.toExponential(5).split("e");
    var mantissa = parts[0].indexOf(".") >= 0 ? parts[0].replace(/\.?0+$/, "") : parts[0];
    var power = Number(parts[1]);
    return mantissa + "e" + (power < 0 ? "-" : "+") + (Math.abs(power) < 10 ? "0" : "") + Math.abs(power);
  }

  function tickLabel(value) {
    return value === null ? "" : String(Number(value.toPrecision(4)));
  }

  function roundX(value) {
    return Number(value.toPrecision(8));
  }

  function numberOrNull(raw) {
    if (raw === null || raw === "") return null;
    var value = Number(raw);
    return isFinite(value) ? value : null;
  }

  function debounce(action, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(action, ms);
    };
  }

  document.addEventListener("DOMContentLoaded", init);
  // The tab is swapped in by htmx when a run writes its first metrics.csv.
  document.addEventListener("htmx:afterSettle", init);
})();
