// Small SVG charts drawn in the page: stacked bars and lines over time. No library, no build step.
"use strict";
(function () {
  const C = window.Celeriac, el = C.el;
  const H = 220, M = { top: 12, right: 14, bottom: 26, left: 62 };

  // The top of the y axis: four equal steps of a round size (whole steps for counts).
  function niceMax(v, whole) {
    if (!(v > 0)) return whole ? 4 : 1;
    const raw = v / 4, p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of whole ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]) {
      const step = m * p;
      if (step >= raw && (!whole || Number.isInteger(step))) return step * 4;
    }
    return Math.ceil(raw) * 4;
  }
  const pad = (n) => String(n).padStart(2, "0");
  let withSeconds = false;
  const hhmm = (t) => { const d = new Date(t * 1000); return pad(d.getHours()) + ":" + pad(d.getMinutes()) + (withSeconds ? ":" + pad(d.getSeconds()) : ""); };

  function frame(container, points, yMax, yFormat) {
    withSeconds = points.length > 1 && points[points.length - 1].t - points[0].t < 600;
    const W = Math.max(320, container.clientWidth || 600);
    const svg = el("svg:svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img" });
    const iw = W - M.left - M.right, ih = H - M.top - M.bottom;
    for (let i = 0; i <= 4; i++) {
      const y = M.top + ih - (ih * i) / 4;
      svg.append(el("svg:line", { class: "grid-line", x1: M.left, x2: W - M.right, y1: y, y2: y }));
      svg.append(el("svg:text", { x: M.left - 8, y: y + 4, "text-anchor": "end" }, yFormat((yMax * i) / 4)));
    }
    svg.append(el("svg:line", { class: "axis", x1: M.left, x2: W - M.right, y1: M.top + ih, y2: M.top + ih }));
    const n = points.length, step = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(iw / 70))));
    for (let i = 0; i < n; i += step) {
      const x = M.left + (iw * (i + 0.5)) / n;
      svg.append(el("svg:text", { x, y: H - 8, "text-anchor": "middle" }, hhmm(points[i].t)));
    }
    return { svg, W, iw, ih };
  }

  function legend(series) {
    return el("div", { class: "legend" }, series.map((s) => el("span", {}, el("i", { style: null, class: "sw-" + s.key }), s.label)));
  }

  function paintLegend(node, series) {
    // Swatch colours are SVG-free inline elements; CSP allows CSSOM styles set from script.
    node.querySelectorAll("i").forEach((i, k) => { i.style.background = series[k].color; });
    return node;
  }

  // Stacked bars, one per point: series keys are read from each point.
  C.charts = {};
  C.charts.bars = function (container, points, series, yFormat) {
    C.clear(container);
    yFormat = yFormat || ((v) => C.fmtNum(Math.round(v)));
    const max = niceMax(Math.max(0, ...points.map((p) => series.reduce((s, x) => s + (p[x.key] || 0), 0))), true);
    const { svg, iw, ih } = frame(container, points, max, yFormat);
    const bw = iw / Math.max(1, points.length);
    points.forEach((p, i) => {
      let y = M.top + ih;
      const total = series.reduce((s, x) => s + (p[x.key] || 0), 0);
      for (const s of series) {
        const v = p[s.key] || 0;
        if (!v) continue;
        const h = (ih * v) / max;
        y -= h;
        const rect = el("svg:rect", { x: M.left + i * bw + bw * 0.12, y, width: Math.max(1, bw * 0.76), height: h, fill: s.color, rx: 1.5 });
        rect.append(el("svg:title", {}, `${hhmm(p.t)} — ${s.label}: ${v} (total ${total})`));
        svg.append(rect);
      }
    });
    container.append(svg, paintLegend(legend(series), series));
  };

  // Lines, one per series; a point may lack a series (a gap).
  C.charts.lines = function (container, points, series, yFormat) {
    C.clear(container);
    const whole = !yFormat;
    yFormat = yFormat || ((v) => C.fmtNum(Math.round(v)));
    const values = points.flatMap((p) => series.map((s) => p.values[s.key]).filter((v) => v !== undefined && v !== null));
    const max = niceMax(Math.max(0, ...values), whole);
    const { svg, iw, ih } = frame(container, points, max, yFormat);
    const n = Math.max(1, points.length);
    const x = (i) => M.left + (iw * (i + 0.5)) / n;
    const y = (v) => M.top + ih - (ih * v) / max;
    const dots = [];
    for (const s of series) {
      let d = "", pen = false;
      points.forEach((p, i) => {
        const v = p.values[s.key];
        if (v === undefined || v === null) { pen = false; return; }
        d += (pen ? " L " : " M ") + x(i).toFixed(1) + " " + y(v).toFixed(1);
        pen = true;
        const dot = el("svg:circle", { cx: x(i), cy: y(v), r: points.length > 90 ? 1.6 : 2.6, fill: s.color });
        dot.append(el("svg:title", {}, `${hhmm(p.t)} — ${s.label}: ${yFormat(v)}`));
        dots.push(dot);
      });
      if (d) svg.append(el("svg:path", { d, fill: "none", stroke: s.color, "stroke-width": 2, "stroke-linejoin": "round" }));
    }
    svg.append(...dots);
    container.append(svg, paintLegend(legend(series), series));
  };

  C.charts.palette = ["#2f7a5b", "#1d6fd1", "#b7621f", "#6b4fd1", "#b0306a", "#0f8b8d", "#8a6d1f", "#4a4f58"];
})();
