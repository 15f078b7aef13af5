/* sptweb charts: the one client-side island. Draws metric panels with the
 * vendored uPlot from /api/metrics. The server downsamples (min/max per pixel,
 * so spikes survive) and smooths; this file only draws, zooms, keeps chart
 * options in the URL, and extends curves when the run's files change.
 */
(function () {
  "use strict";

  var CHART_HEIGHT = 220;
  var LIVE_DEBOUNCE_MS = 1000; // at most one live fetch a second, however fast a run logs
  var COMPARE_LIVE_MS = 5000; // compare charts re-fetch whole: less often
  var TOOLTIP_ROWS = 12;
  var NEAREST_SLOTS = 40; // how far (in half-pixels) the tooltip looks for a sparse run's point
  var MAX_POINTS_PER_PIXEL = 6; // past this, appended points trigger a fresh downsampled fetch
  var COLOR = "#2563eb";
  var RAW_UNDER_SMOOTH = "rgba(37, 99, 235, 0.22)";

  var page = null; // state of the metrics tab currently on screen

  function init() {
    var root = document.getElementById("run-metrics") || document.getElementById("compare-metrics");
    if (!root || !root.querySelector(".panel") || root.dataset.ready) return;
    root.dataset.ready = "1";
    page = {
      root: root,
      compare: root.dataset.mode === "compare",
      form: root.querySelector(".chart-controls"),
      charts: {}, // key -> {plot, data, stats}
      sync: uPlot.sync("sptweb-metrics"),
      liveTimer: null,
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
      group.addEventListener("toggle", loadVisible);
    });
  }

  // ---- which panels, and fetching their data ----------------------------------

  function applyFilter() {
    var filter = options().filter;
    page.root.querySelectorAll(".panel").forEach(function (panel) {
      panel.hidden = filter !== "" && panel.dataset.key.toLowerCase().indexOf(filter) < 0;
    });
    page.root.querySelectorAll("details.metric-group").forEach(function (group) {
      group.hidden = !group.querySelector(".panel:not([hidden])");
    });
  }

  function visiblePanels() {
    return Array.prototype.filter.call(page.root.querySelectorAll(".panel"), function (panel) {
      return !panel.hidden && panel.closest("details").open;
    });
  }

  function loadVisible() {
    var missing = visiblePanels().filter(function (panel) { return !page.charts[panel.dataset.key]; });
    if (!missing.length) return;
    if (page.compare) missing.forEach(function (panel) { fetchCompare(panel); });
    else fetchAndDraw(missing, {});
  }

  function reloadAll() {
    Object.keys(page.charts).forEach(function (key) { page.charts[key].plot.destroy(); });
    page.charts = {};
    page.form.elements["reset-zoom"].hidden = options().xmin === null && options().xmax === null;
    loadVisible();
  }

  function seriesUrl(panels, extra) {
    var opts = options();
    var url = new URL(page.root.dataset.api, location.href);
    if (page.compare) {
      url.searchParams.set("key", panels[0].dataset.key);
      if (opts.group) url.searchParams.set("group", opts.group);
      url.searchParams.set("band", opts.band);
    } else {
      url.searchParams.set("keys", panels.map(function (panel) { return panel.dataset.key; }).join(","));
    }
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

  function fetchAndDraw(panels, extra) {
    return fetchJson(seriesUrl(panels, extra)).then(function (body) {
      panels.forEach(function (panel) {
        var series = body.series[panel.dataset.key];
        if (series) draw(panel, series);
      });
      noticeNewKeys(body.keys);
    }).catch(function (error) { panels.forEach(function (panel) { showError(panel, error); }); });
  }

  function showError(panel, error) {
    panel.querySelector(".chart").innerHTML = "";
    var note = document.createElement("p");
    note.className = "error-banner";
    note.textContent = "Could not load: " + error.message;
    panel.querySelector(".chart").appendChild(note);
  }

  // ---- drawing ----------------------------------------------------------------

  function columns(series, logy) {
    var clean = function (values) {
      return values.map(function (v) { return v === null || (logy && v <= 0) ? null : v; });
    };
    var data = [series.x, clean(series.y)];
    if (series.smooth) data.push(clean(series.smooth));
    return data;
  }

  function draw(panel, series) {
    var key = panel.dataset.key;
    var opts = options();
    var holder = panel.querySelector(".chart");
    if (page.charts[key]) page.charts[key].plot.destroy();
    holder.innerHTML = "";
    if (!series.raw_count) {
      delete page.charts[key];
      holder.innerHTML = '<p class="muted loading">no points logged yet</p>';
      return;
    }
    var smoothing = Boolean(series.smooth);
    var plotSeries = [
      { label: opts.x },
      { label: smoothing ? "raw" : key, stroke: smoothing ? RAW_UNDER_SMOOTH : COLOR, width: 1, value: formatValue },
    ];
    if (smoothing) plotSeries.push({ label: "smoothed", stroke: COLOR, width: 1.6, value: formatValue });
    var plot = new uPlot({
      width: Math.max(200, holder.clientWidth),
      height: CHART_HEIGHT,
      scales: {
        x: { time: false, range: zoomRange(opts) },
        y: { distr: opts.logy ? 3 : 1 },
      },
      axes: [{ size: 36 }, { size: 58, values: function (u, ticks) { return ticks.map(tickLabel); } }],
      series: plotSeries,
      cursor: { sync: { key: page.sync.key }, drag: { x: true, y: false, setScale: false } },
      legend: { live: true },
      hooks: { setSelect: [onSelect] },
    }, columns(series, opts.logy), holder);
    plot.over.addEventListener("dblclick", function () { zoom(null, null); });
    page.charts[key] = { plot: plot, series: series };
    showStats(panel, series);
    bindPng(panel, plot);
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

  function showStats(panel, series) {
    var stats = panel.querySelector(".stats");
    stats.textContent = "last " + fmt(series.last) + " · min " + fmt(series.min_value) + " · max " + fmt(series.max_value)
      + (series.downsampled ? " · " + series.count.toLocaleString() + " of " + series.raw_count.toLocaleString() + " pts" : "");
    stats.title = series.nonfinite ? series.nonfinite + " NaN/Inf points shown as gaps" : "";
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
      var chart = page.charts[key];
      var holder = chart.plot.root.parentNode;
      chart.plot.setSize({ width: Math.max(200, holder.clientWidth), height: CHART_HEIGHT });
    });
  }


  // ---- compare: many runs (or groups) in one chart -------------------------------

  function fetchCompare(panel) {
    return fetchJson(seriesUrl([panel], {})).then(function (body) {
      if (body.groups) drawGroups(panel, body);
      else drawOverlay(panel, body);
    }).catch(function (error) { showError(panel, error); });
  }

  function drawOverlay(panel, body) {
    var logy = options().logy;
    var data = [body.x];
    var series = [{ label: options().x }];
    body.runs.forEach(function (run) {
      var gaps = {};
      run.gaps.forEach(function (index) { gaps[index] = true; });
      // null = no point in this slot (the line spans it); a NaN/Inf gap must break the line.
      data.push(run.y.map(function (v, i) { return gaps[i] ? null : (v === null || (logy && v <= 0) ? undefined : v); }));
      series.push({ label: run.name, stroke: run.color, width: 1.3, value: formatValue });
    });
    var labels = body.runs.map(function (run, i) { return { name: run.name, color: run.color, column: i + 1 }; });
    var note = body.runs.length + " runs" + (body.missing.length ? " · " + body.missing.length + " without this metric" : "");
    compareChart(panel, data, series, [], labels, note);
  }

  function drawGroups(panel, body) {
    var logy = options().logy;
    var data = [body.x];
    var series = [{ label: options().x }];
    var bands = [];
    var labels = [];
    body.groups.forEach(function (group) {
      var clean = function (values) { return values.map(function (v) { return v === null || (logy && v <= 0) ? undefined : v; }); };
      var mean = data.push(clean(group.mean)) - 1;
      series.push({ label: group.label + " (n=" + group.size + ")", stroke: group.color, width: 2, value: formatValue });
      var hi = data.push(clean(group.hi)) - 1;
      series.push({ label: "hi", stroke: "transparent", width: 0, points: { show: false } });
      var lo = data.push(clean(group.lo)) - 1;
      series.push({ label: "lo", stroke: "transparent", width: 0, points: { show: false } });
      bands.push({ series: [hi, lo], fill: translucent(group.color) });
      labels.push({ name: group.label + " (n=" + group.size + ")", color: group.color, column: mean });
    });
    var note = body.groups.length + " groups by " + (body.group_keys.join(", ") || "nothing") + " · band: " + (body.band === "std" ? "mean ± std" : "min–max");
    compareChart(panel, data, series, bands, labels, note);
  }

  function compareChart(panel, data, series, bands, labels, note) {
    var key = panel.dataset.key;
    var opts = options();
    var holder = panel.querySelector(".chart");
    if (page.charts[key]) page.charts[key].plot.destroy();
    holder.innerHTML = "";
    var tooltip = document.createElement("div");
    tooltip.className = "compare-tooltip";
    tooltip.hidden = true;
    var plot = new uPlot({
      width: Math.max(200, holder.clientWidth),
      height: CHART_HEIGHT,
      scales: { x: { time: false, range: zoomRange(opts) }, y: { distr: opts.logy ? 3 : 1 } },
      axes: [{ size: 36 }, { size: 58, values: function (u, ticks) { return ticks.map(tickLabel); } }],
      series: series,
      bands: bands,
      legend: { show: false },
      cursor: { sync: { key: page.sync.key }, drag: { x: true, y: false, setScale: false }, points: { show: false } },
      hooks: {
        setSelect: [onSelect],
        setCursor: [function (u) { showTooltip(u, tooltip, labels); }],
      },
    }, data, holder);
    plot.over.appendChild(tooltip);
    plot.over.addEventListener("dblclick", function () { zoom(null, null); });
    // Cursors are synced across panels, but only the panel under the mouse lists values.
    plot.over.addEventListener("mouseenter", function () { page.hovered = plot; });
    plot.over.addEventListener("mouseleave", function () { page.hovered = null; tooltip.hidden = true; });
    page.charts[key] = { plot: plot, series: null };
    holder.dataset.lines = String(labels.length); // for tests and curious readers of the DOM
    holder.dataset.bands = String(bands.length);
    panel.querySelector(".stats").textContent = note;
    bindPng(panel, plot);
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

  // The htmx SSE extension owns the page's EventSource; listen on it for this run's
  // `run-files` event (metrics.csv grew) and fetch only points past the last x held.
  document.addEventListener("htmx:sseOpen", function (event) {
    event.detail.source.addEventListener("run-files", scheduleLive);
  });

  function scheduleLive() {
    if (!page || page.liveTimer) return;
    var wait = page.compare ? COMPARE_LIVE_MS : LIVE_DEBOUNCE_MS;
    page.liveTimer = setTimeout(function () { page.liveTimer = null; extendLive(); }, wait);
  }

  function extendLive() {
    var opts = options();
    if (opts.xmax !== null) return; // a zoomed window is a fixed picture
    if (page.compare) { visiblePanels().forEach(function (panel) { fetchCompare(panel); }); return; }
    loadVisible(); // panels with no points yet get another try
    var keys = Object.keys(page.charts);
    if (!keys.length) return;
    var after = Math.min.apply(null, keys.map(function (key) { return lastX(page.charts[key].series); }));
    var panels = keys.map(function (key) { return panelFor(key); }).filter(Boolean);
    fetchJson(seriesUrl(panels, isFinite(after) ? { after: after } : {})).then(function (body) {
      panels.forEach(function (panel) { appendPoints(panel, body.series[panel.dataset.key]); });
      noticeNewKeys(body.keys);
    }).catch(function () { /* the next change event retries */ });
  }

  function appendPoints(panel, fresh) {
    var chart = page.charts[panel.dataset.key];
    if (!chart || !fresh) return;
    var held = chart.series;
    var from = held.x.length ? held.x[held.x.length - 1] : -Infinity;
    var start = 0;
    while (start < fresh.x.length && fresh.x[start] <= from) start++;
    if (start === fresh.x.length) return;
    ["x", "y", "smooth"].forEach(function (name) {
      if (held[name] && fresh[name]) held[name] = held[name].concat(fresh[name].slice(start));
    });
    ["last", "last_x", "raw_count", "nonfinite"].forEach(function (name) { held[name] = fresh[name]; });
    held.min_value = fresh.min_value;
    held.max_value = fresh.max_value;
    if (held.x.length > MAX_POINTS_PER_PIXEL * panel.clientWidth) {
      fetchAndDraw([panel], {}); // too dense to keep appending: ask for a fresh downsampled picture
      return;
    }
    chart.plot.setData(columns(held, options().logy));
    showStats(panel, held);
    flashLive();
  }

  function noticeNewKeys(keys) {
    if (!keys) return;
    var known = {};
    page.root.querySelectorAll(".panel").forEach(function (panel) { known[panel.dataset.key] = true; });
    var fresh = (keys || []).filter(function (key) { return !known[key]; });
    var note = page.form.querySelector(".live-note");
    note.textContent = fresh.length ? "new metrics: " + fresh.join(", ") + " (reload to show)" : note.textContent;
  }

  function flashLive() {
    var note = page.form.querySelector(".live-note");
    note.textContent = "● live · updated " + new Date().toLocaleTimeString();
  }

  // ---- small helpers --------------------------------------------------------------

  function panelFor(key) {
    return Array.prototype.find.call(page.root.querySelectorAll(".panel"), function (panel) {
      return panel.dataset.key === key;
    });
  }

  function lastX(series) {
    return series.x.length ? series.x[series.x.length - 1] : -Infinity;
  }

  function formatValue(u, value) {
    return value === null || value === undefined ? "—" : fmt(value);
  }

  function fmt(value) {
    if (value === null || value === undefined) return "—";
    var magnitude = Math.abs(value);
    if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return value.toExponential(3);
    return String(Number(value.toPrecision(5)));
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
