// The live chart's fast path while playing: a canvas over Plotly's plot area.
//
// Plotly redraws a frame as SVG (and a heatmap as a PNG it encodes and the browser decodes):
// ~30 ms of browser time for a 2D frame here, so with Streamlit's own share the 2D view
// topped out near 15 redraws a second on two cores. Every trace of the plane is a heatmap or
// a scatter of lines, fills and round markers, which a 2D canvas paints in ~1 ms. So while
// playing, Plotly draws only a skeleton of the frame (axes, legend, colour bar: the traces
// without their data), once, and each frame is painted on a canvas laid over the plot area,
// from the styles Plotly resolved for the skeleton (default colours, colour scales). Zoom,
// pan and legend clicks still go to Plotly; after each of them the canvas is painted again.
// Paused, frames go back to Plotly itself (hover, the PNG download of the mode bar).
"use strict";

const Overlay = (() => {
  // Plotly's named dashes, in units of the line width (at least 3 px).
  const DASHES = { dot: [1, 1], dash: [3, 3], longdash: [5, 5], dashdot: [3, 1, 1, 1], longdashdot: [5, 2, 1, 2] };
  const canvas = document.createElement("canvas");
  canvas.className = "ganlab-overlay";
  canvas.style.cssText = "position:absolute;pointer-events:none;";
  const ctx = canvas.getContext("2d");
  const probe = document.createElement("canvas").getContext("2d");  // parses CSS colours
  const cells = document.createElement("canvas");  // a heatmap, one pixel per cell
  const luts = new Map();  // colour scale JSON -> 256 RGBA entries
  let chart = null, shown = null, skeletonKey = null, active = false;

  function isArray(a) {  // plain, or typed (typed.js)
    return Array.isArray(a) || isTyped(a);
  }

  // A scatter's mode, with Plotly's default where the spec leaves it out (it depends on the
  // number of points, so the skeleton's one point must not decide it).
  function modeOf(t) {
    const n = Array.isArray(t.x) ? t.x.length : typedLength(t.x);
    return t.mode || (n < 20 ? "lines+markers" : "lines");
  }

  // Which traces the canvas paints as Plotly would; any other trace keeps a frame on Plotly.
  // (Heatmaps: cells evenly spaced, as ganlab's grids are.)
  function paintable(t) {
    const type = t.type || "scatter";
    if (t.opacity !== undefined && t.opacity !== 1) return false;
    if (type === "heatmap") {
      const smooth = !t.zsmooth || t.zsmooth === "fast";
      return isArray(t.x) && isArray(t.y) && isArray(t.z) && smooth && !t.transpose && !t.xgap && !t.ygap && !t.reversescale;
    }
    if (type !== "scatter" || !isArray(t.x) || !isArray(t.y) || t.connectgaps) return false;
    if (t.text || t.error_x || t.error_y || (t.fill && t.fill !== "none" && t.fill !== "toself")) return false;
    const line = t.line || {}, marker = t.marker || {};
    if (marker.opacity !== undefined) return false;
    if ((line.shape && line.shape !== "linear") || (line.dash && !(line.dash in DASHES) && line.dash !== "solid")) return false;
    if (!modeOf(t).includes("markers")) return true;
    const symbol = marker.symbol || "circle";
    return (symbol === "circle" || symbol === "circle-open") && !Array.isArray(marker.size) && !Array.isArray(marker.color);
  }

  // A frame the canvas can take: one x and one y axis, both with fixed linear ranges, and
  // only traces it paints (at least one).
  function suits(spec) {
    const layout = spec.layout;
    const axes = Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k));
    if (axes.length !== 2 || !layout.xaxis || !layout.yaxis || spec.data.length === 0) return false;
    const fixed = (a) => Array.isArray(a.range) && a.autorange !== true && (!a.type || a.type === "linear");
    return fixed(layout.xaxis) && fixed(layout.yaxis) && spec.data.every(paintable);
  }

  // The traces without their data: Plotly draws legend entries and colour bars from these.
  // Each keeps one point (a heatmap one cell) far outside the axes: Plotly hides a trace
  // with no data at all, legend entry included.
  function skeleton(spec) {
    const far = (axis) => {
      const [a, b] = spec.layout[axis].range;
      return Math.max(a, b) + 10 * Math.abs(b - a) + 1;
    };
    const at = { x: [far("xaxis")], y: [far("yaxis")] };
    return spec.data.map((t) =>
      (t.type || "scatter") === "heatmap"
        ? Object.assign({}, t, at, { z: [[t.zmin === undefined ? 0 : t.zmin]] })
        : Object.assign({}, t, at, { mode: modeOf(t) }));
  }

  function rgba(color) {
    probe.fillStyle = "#000";
    probe.fillStyle = color;
    const c = probe.fillStyle;  // "#rrggbb" or "rgba(r, g, b, a)"
    if (c[0] === "#") return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)).concat(255);
    const parts = c.slice(c.indexOf("(") + 1, -1).split(",").map(Number);
    return [parts[0], parts[1], parts[2], Math.round(255 * (parts.length > 3 ? parts[3] : 1))];
  }

  // A colour scale ([[fraction, colour], ...] as Plotly resolved it) in 256 steps, each
  // interpolated linearly in RGB between the scale's stops, as Plotly's own heatmaps are.
  function lut(scale) {
    const key = JSON.stringify(scale);
    if (luts.has(key)) return luts.get(key);
    const stops = scale.map(([at, color]) => [Number(at), rgba(color)]);
    const table = new Uint8ClampedArray(256 * 4);
    for (let i = 0; i < 256; i++) {
      const v = i / 255;
      let j = 0;
      while (j < stops.length - 2 && v > stops[j + 1][0]) j++;
      const [a, ca] = stops[j], [b, cb] = stops[Math.min(j + 1, stops.length - 1)];
      const f = b > a ? Math.min(Math.max((v - a) / (b - a), 0), 1) : 0;
      for (let k = 0; k < 4; k++) table[4 * i + k] = Math.round(ca[k] + f * (cb[k] - ca[k]));
    }
    luts.set(key, table);
    return table;
  }

  function values(a) {
    return Array.isArray(a) ? a : decode(a);
  }

  function paintHeatmap(t, full, view) {
    const x = values(t.x), y = values(t.y);
    const nx = x.length, ny = y.length;
    const z = Array.isArray(t.z) ? t.z.flat() : decode(t.z);
    if (nx < 2 || ny < 2 || z.length !== nx * ny) return;
    let lo = full.zmin, hi = full.zmax;
    if (!(hi > lo)) { lo = Infinity; hi = -Infinity; for (const v of z) if (v === v && v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
    const table = lut(full.colorscale);
    const image = new ImageData(nx, ny);
    const px = image.data, span = hi > lo ? hi - lo : 1;
    // Image rows run down the screen and columns to the right, whichever way the data and
    // the axes (reversed, say) run.
    const lastTop = view.py(y[ny - 1]) < view.py(y[0]), lastLeft = view.px(x[nx - 1]) < view.px(x[0]);
    for (let r = 0; r < ny; r++) {
      const row = lastTop ? ny - 1 - r : r;
      for (let c = 0; c < nx; c++) {
        const v = z[r * nx + c];
        if (v === null || v !== v) continue;  // no value: transparent, as in Plotly
        const i = 4 * Math.round(255 * Math.min(Math.max((v - lo) / span, 0), 1));
        const o = 4 * (row * nx + (lastLeft ? nx - 1 - c : c));
        px[o] = table[i]; px[o + 1] = table[i + 1]; px[o + 2] = table[i + 2]; px[o + 3] = table[i + 3];
      }
    }
    if (cells.width !== nx || cells.height !== ny) { cells.width = nx; cells.height = ny; }
    cells.getContext("2d").putImageData(image, 0, 0);
    // Bricks centred on x and y, as Plotly lays them out: the grid's edges are half a step out.
    const dx = (x[nx - 1] - x[0]) / (nx - 1), dy = (y[ny - 1] - y[0]) / (ny - 1);
    const left = view.px(Math.min(x[0], x[nx - 1]) - Math.abs(dx) / 2);
    const right = view.px(Math.max(x[0], x[nx - 1]) + Math.abs(dx) / 2);
    const top = view.py(Math.max(y[0], y[ny - 1]) + Math.abs(dy) / 2);
    const bottom = view.py(Math.min(y[0], y[ny - 1]) - Math.abs(dy) / 2);
    // One pixel per cell, scaled up: pixelated, or smoothed by the browser ("fast"), as in Plotly.
    ctx.imageSmoothingEnabled = full.zsmooth === "fast";
    ctx.drawImage(cells, Math.min(left, right), Math.min(top, bottom), Math.abs(right - left), Math.abs(bottom - top));
  }

  // Whether leaving out the ``skip`` steps cuts the outline into closed rings only (each piece
  // ends where it starts): then the fill is the same. Otherwise (a spur in an open outline,
  // say) nothing is left out.
  function closedPieces(x, y, skip, ok) {
    let first = -1;
    for (let i = 0; i <= x.length; i++) {
      const cut = i === x.length || !ok(i) || skip[i];
      if (cut && first >= 0) {
        const last = i - 1;
        if (last > first && (x[last] !== x[first] || y[last] !== y[first])) return false;
        first = -1;
      }
      if (i < x.length && ok(i) && (first < 0 || skip[i])) first = i;
    }
    return true;
  }

  // The trace's points as canvas subpaths, broken at missing values as Plotly breaks them.
  // For a fill, a step that the outline also takes backwards (P to Q and Q to P) is left out,
  // both ways: the pair encloses no area, but the canvas's anti-aliasing left a faint line
  // along such steps (ganlab/figures/toy2d.py chains its dots and arrows into one outline with them).
  function tracePath(x, y, view, fill) {
    const n = Math.min(x.length, y.length), ok = (i) => x[i] !== null && y[i] !== null && x[i] === x[i] && y[i] === y[i];
    const skip = new Uint8Array(n);  // 1: leave out the step from point i - 1 to point i
    if (fill) {
      const open = new Map();  // "from|to" -> indices of steps not yet matched by their reverse
      for (let i = 1; i < n; i++) {
        if (!ok(i) || !ok(i - 1) || (x[i] === x[i - 1] && y[i] === y[i - 1])) continue;
        const back = open.get(x[i] + "," + y[i] + "|" + x[i - 1] + "," + y[i - 1]);
        if (back && back.length) { skip[back.pop()] = 1; skip[i] = 1; continue; }
        const key = x[i - 1] + "," + y[i - 1] + "|" + x[i] + "," + y[i];
        if (open.has(key)) open.get(key).push(i); else open.set(key, [i]);
      }
    }
    if (fill && !closedPieces(x, y, skip, ok)) skip.fill(0);
    ctx.beginPath();
    let started = false;
    for (let i = 0; i < n; i++) {
      if (!ok(i)) { if (started && fill) ctx.closePath(); started = false; continue; }
      if (started && !skip[i]) ctx.lineTo(view.px(x[i]), view.py(y[i]));
      else { ctx.moveTo(view.px(x[i]), view.py(y[i])); started = true; }
    }
  }

  function paintScatter(t, full, view) {
    const x = values(t.x), y = values(t.y);
    const n = Math.min(x.length, y.length);
    const mode = full.mode;
    if (full.fill === "toself" && full.fillcolor) {
      tracePath(x, y, view, true);
      ctx.fillStyle = full.fillcolor;
      ctx.fill();
    }
    const line = full.line || {};
    if (mode.includes("lines") && line.width > 0) {
      tracePath(x, y, view, false);
      const dash = DASHES[line.dash] || [];
      const unit = Math.max(line.width, 3);  // Plotly's dash lengths grow with wider lines
      ctx.setLineDash(dash.map((d) => d * unit));
      ctx.lineWidth = line.width;
      ctx.strokeStyle = line.color;
      ctx.lineJoin = "miter";  // SVG's defaults, as Plotly draws
      ctx.miterLimit = 4;
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (mode.includes("markers")) {
      const m = full.marker || {}, r = (m.size || 6) / 2, open = m.symbol === "circle-open";
      const edge = (m.line && m.line.width) || (open ? 1 : 0);
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        const a = x[i], b = y[i];
        if (a === null || b === null || a !== a || b !== b) continue;
        ctx.moveTo(view.px(a) + r, view.py(b));
        ctx.arc(view.px(a), view.py(b), r, 0, 2 * Math.PI);
      }
      if (!open) { ctx.fillStyle = m.color; ctx.fill(); }
      if (edge > 0) {
        ctx.lineWidth = edge;
        ctx.strokeStyle = open ? m.color : (m.line && m.line.color) || "#444";
        ctx.stroke();
      }
    }
  }

  // Paint ``spec`` over the plot area Plotly laid out (its axes' current ranges: zoom included).
  function paint(spec) {
    shown = spec;
    const fl = chart._fullLayout;
    if (!fl || !fl.xaxis || !fl.yaxis || !chart._fullData) return;
    const xa = fl.xaxis, ya = fl.yaxis;
    // Over the traces' layer, under Plotly's top one (the zoom box, annotations, mode bar).
    const top = fl._toppaper && fl._toppaper.node();
    if (top && canvas.nextSibling !== top) top.parentNode.insertBefore(canvas, top);
    const w = xa._length, h = ya._length, dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = w + "px";
      canvas.style.height = h + "px";
    }
    canvas.style.left = xa._offset + "px";
    canvas.style.top = ya._offset + "px";
    canvas.style.display = "";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const [x0, x1] = xa.range.map(Number), [y0, y1] = ya.range.map(Number);
    const view = { px: (v) => ((v - x0) / (x1 - x0)) * w, py: (v) => ((y1 - v) / (y1 - y0)) * h };
    spec.data.forEach((t, i) => {
      const full = chart._fullData[i];
      if (!full || full.visible !== true) return;  // hidden, e.g. by a click on its legend entry
      if ((t.type || "scatter") === "heatmap") paintHeatmap(t, full, view);
      else paintScatter(t, full, view);
    });
  }

  return {
    suits: suits,

    // Draw ``spec`` with the canvas; Plotly redraws its skeleton only when that changed
    // (``spec.layoutKey``: the layout as sent, so a zoom that Plotly wrote into it does not count).
    async draw(target, spec, config) {
      const bones = skeleton(spec), key = spec.layoutKey + JSON.stringify(bones);
      if (!active || chart !== target || key !== skeletonKey) {
        active = true;
        shown = null;
        // A fresh layout object: Plotly writes into the one it holds (ranges it constrained).
        // No autorange (a double click, the mode bar): it would fit the skeleton's far points.
        const remove = (config.modeBarButtonsToRemove || []).concat(["autoScale2d"]);
        const fixed = Object.assign({}, config, { doubleClick: "reset", modeBarButtonsToRemove: remove });
        await Plotly.react(target, bones, JSON.parse(spec.layoutKey), fixed);
        skeletonKey = key;
        if (chart !== target) {
          chart = target;
          // After a zoom, a pan, a legend click or a resize, paint the frame shown again.
          chart.on("plotly_afterplot", () => { if (active && shown) paint(shown); });
        }
      }
      paint(spec);
    },

    // Back to Plotly: hide the canvas. True if it had been in use (Plotly then holds a
    // skeleton, and the next frame must be drawn in full).
    leave() {
      canvas.style.display = "none";
      const was = active;
      active = false;
      skeletonKey = shown = null;
      return was;
    },

    // The canvas as a PNG data URL (the browser tests compare pictures).
    picture() { return canvas.toDataURL("image/png"); },
  };
})();
