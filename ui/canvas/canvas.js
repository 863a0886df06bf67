// The browser half of ui/canvas (Streamlit components v2, an ES module, no build step).
//
// A thin renderer and event relay. Python sends plotly.js figures and every step's numbers; this module
//  * draws each chart once and afterwards updates it in place with Plotly.react (the plot div survives reruns);
//  * draws the contour as three stacked layers over one plot area (see "layers"), so that a step repaints only the
//    few traces it moves, and those with a 2D canvas (see "the moving layer");
//  * moves the step in the browser (Play, scrubber) by indexing into the numbers it was sent: markers, grown paths,
//    step arrows, the curves' cursor, the 3D markers, the ledger and, on a surface made of examples, each run's
//    model (its line, boundary or curve at every step, or at evenly spread frames when that is too much);
//  * while a live slider is dragged, swaps that run's path and curves for the fan member of the slider's stop
//    (painted, see "the drag preview");
//  * reports back only on release: the step, a click's data coordinates, a slider's value, a curve kind.
// The component function runs again on every data update with the same parent element, so the DOM is built once
// and the state is kept on that element.

const PLOTLY = "__optvizPlotly"; // one promise per page: plotly.js loads once, whatever the number of charts
const CONFIG = { displaylogo: false, doubleClick: false, responsive: false }; // quick clicks must not reset axes
const CLICK_SLOP_PX = 4; // a press that moves more than this is a zoom drag, not a click
const REPORT_MS = 350; // the step is reported once the scrubber rests this long (not per key press)

function loadPlotly(url) {
  if (!window[PLOTLY]) {
    window[PLOTLY] = window.Plotly
      ? Promise.resolve(window.Plotly)
      : new Promise((resolve, reject) => {
          const script = document.createElement("script");
          script.src = url;
          script.onload = () => resolve(window.Plotly);
          script.onerror = () => {
            window[PLOTLY] = null;
            reject(new Error(`plotly.js did not load from ${url}`));
          };
          document.head.appendChild(script);
        });
  }
  return window[PLOTLY];
}

// ------------------------------------------------------------------------------------------- data from Python

// plotly.js's typed arrays by the names plotly.py and ui.canvas give them ({dtype, bdata}, base64, little-endian).
const TYPES = { f4: Float32Array, f8: Float64Array, i1: Int8Array, u1: Uint8Array, i2: Int16Array,
                u2: Uint16Array, i4: Int32Array, u4: Uint32Array };

function decodeBytes(value) {
  const text = atob(value.bdata);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
  return new TYPES[value.dtype](bytes.buffer);
}

// {dtype, shape, bdata} (ui.canvas.pack) -> a typed array that keeps its shape; everything else walked through.
function unpack(value) {
  if (Array.isArray(value)) return value.map(unpack);
  if (!value || typeof value !== "object") return value;
  if (typeof value.bdata === "string" && TYPES[value.dtype]) {
    const array = decodeBytes(value);
    array.shape = value.shape;
    return array;
  }
  const out = {};
  for (const [key, item] of Object.entries(value)) out[key] = unpack(item);
  return out;
}

const row = (array, k) => array.subarray(k * array.shape[1], (k + 1) * array.shape[1]);

// A run's path in plots.runs.joined's layout: n trajectories, `block` points apart; iterate t of trajectory b is
// point b * block + t. Grown: NaN (a gap) after step t in every trajectory.
function grownPath(values, path, t) {
  const out = Float32Array.from(values);
  for (let b = 0; b < path.n; b += 1) out.fill(NaN, b * path.block + t + 1, b * path.block + path.block - 1);
  return out;
}

function atStep(values, path, t) {
  const out = [];
  for (let b = 0; b < path.n; b += 1) out.push(values[b * path.block + Math.min(t, path.block - 2)]);
  return out;
}

// A run's model trace at step t: row k of its frames, frame k standing for step round(k T / (F - 1)).
function modelAt(model, t, total, hidden) {
  const frames = model.x.shape[0];
  const k = total > 0 ? Math.min(frames - 1, Math.round((t * (frames - 1)) / total)) : 0;
  const x = row(model.x, k), y = row(model.y, k);
  // a fan member's model is not sent: while a live slider stands in for the run, its model is not drawn
  return hidden ? { x: new Float32Array(x.length).fill(NaN), y: new Float32Array(y.length).fill(NaN) } : { x, y };
}

const fmt = (v) => (Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : "—");
const fmtVec = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? `(${fmt(a)}, ${fmt(b)})` : "—");

// ------------------------------------------------------------------------------------------- the DOM, built once

function el(tag, className, parent) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (parent) parent.appendChild(node);
  return node;
}

function build(parent) {
  const root = el("div", "cv-root", parent);
  const s = { root, charts: new Map(), step: 0, serverStep: null, playing: false, speed: 1, loop: false,
              drag: null, data: null, Plotly: null, queued: false, reportTimer: null };
  const grid = (s.grid = el("div", "cv-grid", root));
  s.main = el("div", "cv-main", grid);
  s.mainCharts = el("div", "cv-charts", s.main);
  s.live = el("div", "cv-live", s.main);
  s.side = el("div", "cv-side", grid);
  s.kinds = el("div", "cv-kinds", s.side);
  s.sideCharts = el("div", "cv-charts", s.side);
  s.ledger = el("div", "cv-ledger", root);
  // Plotly's `responsive` follows only window resizes: the container can change without one (sidebar, columns).
  s.observer = new ResizeObserver(() => {
    placeSide(s);
    fitHeights(s);
    for (const chart of s.charts.values()) if (chart.drawn && s.Plotly) s.Plotly.Plots.resize(chart.div);
  });
  s.observer.observe(root);
  // ... and when what lies above moves it (the page's own styles arrive a moment after the canvas: a stale top
  // left the contour 40 px short of the window's bottom); the page's main block resizes with everything in it.
  const page = parent.closest('[data-testid="stMainBlockContainer"]');
  if (page) s.observer.observe(page, { box: "border-box" });
  window.addEventListener("resize", () => {
    placeSide(s);
    fitHeights(s);
  });
  return s;
}

// ------------------------------------------------------------------------------------------- charts

// A chart is a box holding its plot div (the "base": axes, image, hover, clicks) and, for a layered spec, the
// plots stacked over it (LAYERS) and, for a chart with a step cursor, the cursor line.
function chartFor(s, spec) {
  let chart = s.charts.get(spec.id);
  if (!chart) {
    const box = el("div", "cv-box");
    const div = el("div", "cv-chart", box);
    div.dataset.chart = spec.id;
    chart = { box, div, drawn: false, layers: [] };
    if (spec.click === "start") listenForClicks(s, div);
    s.charts.set(spec.id, chart);
  }
  const home = spec.area === "side" ? s.sideCharts : s.mainCharts;
  if (chart.box.parentElement !== home) home.appendChild(chart.box);
  if (spec.layers && !chart.layers.length) {
    chart.layers = LAYERS.map((name) => {
      const painted = name === "moving"; // a 2D canvas (see "the moving layer"); the others are plots
      const div = el(painted ? "canvas" : "div", "cv-layer", chart.box);
      div.dataset.layerOf = spec.id;
      div.dataset.layer = name;
      return { div, drawn: false, painted };
    });
  }
  chart.spec = spec;
  chart.div.style.height = spec.height || "";
  return chart;
}

// Each area's charts in Python's order (a chart that appears later, such as the model, goes where Python puts it),
// and the curve-kind buttons just above the curves. Nodes are moved only when the order differs.
function orderCharts(s, charts) {
  for (const home of [s.mainCharts, s.sideCharts]) {
    const wanted = charts.filter((c) => c.box.parentElement === home).map((c) => c.box);
    const curves = s.charts.get("curves");
    if (home === s.sideCharts && curves && curves.box.parentElement === home) {
      wanted.splice(wanted.indexOf(curves.box), 0, s.kinds);
    }
    if (wanted.some((node, i) => home.children[i] !== node)) wanted.forEach((node) => home.appendChild(node));
  }
}

// The side column (curves, 3D, model) goes beside the contour when both fit and the contour's plot area keeps at
// least `plot_share` of the window's height there; else below it (the picture comes first). The plot area beside
// is foreseen from the contour as drawn (its margins, colour bar included, and its axes' equal aspect), so the
// choice does not depend on the current one.
function placeSide(s) {
  const layout = (s.data && s.data.layout) || {};
  const contour = [...s.charts.values()].find((chart) => chart.spec && chart.spec.fit);
  const full = contour && contour.div._fullLayout;
  if (!full || !full._size || !layout.plot_share || !s.data.player) return;
  const gap = parseFloat(getComputedStyle(s.grid).columnGap) || 0;
  const width = s.grid.clientWidth - gap - layout.side_width - full._size.l - full._size.r;
  const height = full.height - full._size.t - full._size.b;
  const [x0, x1] = full.xaxis.range, [y0, y1] = full.yaxis.range;
  const aspect = Math.abs((y1 - y0) / (x1 - x0)) || 1; // equal axes: the plot's height per unit of its width
  const side = Math.min(width, height / aspect) * Math.min(1, aspect); // the smaller side of the plot area
  s.grid.classList.toggle("cv-stacked", side < layout.plot_share * window.innerHeight);
}

// The contour's height: the window below its top edge, within [fit_min, fit_max] (the picture comes first).
function fitHeights(s) {
  const layout = (s.data && s.data.layout) || {};
  for (const chart of s.charts.values()) {
    if (!chart.spec || !chart.spec.fit) continue;
    const scroller = chart.div.closest('[data-testid="stMain"]') || document.scrollingElement;
    const top = chart.div.getBoundingClientRect().top + (scroller ? scroller.scrollTop : 0);
    const height = Math.max(layout.fit_min || 300, Math.min(layout.fit_max || 2000, window.innerHeight - top - 8));
    if (Math.abs(chart.div.offsetHeight - height) > 1) chart.div.style.height = `${Math.round(height)}px`;
  }
}

// A click anywhere on the plot area (not a drag) -> data coordinates through the axes' own p2d.
// The release is heard on the window: plotly.js covers the page with a "drag cover" while the button is down.
function listenForClicks(s, div) {
  let down = null;
  div.addEventListener("pointerdown", (e) => {
    down = e.target.closest(".modebar, .legend, .colorbar") ? null : { x: e.clientX, y: e.clientY };
  }, true);
  window.addEventListener("pointerup", (e) => {
    const start = down;
    down = null;
    if (!start || Math.hypot(e.clientX - start.x, e.clientY - start.y) > CLICK_SLOP_PX) return;
    const full = div._fullLayout;
    if (!full || !full.xaxis) return;
    const box = div.getBoundingClientRect();
    const px = e.clientX - box.left - full.xaxis._offset;
    const py = e.clientY - box.top - full.yaxis._offset;
    if (px < 0 || py < 0 || px > full.xaxis._length || py > full.yaxis._length) return;
    send(s, { kind: "start", x: full.xaxis.p2d(px), y: full.yaxis.p2d(py) });
  }, true);
}

function send(s, event) {
  if (s.setTriggerValue) s.setTriggerValue("action", event);
}

// ------------------------------------------------------------------------------------------- layers
//
// plotly.js redraws a whole plot for any change of its data: every trace's defaults and calc, the image, the
// axes (30-70 ms here for the contour). A step moves only a few traces (each run's grown path, its step marker,
// its arrows), so a layered chart's spec names them, `layers: [a, b]`: traces [0, a) are drawn in the base,
// [a, b) in the "moving" layer over it (a 2D canvas, painted in about a millisecond) and [b, n) in the "top" plot
// over that (minima and saddles stay over the runs). The two upper layers are see-through, take no pointer events
// (hover, zoom and clicks are the base's) and follow the base's plot area exactly: its size, its margins as drawn,
// its axes' domains and ranges, also while a zoom or pan is dragged.
const LAYERS = ["moving", "top"];
const SEE_THROUGH = { paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", showlegend: false,
                      hovermode: false, dragmode: false };

// The figure's traces for each plot of a chart: [base, moving, top] for a layered one, else [all].
function splitTraces(chart, data) {
  const layers = chart.spec.layers;
  return layers ? [data.slice(0, layers[0]), data.slice(layers[0], layers[1]), data.slice(layers[1])] : [data];
}

// The plot (div) holding a chart's trace `index` (a figure index), and the trace's index in that plot.
function plotOf(chart, index) {
  const layers = chart.spec.layers;
  if (!layers || index < layers[0]) return [chart.div, index];
  return index < layers[1] ? [chart.layers[0], index - layers[0]] : [chart.layers[1].div, index - layers[1]];
}

// The base's plot area, as an upper plot's layout: what the base drew (margins after automargin, the axes'
// domains after the equal-aspect constraint, ranges after a zoom), with explicit sizes and no axes of its own.
function followLayout(full, ranges) {
  const axis = (a, range) => ({ range: (range || a.range).slice(), domain: a.domain.slice(), autorange: false,
                                visible: false, fixedrange: true });
  const size = full._size;
  return { width: full.width, height: full.height, autosize: false,
           margin: { l: size.l, r: size.r, t: size.t, b: size.b, pad: 0, autoexpand: false },
           xaxis: axis(full.xaxis, ranges && ranges.x), yaxis: axis(full.yaxis, ranges && ranges.y) };
}

function followBase(s, chart, ranges) {
  const full = chart.div._fullLayout;
  if (!full || !full._size) return;
  const wanted = followLayout(full, ranges);
  const key = JSON.stringify(wanted);
  for (const layer of chart.layers) {
    if (!layer.drawn || layer.key === key) continue;
    layer.key = key;
    layer.area = wanted;
    if (layer.painted) paintLayer(layer);
    else s.Plotly.relayout(layer.div, wanted);
  }
}

// A plot (a chart's base or a layer: `plot.div`) is drawn only when `figure`, its JSON, is not what it already
// shows: plotly.js redraws a whole plot for any call, 20-70 ms here even for the same picture. `data-kept-at` says
// when it was found unchanged (for the bench and the tests). A plot the canvas restyles forgets its figure
// (moveTraces). True when drawn.
async function drawUnlessShown(plot, figure, draw) {
  if (plot.figure === figure) {
    plot.div.dataset.keptAt = String(performance.now());
    return false;
  }
  await draw();
  plot.figure = figure;
  return true;
}

async function drawLayers(s, chart, traces, layout) {
  const area = followLayout(chart.div._fullLayout);
  const own = { ...SEE_THROUGH, font: layout.font, uirevision: layout.uirevision, ...area };
  for (const [k, layer] of chart.layers.entries()) {
    layer.area = area;
    if (layer.painted) {
      layer.traces = traces[k + 1].map(decodeTrace);
      layer.font = layout.font || {};
      paintLayer(layer);
    } else {
      // a press that moves only the runs leaves the minima and saddles as they were; the area is followed apart
      const figure = JSON.stringify([traces[k + 1], layout.font, layout.uirevision]);
      const drawn = await drawUnlessShown(layer, figure, () => s.Plotly.react(layer.div, traces[k + 1], own,
                                                                               { ...CONFIG, staticPlot: true }));
      if (!drawn && layer.key !== JSON.stringify(area)) await s.Plotly.relayout(layer.div, area);
    }
    layer.drawn = true;
    layer.key = JSON.stringify(area);
  }
  if (!chart.following) { // once per base: after each of its draws, and while a zoom or pan is dragged
    chart.following = true;
    chart.div.on("plotly_afterplot", () => followBase(s, chart));
    chart.div.on("plotly_relayouting", (e) => {
      const range = (name) => (e[`${name}.range[0]`] !== undefined ? [e[`${name}.range[0]`], e[`${name}.range[1]`]] : null);
      followBase(s, chart, { x: range("xaxis"), y: range("yaxis") });
    });
  }
}

// ------------------------------------------------------------------------------------------- the moving layer
//
// Painted with a 2D canvas from the traces Python made (the figure's [a, b) slice), as plotly.js would draw them:
// lines broken at gaps (NaN), in the trace's colour, width and dash; circle markers of the marker's size, colour
// and outline; text above its point; the trace's opacity; all clipped to the plot area. Python's moving traces use
// nothing else (tests/test_plots.py checks it), so nothing they say is lost. `layer.div.__traces` is what was
// painted, for the tests.

// A figure's array ({dtype, bdata}, ui.canvas.typed_array) as a typed array; a plain list as it is.
const decodeArray = (value) => (value && typeof value.bdata === "string" ? decodeBytes(value) : value || []);

const decodeTrace = (trace) => ({ ...trace, x: decodeArray(trace.x), y: decodeArray(trace.y) });

// plotly.js's dash patterns (Drawing.dashStyle), in pixels for a line of `width`.
function dashPattern(dash, width) {
  const d = Math.max(width, 3);
  const named = { solid: [], dot: [d, d], dash: [3 * d, 3 * d], longdash: [5 * d, 5 * d],
                  dashdot: [3 * d, d, d, d], longdashdot: [5 * d, 2 * d, d, 2 * d] };
  if (!dash) return [];
  return named[dash] || String(dash).split(/[ ,]+/).map((part) => parseFloat(part)).filter(Number.isFinite);
}

// Where a painted canvas draws: its size, the plot area it is clipped to, and data -> pixel on each axis.
// The contour's moving layer maps through the area it follows (followLayout: linear axes, ranges that may be a
// zoom still being dragged); a preview over a chart maps through that chart's own axes (c2p: a log axis too).
function areaFrame(area) {
  const { width, height } = area;
  const { l, t } = area.margin;
  const w = width - l - area.margin.r, h = height - t - area.margin.b;
  // the axes' domains inside the plot area (the equal-aspect constraint shrinks one of them), then their ranges
  const x0 = l + area.xaxis.domain[0] * w, xw = (area.xaxis.domain[1] - area.xaxis.domain[0]) * w;
  const y0 = t + (1 - area.yaxis.domain[1]) * h, yh = (area.yaxis.domain[1] - area.yaxis.domain[0]) * h;
  const [xa, xb] = area.xaxis.range, [ya, yb] = area.yaxis.range;
  return { width, height, clip: [x0, y0, xw, yh], area: { x: [x0, xw, xa, xb], y: [y0, yh, ya, yb], width, height },
           px: (v) => x0 + ((v - xa) / (xb - xa)) * xw, py: (v) => y0 + ((yb - v) / (yb - ya)) * yh };
}

function axesFrame(full) {
  const { xaxis, yaxis } = full;
  return { width: full.width, height: full.height, clip: [xaxis._offset, yaxis._offset, xaxis._length, yaxis._length],
           px: (v) => xaxis._offset + xaxis.c2p(v), py: (v) => yaxis._offset + yaxis.c2p(v) };
}

function paint(canvas, traces, frame, baseFont) {
  const ratio = window.devicePixelRatio || 1;
  const { width, height, px, py } = frame;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.save();
  ctx.beginPath();
  ctx.rect(...frame.clip);
  ctx.clip();
  for (const trace of traces) {
    const { x, y } = trace;
    const mode = trace.mode || "lines";
    // a point's pixel, or null where it has none (a gap, NaN; on a log axis a value that is not positive)
    const at = (i) => {
      const p = [px(x[i]), py(y[i])];
      return Number.isFinite(p[0]) && Number.isFinite(p[1]) ? p : null;
    };
    ctx.globalAlpha = trace.opacity === undefined ? 1 : trace.opacity;
    const line = trace.line || {};
    if (mode.includes("lines")) {
      ctx.strokeStyle = line.color || "#444";
      ctx.lineWidth = line.width === undefined ? 2 : line.width;
      ctx.lineJoin = "round";
      ctx.setLineDash(dashPattern(line.dash, ctx.lineWidth));
      ctx.beginPath();
      let drawing = false;
      for (let i = 0; i < x.length; i += 1) {
        const p = at(i);
        if (p && drawing) ctx.lineTo(...p);
        else if (p) ctx.moveTo(...p);
        drawing = Boolean(p);
      }
      ctx.stroke();
      ctx.setLineDash([]);
    }
    const marker = trace.marker || {};
    if (mode.includes("markers")) {
      const outline = marker.line || {};
      const edge = outline.width > 0; // (a 2D canvas ignores a line width of 0: it would keep the last one)
      ctx.fillStyle = marker.color || line.color || "#444";
      if (edge) {
        ctx.strokeStyle = outline.color || "#444";
        ctx.lineWidth = outline.width;
      }
      const radius = (marker.size === undefined ? 6 : marker.size) / 2;
      for (let i = 0; i < x.length; i += 1) {
        const p = at(i);
        if (!p) continue;
        ctx.beginPath();
        ctx.arc(...p, radius, 0, 2 * Math.PI);
        ctx.fill();
        if (edge) ctx.stroke();
      }
    }
    if (mode.includes("text") && trace.text) {
      const font = { ...baseFont, ...(trace.textfont || {}) };
      ctx.fillStyle = font.color || "#444";
      ctx.font = `${font.size || 12}px ${font.family || "sans-serif"}`;
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      for (let i = 0; i < x.length; i += 1) {
        const p = at(i);
        if (trace.text[i] && p) ctx.fillText(String(trace.text[i]), p[0], p[1] - 3); // "top center": above it
      }
    }
  }
  ctx.restore();
  canvas.__traces = traces; // for the tests: what was painted, and where (offset, length, range of each axis)
  canvas.__area = frame.area;
}

function paintLayer(layer) {
  paint(layer.div, layer.traces, areaFrame(layer.area), layer.font);
}

// The moving layer's share of a step's updates: its traces' new arrays, painted at once.
function repaint(layer, u) {
  u.indices.forEach((index, k) => {
    const trace = (layer.traces[index] = { ...layer.traces[index] });
    for (const [name, values] of Object.entries(u.attrs)) if (values[k] !== undefined) trace[name] = values[k];
  });
  paintLayer(layer);
}

// ------------------------------------------------------------------------------------------- the drag preview
//
// While a live slider is dragged, the dragged run's curves (training, test) are the fan member's. Restyling them
// makes plotly.js redraw the whole curves chart (about 20 ms a frame), so the run's own curves and its divergence
// mark are made see-through once (the axes keep their ranges: nothing jumps under the drag) and the member's are
// painted over the chart on a 2D canvas, in the curves' own style, through the chart's own axes (a log one too).
// On release the rerun draws the engine's run for the value, and the canvas is cleared.
function previewTrace(chart, index, y) {
  const trace = chart.figureData[index];
  chart.decodedX = chart.decodedX || new Map();
  if (!chart.decodedX.has(index)) chart.decodedX.set(index, decodeArray(trace.x));
  return { ...trace, x: chart.decodedX.get(index), y, opacity: 1 };
}

function paintPreview(chart, traces) {
  const full = chart.div._fullLayout;
  if ((!traces.length && !chart.preview) || !full || !full.xaxis) return;
  if (!chart.preview) {
    chart.preview = el("canvas", "cv-layer", chart.box);
    chart.preview.dataset.layerOf = chart.spec.id;
    chart.preview.dataset.layer = "preview";
  }
  paint(chart.preview, traces, axesFrame(full), full.font);
}

// ------------------------------------------------------------------------------------------- the step cursor
//
// The curves' step cursor is the figure's first shape (Python's line style); moving a shape makes plotly.js
// redraw the whole plot, so the canvas takes it out of the figure and draws it as a line of its own, placed
// through the axes' own l2p.
const DASHES = { dot: "dotted", dash: "dashed", solid: "solid" };

function takeCursor(chart, layout) {
  const shape = (layout.shapes || [])[0];
  if (!shape) return (chart.cursor = null);
  layout.shapes = layout.shapes.slice(1);
  if (!chart.cursorLine) chart.cursorLine = el("div", "cv-cursor", chart.box);
  const line = shape.line || {};
  chart.cursorLine.style.borderLeft = `${line.width || 1}px ${DASHES[line.dash] || "solid"} ${line.color || "#555"}`;
  return (chart.cursor = shape);
}

function placeCursor(chart, step) {
  const line = chart.cursorLine;
  const full = chart.div._fullLayout;
  if (!line) return;
  line.hidden = !chart.cursor || !full || !full.xaxis;
  if (line.hidden) return;
  const x = full.xaxis._offset + full.xaxis.l2p(step);
  line.hidden = !(x >= full.xaxis._offset && x <= full.xaxis._offset + full.xaxis._length);
  line.style.left = `${x}px`;
  line.style.top = `${full.yaxis._offset}px`;
  line.style.height = `${full.yaxis._length}px`;
  line.dataset.step = String(step);
}

// ------------------------------------------------------------------------------------------- the step

function play(s) {
  const total = s.data.player.steps;
  if (s.step >= total) s.step = 0;
  s.playing = true;
  s.play.textContent = "❚❚ Pause";
  let last = performance.now();
  let carry = 0;
  const tick = (now) => {
    if (!s.playing) return;
    carry += ((now - last) * s.speed) / s.data.player.frame_ms;
    last = now;
    const advance = Math.floor(carry);
    carry -= advance;
    if (advance > 0) {
      s.step += advance;
      if (s.step >= total) {
        if (s.loop) s.step %= total + 1;
        else {
          s.step = total;
          drawStep(s);
          pause(s);
          return;
        }
      }
      drawStep(s);
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function pause(s, report = true) {
  s.playing = false;
  s.play.textContent = "▶ Play";
  if (report) reportStepSoon(s, 0);
}

function reportStepSoon(s, delay = REPORT_MS) {
  clearTimeout(s.reportTimer);
  s.reportTimer = setTimeout(() => {
    if (s.playing || s.step === s.serverStep) return;
    s.serverStep = s.step; // the rerun this causes comes back with this step: not a jump
    send(s, { kind: "step", step: s.step });
  }, delay);
}

function schedule(s) {
  if (s.queued) return;
  s.queued = true;
  requestAnimationFrame(() => {
    s.queued = false;
    drawStep(s);
  });
}

// The path a run shows now: its own, or while its live slider is dragged the fan member under the thumb.
function source(s, r) {
  const run = s.data.player.runs[r];
  const drag = s.drag;
  if (!drag || drag.run !== r) return { path: run.path, curve: null, testCurve: null };
  const fan = drag.slider.fan;
  const x = row(fan.x, drag.member);
  return { path: { x, y: row(fan.y, drag.member), z: fan.z ? row(fan.z, drag.member) : null, block: x.length + 1, n: 1 },
           curve: row(fan.curve, drag.member), testCurve: fan.test_curve ? row(fan.test_curve, drag.member) : null };
}

// Trace updates for every chart at the current step, as {chart id: {indices, attrs, over}}: one restyle of each
// plot, and the traces painted over the chart during a drag (see "the drag preview").
function stepUpdates(s) {
  const t = s.step;
  const updates = {};
  const entry = (chart) => (updates[chart] = updates[chart] || { indices: [], attrs: {}, over: [] });
  const put = (chart, index, values) => {
    if (index === undefined || !s.charts.has(chart)) return;
    const u = entry(chart);
    u.indices.push(index);
    const k = u.indices.length - 1;
    for (const [name, value] of Object.entries(values)) {
      (u.attrs[name] = u.attrs[name] || [])[k] = value;
    }
  };
  const over = (chart, index, y) => { // painted over the chart (see "the drag preview")
    const c = s.charts.get(chart);
    if (index !== undefined && c && c.figureData) entry(chart).over.push(previewTrace(c, index, y));
  };
  s.data.player.runs.forEach((run, r) => {
    const { path, curve, testCurve } = source(s, r);
    const contour = run.traces.contour || {};
    put("contour", contour.grown, { x: grownPath(path.x, path, t), y: grownPath(path.y, path, t) });
    put("contour", contour.step, { x: atStep(path.x, path, t), y: atStep(path.y, path, t) });
    const dragged = Boolean(s.drag && s.drag.run === r);
    if (dragged && !s.drag.hidden) {
      // the run's own whole path and end give way to the fan member's grown path, once per drag (they lie in the
      // base, which is slow to redraw); the rerun on release draws them again
      put("contour", contour.path, { x: [], y: [] });
      put("contour", contour.end, { x: [], y: [] });
    }
    for (const [key, lines] of Object.entries(run.arrows || {})) {
      // the arrows belong to the run's own path: hidden while a fan member stands in for it
      const piece = lines.subarray(t * 14, t * 14 + 14);
      const xs = [], ys = [];
      for (let i = 0; i < 7; i += 1) {
        xs.push(dragged ? NaN : piece[2 * i]);
        ys.push(dragged ? NaN : piece[2 * i + 1]);
      }
      put("contour", contour[`arrow.${key}`], { x: xs, y: ys });
    }
    const s3 = run.traces.surface3d || {};
    if (path.z) { // heights come with the 3D view only
      put("surface3d", s3.step, { x: atStep(path.x, path, t), y: atStep(path.y, path, t), z: atStep(path.z, path, t) });
      if (dragged) put("surface3d", s3.path, { x: path.x, y: path.y, z: path.z });
    }
    if (dragged) {
      const curves = run.traces.curves || {};
      if (!s.drag.hidden) for (const role of ["curve", "test_curve", "diverged"]) put("curves", curves[role], { opacity: 0 });
      over("curves", curves.curve, curve);
      if (testCurve) over("curves", curves.test_curve, testCurve);
    }
    if (run.model) put("model", (run.traces.model || {}).model, modelAt(run.model, t, run.path.block - 2, dragged));
  });
  if (s.drag) s.drag.hidden = true;
  return updates;
}

// One restyle per plot with changed traces, one repaint of the moving layer. (Plotly.animate is not used: it
// draws on the next animation frame and still recomputes every trace of its plot.)
function moveTraces(s, chart, u) {
  const byPlot = new Map();
  paintPreview(chart, u.over);
  u.indices.forEach((index, k) => {
    const [gd, local] = plotOf(chart, index);
    const p = byPlot.get(gd) || byPlot.set(gd, { indices: [], attrs: {} }).get(gd);
    p.indices.push(local);
    for (const [name, values] of Object.entries(u.attrs)) (p.attrs[name] = p.attrs[name] || [])[p.indices.length - 1] = values[k];
  });
  // a restyled plot no longer shows the figure it was drawn from: the next update draws it
  if (byPlot.has(chart.div)) chart.figure = null;
  for (const layer of chart.layers) if (byPlot.has(layer.div)) layer.figure = null;
  return [...byPlot].map(([gd, p]) => (gd.painted ? repaint(gd, p) : s.Plotly.restyle(gd, p.attrs, p.indices)));
}

// One draw at a time: a draw asked for while one runs is done once it ends, at the step of that moment.
function drawStep(s) {
  if (!s.Plotly || !s.data || !s.data.player) return; // no step to draw on a single chart
  if (s.drawing) {
    s.redraw = true;
    return;
  }
  s.scrub.value = String(s.step);
  s.stepLabel.textContent = `step ${s.step} / ${s.data.player.steps}`;
  const pending = [];
  for (const [id, u] of Object.entries(stepUpdates(s))) {
    const chart = s.charts.get(id);
    if (chart && chart.drawn) pending.push(...moveTraces(s, chart, u));
  }
  for (const chart of s.charts.values()) placeCursor(chart, s.step);
  drawLedger(s);
  s.drawing = Promise.all(pending).finally(() => {
    s.drawing = null;
    s.root.dispatchEvent(new CustomEvent("cv-drawn", { detail: { step: s.step } })); // for the benchmark: a frame
    if (s.redraw) {
      s.redraw = false;
      drawStep(s);
    }
  });
}

// ------------------------------------------------------------------------------------------- ledger, sliders

// The table is built when its runs or columns change; a step only rewrites the texts that differ (a table built
// anew on every frame made the browser lay out the whole page each time).
function drawLedger(s) {
  const ledger = s.data.ledger;
  if (!ledger) return;
  if (!s.table) {
    s.ledgerTitle = el("div", "cv-ledger-title", s.ledger);
    s.table = el("table", "", s.ledger);
  }
  s.ledgerTitle.textContent = `Step-by-step ledger at step ${s.step}` + (s.drag ? " (of the runs as set)" : "");
  const head = ["run", "step", ...ledger.columns];
  const shape = JSON.stringify([head, ledger.runs.map((run) => [run.label, run.color])]);
  if (s.ledgerShape !== shape) {
    s.ledgerShape = shape;
    // text only (textContent): a run's label is the user's own text
    const line = (tag, texts) => {
      const tr = document.createElement("tr");
      return [tr, texts.map((text) => {
        const cell = el(tag, "", tr);
        cell.textContent = text;
        return cell;
      })];
    };
    const [top] = line("th", head);
    const rows = ledger.runs.map((run) => line("td", head.map(() => "")));
    rows.forEach(([, cells], i) => (cells[0].style.borderLeft = `4px solid ${ledger.runs[i].color}`));
    s.table.replaceChildren(top, ...rows.map(([tr]) => tr));
    s.ledgerCells = rows.map(([, cells]) => cells);
  }
  ledger.runs.forEach((run, i) => {
    const last = run.values[ledger.columns[0]].length - 1;
    const t = Math.min(s.step, last);
    const texts = [run.label, String(t), ...ledger.columns.map((c) => {
      const v = run.values[c];
      return ledger.vectors.includes(c) ? fmtVec(v[2 * t], v[2 * t + 1]) : fmt(v[t]);
    })];
    texts.forEach((text, j) => {
      const cell = s.ledgerCells[i][j];
      if (cell.textContent !== text) cell.textContent = text;
    });
  });
}

// One row per run under the contour: its colour and label (the contour's legend), and its live sliders.
function drawRuns(s) {
  s.live.replaceChildren();
  for (const run of s.data.runs || []) {
    const line = el("div", "cv-run", s.live);
    line.style.setProperty("--run", run.color);
    el("span", "cv-run-title", line).textContent = run.label;
    for (const slider of run.sliders) {
      const box = el("label", "cv-slider", line);
      el("span", "cv-slider-name", box).textContent = slider.label;
      const input = el("input", "", box);
      input.type = "range";
      input.min = "0";
      input.max = String(slider.values.length - 1);
      input.value = String(slider.index);
      input.dataset.key = slider.key;
      const value = el("span", "cv-slider-value", box);
      value.textContent = slider.labels[slider.index];
      input.addEventListener("input", () => {
        const member = Number(input.value);
        value.textContent = slider.labels[member];
        const hidden = Boolean(s.drag && s.drag.run === run.run && s.drag.hidden);
        s.drag = { run: run.run, member, slider, hidden };
        schedule(s);
      });
      input.addEventListener("change", () => {
        const member = Number(input.value);
        if (member === slider.index) draw(s, s.latest); // back where it was: the run's own path, no rerun
        else send(s, { kind: "hparam", key: slider.key, value: slider.values[member] });
      });
    }
  }
}

function drawKinds(s) {
  const curves = s.data.curves;
  s.kinds.replaceChildren();
  if (!curves) return;
  for (const kind of curves.kinds) {
    const button = el("button", kind.value === curves.value ? "cv-kind cv-on" : "cv-kind", s.kinds);
    button.type = "button";
    button.textContent = kind.label;
    button.addEventListener("click", () => kind.value !== curves.value && send(s, { kind: "curve", value: kind.value }));
  }
}

// The step control, built the first time a player arrives: a single chart (the explore views, the chart-less
// canvas that preloads plotly.js) has none, so the page's only scrubber is the comparison's.
function buildBar(s) {
  s.bar = el("div", "cv-bar");
  s.root.insertBefore(s.bar, s.root.firstChild);
  s.play = el("button", "cv-play", s.bar);
  s.play.type = "button";
  s.scrub = el("input", "cv-scrub", s.bar);
  s.scrub.type = "range";
  s.scrub.min = "0";
  s.scrub.setAttribute("aria-label", "step");
  s.stepLabel = el("span", "cv-step", s.bar);
  s.speedBox = el("select", "cv-speed", s.bar);
  s.speedBox.setAttribute("aria-label", "speed");
  const loop = el("label", "cv-loop", s.bar);
  s.loopBox = el("input", "", loop);
  s.loopBox.type = "checkbox";
  loop.appendChild(document.createTextNode(" loop"));
  s.play.addEventListener("click", () => (s.playing ? pause(s) : play(s)));
  s.scrub.addEventListener("input", () => {
    if (s.playing) pause(s, false);
    s.step = Number(s.scrub.value);
    schedule(s);
  });
  s.scrub.addEventListener("change", () => reportStepSoon(s)); // released (or a key press): report once it rests
  s.speedBox.addEventListener("change", () => (s.speed = Number(s.speedBox.value)));
  s.loopBox.addEventListener("change", () => (s.loop = s.loopBox.checked));
}

function drawBar(s) {
  const player = s.data.player;
  if (!s.bar) buildBar(s);
  s.bar.hidden = false;
  s.scrub.max = String(player.steps);
  if (!s.speedBox.options.length) {
    for (const speed of player.speeds) {
      const option = el("option", "", s.speedBox);
      option.value = String(speed);
      option.textContent = `${speed}×`;
      option.selected = speed === 1;
    }
  }
  if (!s.playing) s.play.textContent = "▶ Play";
}

// ------------------------------------------------------------------------------------------- an update from Python

// Updates are drawn one after another, and only the newest: two drawn at once interleave at their awaits (a
// slider pressed three times sends three), so an older one could paint its paths over a newer one's charts.
// `data-drawing` is on the root while an update waits or draws (for the tests: the page is drawn when none is).
function draw(s, data) {
  s.latest = data;
  s.root.dataset.drawing = "";
  s.updating = (s.updating || Promise.resolve())
    .then(() => (s.latest === data ? update(s, data) : undefined))
    .catch((error) => console.error("canvas:", error))
    .finally(() => s.latest === data && delete s.root.dataset.drawing);
}

async function update(s, data) {
  s.data = data;
  s.root.style.setProperty("--cv-scale", String((data.layout || {}).scale || 1));
  s.root.style.setProperty("--cv-side-min", `${(data.layout || {}).side_min || 360}px`);
  s.root.style.setProperty("--cv-side-width", `${(data.layout || {}).side_width || 414}px`);
  s.root.classList.toggle("cv-single", !data.player);
  if (s.bar) s.bar.hidden = !data.player; // a single chart has no step control
  if (data.player) {
    // Python's step is adopted unless it is the one this page reported itself (the user may have moved on).
    if (data.player.step !== s.serverStep) s.step = data.player.step;
    s.serverStep = data.player.step;
    s.step = Math.min(s.step, data.player.steps);
  }
  s.drag = null; // a new value arrived: what is drawn is now the engine's run for it
  const ids = new Set(data.charts.map((c) => c.id));
  for (const [id, chart] of s.charts) {
    if (!ids.has(id)) {
      if (s.Plotly) [chart.div, ...chart.layers.filter((l) => !l.painted).map((l) => l.div)].forEach((div) => s.Plotly.purge(div));
      chart.box.remove();
      s.charts.delete(id);
    }
  }
  const charts = data.charts.map((spec) => chartFor(s, spec));
  orderCharts(s, charts);
  if (data.player) {
    drawBar(s);
    drawKinds(s);
    drawRuns(s);
  }
  fitHeights(s);
  s.Plotly = await loadPlotly(data.plotly);
  if (s.latest !== data) return; // a newer update arrived while plotly.js loaded: it draws everything
  const drawnStep = s.step;
  const updates = data.player ? stepUpdates(s) : {};
  for (const chart of charts) {
    const figure = JSON.parse(chart.spec.figure);
    const u = updates[chart.spec.id];
    if (u) {
      // draw the figure at the page's own step straight away (Python drew it at the step it knows)
      u.indices.forEach((index, k) => {
        for (const [name, values] of Object.entries(u.attrs)) if (values[k] !== undefined) figure.data[index][name] = values[k];
      });
    }
    if (chart.spec.id === "curves" && data.player) takeCursor(chart, figure.layout);
    const traces = splitTraces(chart, figure.data);
    // switching the curves' kind leaves the contour as it was, a toggle of the 3D view both other charts
    await drawUnlessShown(chart, JSON.stringify([traces[0], figure.layout]),
                          () => s.Plotly.react(chart.div, traces[0], figure.layout, CONFIG));
    if (!chart.cursorFollows) { // the cursor stands at the step as the axes are now, also after a resize
      chart.cursorFollows = true;
      chart.div.on("plotly_afterplot", () => placeCursor(chart, s.step));
    }
    if (s.latest !== data) return;
    if (chart.spec.layers) await drawLayers(s, chart, traces, figure.layout);
    if (s.latest !== data) return;
    chart.figureData = figure.data;
    chart.decodedX = null;
    paintPreview(chart, []); // a drag's preview, if any, gives way to what was just drawn
    chart.drawn = true;
    placeCursor(chart, s.step);
  }
  if (data.player) {
    s.scrub.value = String(s.step);
    s.stepLabel.textContent = `step ${s.step} / ${data.player.steps}`;
    drawLedger(s);
    placeSide(s); // now that the contour is drawn (its resize, if the side column moves, follows by itself)
    if (s.step !== drawnStep) schedule(s); // scrubbed while the charts were drawn: the step skipped the undrawn ones
  }
  s.root.dataset.updates = String(Number(s.root.dataset.updates || 0) + 1); // for tests: updates drawn
}

export default function (component) {
  const { parentElement, setTriggerValue } = component;
  const s = parentElement.__canvas || (parentElement.__canvas = build(parentElement));
  s.setTriggerValue = setTriggerValue;
  draw(s, unpack(component.data));
}
