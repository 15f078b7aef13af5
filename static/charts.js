/* sptweb charts: the one client-side island. Draws metric panels with the vendored
 * uPlot from /api/metrics (run page, RUN_MODE) or /api/compare (COMPARE_MODE). The
 * server downsamples (min/max per pixel, so spikes survive) and smooths; this file
 * draws, zooms, keeps chart options in the URL, and follows runs as their files change.
 *
 * A drawn chart is a "view": a uPlot plus its legend (the names of what is drawn, their
 * colours, and the values under the cursor). Every panel has one; a panel opened large
 * gets another in a dialog. Colours come from the page's CSS variables (--ink, --grid,
 * --series-0 … --series-19, see static/charts.css), so charts redraw when the theme
 * changes and runs keep the palette slot the server gave them (sptweb/query/colors.py).
 */
(function () {
  "use strict";

  var HEIGHTS = { s: 170, m: 230, l: 320 }; // plot height per panel size (the URL's size=)
  var MIN_CHART_WIDTH = 200;
  var LIVE_DEBOUNCE_MS = 1000; // at most one live fetch a second, however fast a run logs
  var COMPARE_LIVE_MS = 5000; // compare charts re-fetch whole: less often
  var TOOLTIP_ROWS = 12;
  var NEAREST_SLOTS = 40; // how far (in half-pixels) hover looks for a sparse run's point
  var MAX_POINTS_PER_PIXEL = 6; // past this, appended points trigger a fresh downsampled fetch
  var HOVER_PX = 10; // a line this close to the cursor is "hovered": it is highlighted, the rest dimmed
  var DIM_ALPHA = 0.15;
  // The raw line behind a smoothed one: its colour mixed this far towards the panel's background. A tint,
  // not transparency: min/max-downsampled raw data zig-zags, and overlapping translucent strokes add up to solid.
  var RAW_TINT = 0.72;
  var BAND_ALPHA = 0.16;
  var OUTLIER_QUANTILES = [0.01, 0.99]; // "ignore outliers": y from the 1st to the 99th percentile, padded
  var PNG_SCALE = 2; // exported images: twice the panel's size in CSS pixels
  // Panels per /api/metrics request: under the server's limit on keys (200), and small
  // enough that a run with 1,000 metrics draws its first panels while the rest load.
  var KEYS_PER_REQUEST = 40;

  var page = null; // state of the metrics tab currently on screen

  // ---- what differs between the run page and the compare page -------------------
  // How panels are batched into requests and named in the URL, what one response
  // means for one panel, how a panel's data becomes lines, and how the page follows
  // runs that keep logging.
  var RUN_MODE = {
    shared: false, // legend entries ("raw", "smoothed") belong to one panel
    liveMs: LIVE_DEBOUNCE_MS,
    batches: function (panels) { return chunks(panels, KEYS_PER_REQUEST); },
    // One `keys=` per metric: names may hold commas, spaces, # or %.
    nameSeries: function (params, panels) {
      panels.forEach(function (panel) { params.append("keys", panel.dataset.key); });
    },
    sourceOf: function (panel, body) { return body.series[panel.dataset.key]; },
    draw: function (panels, body) {
      panels.forEach(function (panel) {
        drawPanel(panel, body.series[panel.dataset.key]);
        setCsvLink(panel);
      });
      noticeNewKeys(body.keys);
      showWarning(body.warning);
    },
    picture: runPicture,
    stats: runStats,
    live: extendRun, // fetch only the points past the last x held, and append them
  };

  var COMPARE_MODE = {
    shared: true, // a run (or group) is the same entry in every panel: highlight and hide it everywhere
    liveMs: COMPARE_LIVE_MS,
    // Many runs: one request per panel, all runs' curves for that metric.
    batches: function (panels) { return panels.map(function (panel) { return [panel]; }); },
    nameSeries: function (params, panels, opts) {
      params.set("key", panels[0].dataset.key);
      if (opts.group) params.set("group", opts.group);
      params.set("band", opts.band);
    },
    sourceOf: function (panel, body) { return body; },
    draw: function (panels, body) {
      drawPanel(panels[0], body);
      if (body.groups) showGroupSummary(body);
    },
    picture: comparePicture,
    stats: compareStats,
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
      charts: {}, // key -> {view, panel, source}; source = what the panel was drawn from (kept for live appends and redraws)
      large: null, // the panel opened large: {panel, dialog, view, xmin, xmax}
      sync: uPlot.sync("sptweb-metrics"),
      liveTimer: null,
      hovered: null, // the view under the mouse: only it shows a tooltip
      highlighted: null, // compare: the entry (run or group) highlighted in every panel
      hidden: {}, // compare: entries hidden in every panel (legend clicks)
      groupSummaryRuns: -1, // compare: how many runs the group summary above the panels was built from
    };
    bindControls();
    bindRunList();
    applyFilter();
    loadVisible();
    window.addEventListener("resize", debounce(resizeAll, 150));
  }

  // ---- chart options <-> URL ------------------------------------------------

  function options() {
    var form = page.form;
    var params = new URLSearchParams(location.search);
    var size = form.querySelector("input[name=size]:checked");
    return {
      group: form.elements.group ? form.elements.group.value.trim() : "",
      band: form.elements.band ? form.elements.band.value : "std",
      x: form.elements.x.value,
      logy: form.elements.logy.checked,
      // null: automatic, per series (query/charts.py: 0.6 on dense train series, none on sparse ones)
      smooth: params.has("smooth") ? parseFloat(form.elements.smooth.value) || 0 : null,
      smoothMode: form.elements.smooth_mode.value,
      xmin: numberOrNull(params.get("xmin")),
      xmax: numberOrNull(params.get("xmax")),
      outliers: form.elements.outliers.checked,
      ymin: numberOrNull(form.elements.ymin.value),
      ymax: numberOrNull(form.elements.ymax.value),
      size: size ? size.value : "m",
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
    var on = function (name, type, action) { form.elements[name].addEventListener(type, action); };
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    on("mf", "input", function () {
      writeUrl({ mf: form.elements.mf.value.trim() });
      applyFilter();
      loadVisible();
    });
    on("x", "change", function () {
      writeUrl({ x: form.elements.x.value === "step" ? null : form.elements.x.value, xmin: null, xmax: null });
      reloadAll();
    });
    on("logy", "change", function () {
      writeUrl({ logy: form.elements.logy.checked });
      redrawAll();
    });
    on("outliers", "change", function () {
      writeUrl({ outliers: form.elements.outliers.checked });
      redrawAll();
    });
    ["ymin", "ymax"].forEach(function (name) {
      on(name, "change", function () {
        var value = numberOrNull(form.elements[name].value);
        var change = {};
        change[name] = value === null ? null : value;
        writeUrl(change);
        redrawAll();
      });
    });
    bindSmoothing(form);
    form.querySelectorAll("input[name=size]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        writeUrl({ size: radio.value === "m" ? null : radio.value });
        page.root.classList.remove("size-s", "size-m", "size-l");
        page.root.classList.add("size-" + radio.value);
        reloadAll(); // wider panels want more points: fetch at the new width
      });
    });
    form.elements["reset-zoom"].addEventListener("click", function () { zoom(null, null); });
    if (form.elements.group) {
      on("group", "change", function () {
        writeUrl({ group: form.elements.group.value.trim() });
        page.hidden = {};
        page.highlighted = null;
        page.groupSummaryRuns = -1;
        showGroupSummary(null);
        reloadAll();
      });
      on("band", "change", function () {
        writeUrl({ band: form.elements.band.value === "std" ? null : form.elements.band.value });
        page.groupSummaryRuns = -1;
        reloadAll();
      });
    }
    page.root.querySelectorAll("details.metric-group").forEach(function (group) {
      group.addEventListener("toggle", function () {
        if (group.open) materialize(group);
        loadVisible();
      });
    });
    page.root.addEventListener("click", function (event) {
      var button = event.target.closest("button.expand");
      if (button) openLarge(button.closest(".panel"));
    });
  }

  // The slider sets an explicit weight for every series (smooth=0 included: off); "auto" goes back to
  // the per-series default, which the URL says by having no smooth= at all.
  function bindSmoothing(form) {
    var slider = form.elements.smooth;
    var auto = form.elements["smooth-auto"];
    slider.addEventListener("input", function () {
      form.elements["smooth-value"].value = parseFloat(slider.value).toFixed(2);
    });
    slider.addEventListener("change", function () {
      writeUrl({ smooth: String(parseFloat(slider.value)) });
      auto.hidden = false;
      reloadAll();
    });
    auto.addEventListener("click", function () {
      writeUrl({ smooth: null });
      slider.value = "0.6";
      form.elements["smooth-value"].value = "auto";
      auto.hidden = true;
      reloadAll();
    });
    form.elements.smooth_mode.addEventListener("change", function () {
      writeUrl({ smooth_mode: form.elements.smooth_mode.value === "ema" ? null : "time" });
      reloadAll();
    });
  }

  // The compare page's run list (and group list) highlight what they name on hover, like a legend.
  function bindRunList() {
    if (!page.mode.shared) return;
    var lists = [document.querySelector(".run-legend"), page.root.querySelector(".group-legend")];
    lists.forEach(function (list) {
      if (!list) return;
      list.addEventListener("mouseover", function (event) {
        var item = event.target.closest("[data-run-id], [data-entry]");
        if (item) highlight(null, item.dataset.entry || item.dataset.runId);
      });
      list.addEventListener("mouseleave", function () { highlight(null, null); });
      list.addEventListener("click", function (event) {
        var item = event.target.closest("li[data-entry]");
        if (item) toggleHidden(null, item.dataset.entry);
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
    Object.keys(page.charts).forEach(function (key) { page.charts[key].view.plot.destroy(); });
    page.charts = {};
    page.form.elements["reset-zoom"].hidden = options().xmin === null && options().xmax === null;
    loadVisible();
  }

  // Options drawn on the client (log y, y range, theme): redraw from the data held, no fetch.
  function redrawAll() {
    Object.keys(page.charts).forEach(function (key) {
      var chart = page.charts[key];
      drawPanel(chart.panel, chart.source);
    });
    if (page.large && page.large.source) drawLarge(page.large.source);
  }

  function loadPanels(panels) {
    page.mode.batches(panels).forEach(function (batch) {
      fetchJson(seriesUrl(batch, {})).then(function (body) { page.mode.draw(batch, body); })
        .catch(function (error) { batch.forEach(function (panel) { showError(panel, error); }); });
    });
  }

  // `extra` overrides the page's options; a null value removes one (a large view's own zoom).
  function seriesUrl(panels, extra) {
    var opts = options();
    var url = new URL(page.root.dataset.api, location.href);
    page.mode.nameSeries(url.searchParams, panels, opts);
    url.searchParams.set("x", opts.x);
    url.searchParams.set("points", String(Math.max(100, Math.round(panels[0].clientWidth || 600))));
    url.searchParams.set("smooth", opts.smooth === null ? "auto" : String(opts.smooth));
    if (opts.smoothMode !== "ema") url.searchParams.set("smooth_mode", opts.smoothMode);
    if (opts.xmin !== null) url.searchParams.set("xmin", String(opts.xmin));
    if (opts.xmax !== null) url.searchParams.set("xmax", String(opts.xmax));
    Object.keys(extra).forEach(function (name) {
      if (extra[name] === null) url.searchParams.delete(name);
      else url.searchParams.set(name, String(extra[name]));
    });
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

  // ---- panels --------------------------------------------------------------------

  function drawPanel(panel, source) {
    if (!source) return; // not in this response: leave the panel as it is
    var key = panel.dataset.key;
    var old = page.charts[key];
    if (old) old.view.plot.destroy();
    delete page.charts[key];
    var holder = panel.querySelector(".chart");
    holder.innerHTML = "";
    var legend = legendOf(panel);
    var stats = page.mode.stats(source);
    var line = panel.querySelector(".stats");
    line.textContent = stats.text;
    line.title = stats.title || stats.text;
    if (page.mode === RUN_MODE && !source.raw_count) {
      legend.innerHTML = "";
      holder.innerHTML = '<p class="muted loading">no points logged yet</p>';
      return;
    }
    var picture = page.mode.picture(source, key);
    var view = makeView(picture, holder, legend, {
      width: holder.clientWidth,
      height: HEIGHTS[options().size] || HEIGHTS.m,
      sync: true,
      onZoom: zoom,
    });
    page.charts[key] = { view: view, panel: panel, source: source };
    holder.dataset.lines = String(picture.entries.filter(function (entry) { return !entry.faint; }).length); // for tests and curious readers of the DOM
    holder.dataset.bands = String(picture.bands.length);
    var png = panel.querySelector("a.png");
    if (png) png.onclick = function (event) { event.preventDefault(); exportPng(view, key, png.getAttribute("download")); };
  }

  function legendOf(panel) {
    var legend = panel.querySelector(".legend");
    if (!legend) {
      legend = document.createElement("div");
      legend.className = "legend";
      panel.insertBefore(legend, panel.querySelector(".chart"));
    }
    return legend;
  }

  function resizeAll() {
    views().forEach(function (view) {
      var holder = view.plot.root.parentNode;
      view.plot.setSize({ width: Math.max(MIN_CHART_WIDTH, holder.clientWidth), height: view.plot.height });
    });
  }

  function views() {
    var all = Object.keys(page.charts).map(function (key) { return page.charts[key].view; });
    if (page.large && page.large.view) all.push(page.large.view);
    return all;
  }

  // ---- a picture: what a panel's data means as lines ------------------------------
  // {data: uPlot columns, series: uPlot series, bands, entries: legend entries, entryOf: entry id per
  // series index}. An entry is one named thing (a run, a group, "raw"): its lines highlight, hide and
  // show together.

  function newPicture() {
    return { data: [null], series: [{ label: options().x }], bands: [], entries: [], entryOf: [null] };
  }

  // Adds a uPlot series and its data column for an entry; returns the column's index.
  function addLine(picture, entry, values, series) {
    picture.series.push(series);
    picture.entryOf.push(entry.id);
    return picture.data.push(values) - 1;
  }

  function addEntry(picture, entry) {
    picture.entries.push(entry);
    return entry;
  }

  // The run page: one metric, smoothed over a faint raw line (or raw alone).
  function runPicture(series, key) {
    var colors = theme();
    var color = colors.palette[0];
    var logy = options().logy;
    var picture = newPicture();
    picture.data[0] = series.x;
    if (series.smooth) {
      var raw = addEntry(picture, { id: "raw", name: "raw", color: mix(color, colors.panel, RAW_TINT), faint: true });
      raw.column = addLine(picture, raw, clean(series.y, logy, null), { stroke: raw.color, width: 1, points: { show: false } });
      var smooth = addEntry(picture, { id: "smoothed", name: "smoothed (" + series.smooth_weight + ")", title: key, color: color });
      smooth.column = addLine(picture, smooth, clean(series.smooth, logy, null), { stroke: color, width: 1.6 });
    } else {
      var only = addEntry(picture, { id: "value", name: key, color: color });
      only.column = addLine(picture, only, clean(series.y, logy, null), { stroke: color, width: 1.4 });
    }
    return picture;
  }

  function runStats(series) {
    if (!series.raw_count) return { text: "" };
    var points = series.downsampled
      ? series.count.toLocaleString() + " of " + series.raw_count.toLocaleString() + " pts"
      : series.raw_count.toLocaleString() + " pts";
    return {
      text: "last " + fmt(series.last) + " · min " + fmt(series.min_value) + " · max " + fmt(series.max_value) + " · " + points,
      title: series.nonfinite ? series.nonfinite + " NaN/Inf points shown as gaps" : null,
    };
  }

  // The compare page: a line per run, or per group a mean line in a band.
  function comparePicture(body) {
    var picture = newPicture();
    picture.data[0] = body.x;
    if (body.groups) addGroups(picture, body);
    else addRuns(picture, body);
    return picture;
  }

  function addRuns(picture, body) {
    var colors = theme();
    var logy = options().logy;
    var names = shortNames(body.runs.map(function (run) { return run.name; }));
    body.runs.forEach(function (run, index) {
      var color = colors.palette[run.color_index % colors.palette.length];
      var entry = addEntry(picture, { id: run.run_id, name: names[index], title: run.name, color: color });
      var gaps = {};
      run.gaps.forEach(function (slot) { gaps[slot] = true; });
      if (run.raw) {
        addLine(picture, entry, clean(run.raw, logy, gaps), { stroke: mix(color, colors.panel, RAW_TINT + 0.08), width: 1, points: { show: false } });
      }
      entry.column = addLine(picture, entry, clean(run.y, logy, gaps), { stroke: color, width: 1.4 });
    });
  }

  // Per group a mean line and a band between two invisible edges.
  function addGroups(picture, body) {
    var colors = theme();
    var logy = options().logy;
    body.groups.forEach(function (group) {
      var color = colors.palette[group.color_index % colors.palette.length];
      var entry = addEntry(picture, { id: groupEntry(group.label), name: group.label, suffix: "n=" + group.size, color: color });
      entry.column = addLine(picture, entry, clean(group.mean, logy, null), { stroke: color, width: 2 });
      var edge = { stroke: "transparent", width: 0, points: { show: false } };
      var hi = addLine(picture, entry, clean(group.hi, logy, null), edge);
      var lo = addLine(picture, entry, clean(group.lo, logy, null), Object.assign({}, edge));
      picture.bands.push({ series: [hi, lo], fill: withAlpha(color, BAND_ALPHA) });
    });
  }

  function compareStats(body) {
    var shown = body.groups
      ? body.groups.reduce(function (sum, group) { return sum + group.size; }, 0) + " runs in " + body.groups.length + " groups"
      : body.runs.length + " runs";
    var parts = [shown];
    if (body.missing.length) parts.push(body.missing.length + " without this metric");
    if (body.smooth_weight) parts.push("smoothed " + body.smooth_weight);
    return { text: parts.join(" · ") };
  }

  function groupEntry(label) {
    return "group:" + label;
  }

  // Values for uPlot: NaN/Inf gaps (null) break a line, a slot without a point (undefined) is spanned,
  // and a log axis cannot show values <= 0.
  function clean(values, logy, gaps) {
    return values.map(function (v, i) {
      if (gaps && gaps[i]) return null;
      if (v === null) return gaps ? undefined : null;
      return logy && v <= 0 ? undefined : v;
    });
  }

  // Run names of one sweep share most of their path: "proj/4000003_0/run" … reads as "4000003_0" (the
  // whole name is the entry's title). Only whole path segments are dropped, and only shared ones.
  function shortNames(names) {
    if (names.length < 2) return names;
    var split = names.map(function (name) { return name.split("/"); });
    var shortest = Math.min.apply(null, split.map(function (parts) { return parts.length; }));
    var same = function (at) { return split.every(function (parts) { return at(parts) === at(split[0]); }); };
    var head = 0;
    while (head < shortest - 1 && same(function (parts) { return parts[head]; })) head++;
    var tail = 0;
    while (tail < shortest - head - 1 && same(function (parts) { return parts[parts.length - 1 - tail]; })) tail++;
    return split.map(function (parts) { return parts.slice(head, parts.length - tail).join("/"); });
  }

  // ---- a view: one uPlot and its legend -----------------------------------------------

  // how: {width, height, sync, onZoom(lo, hi)}
  function makeView(picture, holder, legendBox, how) {
    var view = { picture: picture, legendBox: legendBox, rows: {}, highlighted: null, hidden: {}, tooltip: null };
    var opts = plotOptions(picture, how, 1);
    opts.plugins = [hoverPlugin(view)];
    opts.hooks = { setSelect: [function (u) { onSelect(u, how.onZoom); }] };
    if (how.sync) opts.cursor.sync = { key: page.sync.key };
    view.plot = new uPlot(opts, picture.data, holder);
    holder.uplot = view.plot; // for tests and curious readers of the DOM
    view.plot.over.addEventListener("dblclick", function () { how.onZoom(null, null); });
    buildLegend(view);
    Object.keys(hiddenSet(view)).forEach(function (id) { if (hiddenSet(view)[id]) showEntry(view, id, false); });
    applyHighlight(view);
    return view;
  }

  // uPlot options for a picture; `scale` > 1 draws the same chart larger (PNG export).
  function plotOptions(picture, how, scale) {
    var opts = options();
    var colors = theme();
    var font = Math.round(11 * scale) + "px " + colors.font;
    var axis = function (extra) {
      return Object.assign({
        stroke: colors.muted,
        font: font,
        grid: { stroke: colors.grid, width: scale },
        ticks: { stroke: colors.grid, width: scale, size: 4 * scale },
        gap: 4 * scale,
      }, extra);
    };
    var hidden = hiddenSetFor();
    return {
      width: Math.max(MIN_CHART_WIDTH * scale, how.width),
      height: how.height,
      scales: {
        x: { time: opts.x === "wall", range: zoomRange(opts) },
        y: { distr: opts.logy ? 3 : 1, range: yRange(opts) },
      },
      axes: [
        axis({ size: (opts.x === "wall" ? 44 : 30) * scale, values: xTickFormat(opts.x) }),
        axis({ size: yAxisSize, values: function (u, ticks) { return ticks.map(tickLabel); } }),
      ],
      series: picture.series.map(function (series, index) {
        var copy = Object.assign({}, series);
        if (index > 0) {
          copy.width = (series.width || 1) * scale;
          copy.show = !hidden[picture.entryOf[index]];
          copy.spanGaps = false;
        }
        return copy;
      }),
      bands: picture.bands,
      legend: { show: false },
      cursor: {
        drag: { x: true, y: false, setScale: false },
        points: { size: 6, width: 1.5 },
        focus: { prox: -1 },
      },
      select: { show: true },
    };
  }

  // The y axis as wide as its longest label, so no label is cut (uPlot's recommended sizing).
  function yAxisSize(u, values, axisIdx, cycleNum) {
    var axis = u.axes[axisIdx];
    if (cycleNum > 1) return axis._size;
    var size = axis.ticks.size + axis.gap + 6;
    var longest = (values || []).reduce(function (best, value) { return value.length > best.length ? value : best; }, "");
    if (longest) {
      u.ctx.font = axis.font[0];
      size += u.ctx.measureText(longest).width / devicePixelRatio;
    }
    return Math.ceil(Math.max(size, 34));
  }

  function xTickFormat(mode) {
    if (mode === "wall") return undefined; // uPlot's date-time ticks
    if (mode === "relative") return function (u, ticks) { return ticks.map(duration); };
    return function (u, ticks) { return ticks.map(stepLabel); };
  }

  function zoomRange(opts) {
    if (opts.xmin === null && opts.xmax === null) return undefined;
    return function (u, dataMin, dataMax) {
      return [opts.xmin !== null ? opts.xmin : dataMin, opts.xmax !== null ? opts.xmax : dataMax];
    };
  }

  // The y range: uPlot's own unless "ignore outliers" or a manual min/max says otherwise.
  function yRange(opts) {
    if (!opts.outliers && opts.ymin === null && opts.ymax === null) return undefined;
    return function (u, dataMin, dataMax) {
      if (dataMin === null || dataMax === null) return [opts.ymin || 0, opts.ymax || 1];
      var range = opts.outliers ? robustRange(u, opts.logy) : null;
      if (!range) range = opts.logy ? uPlot.rangeLog(dataMin, dataMax, 10, true) : uPlot.rangeNum(dataMin, dataMax, 0.1, true);
      var lo = opts.ymin !== null && (!opts.logy || opts.ymin > 0) ? opts.ymin : range[0];
      var hi = opts.ymax !== null ? opts.ymax : range[1];
      if (!(hi > lo)) hi = opts.logy ? lo * 10 : lo + 1;
      return [lo, hi];
    };
  }

  // TensorBoard's "ignore outliers in chart scaling": y from the 1st to the 99th percentile of what is
  // drawn (the shown lines' values), padded a little. The server's min/max downsampling keeps every
  // spike in the data, so without this one spike can flatten a whole curve.
  function robustRange(u, logy) {
    var values = [];
    u.series.forEach(function (series, index) {
      if (index === 0 || !series.show) return;
      u.data[index].forEach(function (v) {
        if (v !== null && v !== undefined && isFinite(v) && (!logy || v > 0)) values.push(logy ? Math.log10(v) : v);
      });
    });
    if (values.length < 2) return null;
    values.sort(function (a, b) { return a - b; });
    var at = function (q) { return values[Math.min(values.length - 1, Math.floor(q * (values.length - 1)))]; };
    var lo = at(OUTLIER_QUANTILES[0]);
    var hi = at(OUTLIER_QUANTILES[1]);
    var pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
    lo -= pad;
    hi += pad;
    return logy ? [Math.pow(10, lo), Math.pow(10, hi)] : [lo, hi];
  }

  function onSelect(plot, onZoom) {
    var select = plot.select;
    if (select.width < 4) return;
    var lo = plot.posToVal(select.left, "x");
    var hi = plot.posToVal(select.left + select.width, "x");
    plot.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    onZoom(lo, hi);
  }

  function zoom(lo, hi) {
    // Re-fetch the window from the server at full resolution: zooming in reveals real points.
    writeUrl({ xmin: lo === null ? null : roundX(lo), xmax: hi === null ? null : roundX(hi) });
    reloadAll();
  }

  // ---- legend, hover, highlight, hide ---------------------------------------------------

  function buildLegend(view) {
    var box = view.legendBox;
    box.innerHTML = "";
    // The cursor's x, over the plot's top right corner: in the legend it would move the entries as it comes and goes.
    var head = document.createElement("span");
    head.className = "legend-x";
    view.plot.root.parentNode.appendChild(head);
    view.legendX = head;
    view.picture.entries.forEach(function (entry) {
      var row = document.createElement("button");
      row.type = "button";
      row.className = "entry" + (entry.faint ? " faint" : "");
      row.dataset.entry = entry.id;
      row.title = (entry.title || entry.name) + " · click to hide or show";
      var mark = document.createElement("i");
      mark.style.background = entry.color;
      var name = document.createElement("span");
      name.className = "name";
      name.textContent = entry.name;
      row.appendChild(mark);
      row.appendChild(name);
      if (entry.suffix) {
        var suffix = document.createElement("span");
        suffix.className = "suffix";
        suffix.textContent = entry.suffix;
        row.appendChild(suffix);
      }
      var value = document.createElement("span");
      value.className = "value";
      row.appendChild(value);
      row.addEventListener("mouseenter", function () { highlight(view, entry.id); });
      row.addEventListener("mouseleave", function () { highlight(view, null); });
      row.addEventListener("click", function () { toggleHidden(view, entry.id); });
      box.appendChild(row);
      view.rows[entry.id] = { row: row, value: value, entry: entry };
    });
  }

  // The cursor: the legend shows values at its x, the nearest line is highlighted, and on the compare
  // page the view under the mouse lists every run's value, largest first.
  function hoverPlugin(view) {
    return {
      hooks: {
        init: [function (u) {
          if (page.mode.shared) {
            view.tooltip = document.createElement("div");
            view.tooltip.className = "compare-tooltip";
            view.tooltip.hidden = true;
            u.over.appendChild(view.tooltip);
          }
          u.over.addEventListener("mouseenter", function () { page.hovered = view; });
          u.over.addEventListener("mouseleave", function () {
            page.hovered = null;
            if (view.tooltip) view.tooltip.hidden = true;
            highlight(view, null);
          });
        }],
        setCursor: [function (u) { onCursor(view, u); }],
      },
    };
  }

  function onCursor(view, u) {
    var idx = u.cursor.idx;
    var inside = idx !== null && idx !== undefined && u.cursor.left >= 0;
    view.legendX.textContent = inside ? xName(options().x) + " " + xValueLabel(u.data[0][idx]) : "";
    var values = {};
    view.picture.entries.forEach(function (entry) {
      var value = inside ? valueNear(u.data[entry.column], idx) : null;
      values[entry.id] = value;
      view.rows[entry.id].value.textContent = value === null ? "" : fmt(value);
    });
    view.legendBox.classList.toggle("live", inside);
    if (page.hovered !== view) return; // a synced cursor: values only
    highlight(view, inside ? nearestEntry(view, u, values) : null);
    if (view.tooltip) showTooltip(view, u, values, inside);
  }

  function nearestEntry(view, u, values) {
    var best = null;
    var bestDistance = HOVER_PX;
    var hidden = hiddenSet(view);
    view.picture.entries.forEach(function (entry) {
      var value = values[entry.id];
      if (value === null || hidden[entry.id] || entry.faint) return;
      var distance = Math.abs(u.valToPos(value, "y") - u.cursor.top);
      if (distance <= bestDistance) { best = entry.id; bestDistance = distance; }
    });
    return best;
  }

  function showTooltip(view, u, values, inside) {
    var tooltip = view.tooltip;
    var hidden = hiddenSet(view);
    var rows = view.picture.entries.filter(function (entry) { return values[entry.id] !== null && !hidden[entry.id]; })
      .sort(function (a, b) { return values[b.id] - values[a.id]; });
    if (!inside || !rows.length) { tooltip.hidden = true; return; }
    tooltip.innerHTML = "";
    var head = document.createElement("div");
    head.className = "head";
    head.textContent = xName(options().x) + " " + xValueLabel(u.data[0][u.cursor.idx]);
    tooltip.appendChild(head);
    var hot = currentHighlight(view);
    rows.slice(0, TOOLTIP_ROWS).forEach(function (entry) {
      var line = document.createElement("div");
      if (entry.id === hot) line.className = "hot";
      var mark = document.createElement("i");
      mark.style.background = entry.color;
      var value = document.createElement("b");
      value.textContent = fmt(values[entry.id]);
      line.appendChild(mark);
      line.appendChild(value);
      line.appendChild(document.createTextNode(entry.name + (entry.suffix ? " (" + entry.suffix + ")" : "")));
      tooltip.appendChild(line);
    });
    if (rows.length > TOOLTIP_ROWS) {
      var more = document.createElement("div");
      more.textContent = "… " + (rows.length - TOOLTIP_ROWS) + " more";
      tooltip.appendChild(more);
    }
    tooltip.hidden = false;
    var width = tooltip.offsetWidth;
    var left = u.cursor.left + 16;
    tooltip.style.left = (left + width > u.over.clientWidth ? Math.max(0, u.cursor.left - width - 16) : left) + "px";
    tooltip.style.top = "4px";
  }

  // Highlight an entry (null: none). On the compare page a run is highlighted in every panel.
  function highlight(view, id) {
    if (page.mode.shared) {
      if (page.highlighted === id) return;
      page.highlighted = id;
      views().forEach(applyHighlight);
      markLists(function (item, entry) { item.classList.toggle("dim", id !== null && entry !== id); });
    } else if (view && view.highlighted !== id) {
      view.highlighted = id;
      applyHighlight(view);
    }
  }

  function currentHighlight(view) {
    return page.mode.shared ? page.highlighted : view.highlighted;
  }

  function applyHighlight(view) {
    var id = currentHighlight(view);
    view.plot.series.forEach(function (series, index) {
      if (index > 0) series.alpha = id === null || view.picture.entryOf[index] === id ? 1 : DIM_ALPHA;
    });
    Object.keys(view.rows).forEach(function (entry) {
      view.rows[entry].row.classList.toggle("dim", id !== null && entry !== id);
    });
    view.plot.redraw(false);
  }

  function hiddenSet(view) {
    return page.mode.shared || !view ? page.hidden : view.hidden;
  }

  // Entries hidden before a view exists: the compare page's, shared by every panel (the run page's are per view).
  function hiddenSetFor() {
    return page.mode.shared ? page.hidden : {};
  }

  function toggleHidden(view, id) {
    var hidden = hiddenSet(view);
    hidden[id] = !hidden[id];
    var targets = page.mode.shared ? views() : [view];
    targets.forEach(function (target) { showEntry(target, id, !hidden[id]); });
    markLists(function (item, entry) { if (entry === id) item.classList.toggle("off", hidden[id]); });
  }

  function showEntry(view, id, show) {
    view.picture.entryOf.forEach(function (entry, index) {
      if (entry === id && view.plot.series[index].show !== show) view.plot.setSeries(index, { show: show });
    });
    if (view.rows[id]) view.rows[id].row.classList.toggle("off", !show);
  }

  // The compare page's run list and group list mirror the legends' highlight and hidden state.
  function markLists(action) {
    document.querySelectorAll(".run-legend li[data-run-id], .group-legend li[data-entry]").forEach(function (item) {
      action(item, item.dataset.entry || item.dataset.runId);
    });
  }

  // ---- compare: the group note and group legend, once above the panels --------------

  function showGroupSummary(body) {
    var summary = page.root.querySelector(".group-summary");
    var runList = document.querySelector(".run-legend");
    if (runList) runList.hidden = Boolean(options().group); // colours mean groups now
    if (!summary) return;
    if (!body) { summary.hidden = !options().group; return; }
    var runs = body.groups.reduce(function (sum, group) { return sum + group.size; }, 0);
    if (runs < page.groupSummaryRuns) return; // a panel some runs do not log: the fuller answer stays
    page.groupSummaryRuns = runs;
    var colors = theme();
    summary.querySelector(".group-note").textContent = body.groups.length + " group" + (body.groups.length === 1 ? "" : "s")
      + " by " + (body.group_keys.join(", ") || "nothing") + " · band: " + (body.band === "std" ? "mean ± std" : "min–max");
    var list = summary.querySelector(".group-legend");
    list.innerHTML = "";
    body.groups.forEach(function (group) {
      var item = document.createElement("li");
      item.dataset.entry = groupEntry(group.label);
      var mark = document.createElement("i");
      mark.className = "mark";
      mark.style.background = colors.palette[group.color_index % colors.palette.length];
      var size = document.createElement("span");
      size.className = "muted";
      size.textContent = "n=" + group.size;
      item.appendChild(mark);
      item.appendChild(document.createTextNode(group.label + " "));
      item.appendChild(size);
      if (page.hidden[item.dataset.entry]) item.classList.add("off");
      list.appendChild(item);
    });
    summary.hidden = false;
  }

  // ---- a panel opened large: a dialog with its own zoom ---------------------------------

  function openLarge(panel) {
    var dialog = document.createElement("dialog");
    dialog.className = "chart-dialog";
    dialog.innerHTML = '<header><h3></h3><span class="stats"></span><span class="panel-actions">'
      + '<button type="button" class="reset" hidden>Reset zoom</button>'
      + '<button type="button" class="close" aria-label="Close" title="Close (Esc)">✕</button></span></header>'
      + '<div class="legend"></div><div class="chart"></div>';
    dialog.querySelector("h3").textContent = panel.dataset.key;
    document.body.appendChild(dialog);
    var opts = options();
    page.large = { panel: panel, dialog: dialog, view: null, source: null, xmin: opts.xmin, xmax: opts.xmax };
    dialog.addEventListener("close", function () {
      if (page.large && page.large.view) page.large.view.plot.destroy();
      page.large = null;
      dialog.remove();
    });
    dialog.querySelector("button.close").addEventListener("click", function () { dialog.close(); });
    dialog.querySelector("button.reset").addEventListener("click", function () { zoomLarge(null, null); });
    dialog.showModal();
    loadLarge();
  }

  function loadLarge() {
    var large = page.large;
    var holder = large.dialog.querySelector(".chart");
    var extra = { points: Math.max(200, holder.clientWidth), xmin: large.xmin, xmax: large.xmax };
    fetchJson(seriesUrl([large.panel], extra)).then(function (body) {
      if (page.large !== large) return; // closed meanwhile
      large.source = page.mode.sourceOf(large.panel, body);
      drawLarge(large.source);
    }).catch(function (error) { holder.textContent = "Could not load: " + error.message; });
  }

  function drawLarge(source) {
    var large = page.large;
    if (large.view) large.view.plot.destroy();
    var holder = large.dialog.querySelector(".chart");
    holder.innerHTML = "";
    large.dialog.querySelector(".stats").textContent = page.mode.stats(source).text;
    large.dialog.querySelector("button.reset").hidden = large.xmin === null && large.xmax === null;
    var picture = page.mode.picture(source, large.panel.dataset.key);
    large.view = makeView(picture, holder, large.dialog.querySelector(".legend"), {
      width: holder.clientWidth,
      height: Math.max(240, holder.clientHeight),
      sync: false,
      onZoom: zoomLarge,
    });
  }

  // The large view zooms on its own (the page's panels and URL stay as they are), re-fetched at full resolution.
  function zoomLarge(lo, hi) {
    page.large.xmin = lo === null ? null : roundX(lo);
    page.large.xmax = hi === null ? null : roundX(hi);
    loadLarge();
  }

  // ---- PNG export: twice the panel's size, with its title and legend drawn in -----------

  function exportPng(view, title, filename) {
    var colors = theme();
    var scale = PNG_SCALE / (window.devicePixelRatio || 1); // uPlot multiplies by the screen's ratio itself
    var width = view.plot.width * scale;
    var height = view.plot.height * scale;
    var opts = plotOptions(view.picture, { width: width, height: height }, scale);
    opts.cursor = { show: false };
    opts.select = { show: false };
    view.plot.series.forEach(function (series, index) { if (index > 0) opts.series[index].show = series.show; });
    var box = document.createElement("div");
    box.className = "png-render"; // off screen (charts.css): uPlot measures text in the document
    document.body.appendChild(box);
    opts.hooks = {
      draw: [function (u) {
        var image = composeImage(u.ctx.canvas, title, legendItems(view), colors);
        u.destroy();
        box.remove();
        var link = document.createElement("a");
        link.href = image.toDataURL("image/png");
        link.download = filename;
        document.body.appendChild(link);
        link.click();
        link.remove();
      }],
    };
    new uPlot(opts, view.picture.data, box);
  }

  function legendItems(view) {
    return view.picture.entries.filter(function (entry) { return view.plot.series[entry.column].show; });
  }

  // Title, then a line of legend entries, then the chart, on the panel's background.
  function composeImage(chart, title, entries, colors) {
    var px = PNG_SCALE; // image pixels per CSS pixel
    var pad = 12 * px;
    var canvas = document.createElement("canvas");
    var ctx = canvas.getContext("2d");
    ctx.font = Math.round(12 * px) + "px " + colors.font;
    var lines = layoutLegend(ctx, entries, chart.width - 2 * pad, px);
    var top = pad + 18 * px + lines.length * 18 * px + 6 * px;
    canvas.width = chart.width;
    canvas.height = Math.round(top + chart.height + pad / 2);
    ctx.fillStyle = colors.panel;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = colors.ink;
    ctx.textBaseline = "top";
    ctx.font = "600 " + Math.round(14 * px) + "px " + colors.font;
    ctx.fillText(title, pad, pad);
    ctx.font = Math.round(12 * px) + "px " + colors.font;
    lines.forEach(function (line, row) {
      var y = pad + 22 * px + row * 18 * px;
      line.forEach(function (item) {
        ctx.fillStyle = item.entry.color;
        ctx.fillRect(pad + item.x, y + 3 * px, 10 * px, 10 * px);
        ctx.fillStyle = colors.ink2;
        ctx.fillText(item.entry.name, pad + item.x + 14 * px, y);
      });
    });
    ctx.drawImage(chart, 0, top);
    return canvas;
  }

  function layoutLegend(ctx, entries, width, px) {
    var lines = [[]];
    var x = 0;
    entries.forEach(function (entry) {
      var size = 14 * px + ctx.measureText(entry.name).width + 14 * px;
      if (x > 0 && x + size > width) { lines.push([]); x = 0; }
      lines[lines.length - 1].push({ entry: entry, x: x });
      x += size;
    });
    return lines[0].length ? lines : [];
  }

  // ---- the run page: live appends, CSV links, new metrics --------------------------------

  function extendRun() {
    loadVisible(); // panels with no points yet get another try
    var keys = Object.keys(page.charts);
    if (!keys.length) return;
    var after = Math.min.apply(null, keys.map(function (key) { return lastX(page.charts[key].source); }));
    var panels = keys.map(function (key) { return page.charts[key].panel; });
    chunks(panels, KEYS_PER_REQUEST).forEach(function (batch) {
      fetchJson(seriesUrl(batch, isFinite(after) ? { after: after } : {})).then(function (body) {
        batch.forEach(function (panel) { appendPoints(panel, body.series[panel.dataset.key]); });
        noticeNewKeys(body.keys);
      }).catch(function () { /* the next change event retries */ });
    });
  }

  function appendPoints(panel, fresh) {
    var chart = page.charts[panel.dataset.key];
    if (!chart || !fresh) return;
    var held = chart.source;
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
    var picture = runPicture(held, panel.dataset.key);
    chart.view.picture.data = picture.data;
    chart.view.plot.setData(picture.data);
    var stats = runStats(held);
    panel.querySelector(".stats").textContent = stats.text;
    page.form.querySelector(".live-note").textContent = "● live · updated " + new Date().toLocaleTimeString();
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

  function noticeNewKeys(keys) {
    if (!keys) return;
    var known = {};
    page.root.querySelectorAll(".panel").forEach(function (panel) { known[panel.dataset.key] = true; });
    var fresh = (keys || []).filter(function (key) { return !known[key]; });
    var note = page.form.querySelector(".live-note");
    note.textContent = fresh.length ? "new metrics: " + fresh.join(", ") + " (reload to show)" : note.textContent;
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

  // theme.js says when the user (or the system) switched between light and dark.
  document.addEventListener("sptweb:theme", function () {
    if (!page) return;
    themeCache = null;
    redrawAll();
    if (page.mode.shared) page.groupSummaryRuns = -1;
  });

  // ---- theme: the page's CSS variables ------------------------------------------------

  var themeCache = null;

  function theme() {
    if (themeCache) return themeCache;
    var css = getComputedStyle(document.documentElement);
    var read = function (name, fallback) { return css.getPropertyValue(name).trim() || fallback; };
    var palette = [];
    for (var index = 0; index < 20; index++) palette.push(read("--series-" + index, "#4e79a7"));
    themeCache = {
      ink: read("--ink", "#1d2330"),
      ink2: read("--ink-2", "#334155"),
      muted: read("--muted", "#6b7385"),
      grid: read("--grid", "#eef1f6"),
      panel: read("--panel", "#fff"),
      palette: palette,
      font: css.fontFamily || "system-ui, sans-serif",
    };
    setTimeout(function () { themeCache = null; }, 0); // read afresh on the next draw (a theme switch)
    return themeCache;
  }

  // `color` moved `amount` (0–1) of the way towards `background` (both "#rgb"/"#rrggbb"/"rgb(…)").
  function mix(color, background, amount) {
    var a = rgbOf(color);
    var b = rgbOf(background);
    if (!a || !b) return withAlpha(color, 1 - amount);
    return "rgb(" + a.map(function (channel, i) { return Math.round(channel + (b[i] - channel) * amount); }).join(", ") + ")";
  }

  function rgbOf(color) {
    var hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
    if (hex) {
      var digits = hex[1].length === 3 ? hex[1].replace(/(.)/g, "$1$1") : hex[1];
      return [0, 2, 4].map(function (at) { return parseInt(digits.substr(at, 2), 16); });
    }
    var rgb = /^rgba?\(([^)]*)\)$/.exec(color);
    return rgb ? rgb[1].split(",").slice(0, 3).map(Number) : null;
  }

  // "#rrggbb" (the palette) or "rgb(…)" with an alpha.
  function withAlpha(color, alpha) {
    var hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
    if (hex) return "rgba(" + parseInt(hex[1], 16) + ", " + parseInt(hex[2], 16) + ", " + parseInt(hex[3], 16) + ", " + alpha + ")";
    var rgb = /^rgb\((.*)\)$/.exec(color);
    return rgb ? "rgba(" + rgb[1] + ", " + alpha + ")" : color;
  }

  // ---- small helpers --------------------------------------------------------------

  function chunks(items, size) {
    var out = [];
    for (var start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
    return out;
  }

  function lastX(series) {
    return series.x.length ? series.x[series.x.length - 1] : -Infinity;
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

  function xName(mode) {
    return { step: "step", epoch: "epoch", wall: "", relative: "" }[mode] || mode;
  }

  function xValueLabel(value) {
    var mode = options().x;
    if (mode === "wall") return new Date(value * 1000).toLocaleString();
    if (mode === "relative") return duration(value);
    return stepLabel(value);
  }

  // Seconds as a short duration: 45s, 12m 30s, 3h 05m, 2d 4h.
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "";
    var sign = seconds < 0 ? "-" : "";
    var s = Math.abs(seconds);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    if (s < 60) return sign + Number(s.toPrecision(3)) + "s";
    if (s < 3600) return sign + Math.floor(s / 60) + "m" + (s % 60 >= 1 ? " " + pad(Math.floor(s % 60)) + "s" : "");
    if (s < 86400) return sign + Math.floor(s / 3600) + "h " + pad(Math.floor((s % 3600) / 60)) + "m";
    return sign + Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
  }

  function stepLabel(value) {
    if (value === null || value === undefined) return "";
    if (options().x === "step" && Math.abs(value) >= 10) value = Math.round(value); // grid slots fall between steps
    return Math.abs(value) >= 1000 ? Number(value.toPrecision(6)).toLocaleString("en-US") : String(Number(value.toPrecision(4)));
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
    if (value === null) return "";
    var abs = Math.abs(value);
    if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return Number(value.toPrecision(4)).toExponential().replace("e+", "e"); // 1e-4, 2.5e6
    return String(Number(value.toPrecision(4)));
  }

  function roundX(value) {
    return Number(value.toPrecision(8));
  }

  function numberOrNull(raw) {
    if (raw === null || raw === undefined || raw === "") return null;
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

  // The scatter view (server-drawn SVG): SVG paints in document order, so a hovered point (and its card)
  // moves to the end of its plot to be drawn above its neighbours.
  document.addEventListener("mouseover", function (event) {
    var point = event.target.closest && event.target.closest("svg.scatter a.point");
    if (point && point.nextElementSibling) point.parentNode.appendChild(point);
  });

  document.addEventListener("DOMContentLoaded", init);
  // The tab is swapped in by htmx when a run writes its first metrics.csv.
  document.addEventListener("htmx:afterSettle", init);
})();
