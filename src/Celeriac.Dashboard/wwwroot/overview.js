// Overview: the cluster at a glance, with throughput, runtime percentiles and queue depth over time.
"use strict";
(function () {
  const C = window.Celeriac, el = C.el;
  const WINDOWS = [[15, "15 min"], [60, "1 hour"], [360, "6 hours"], [1440, "24 hours"]];

  C.route(/^$/, "overview", async function (main) {
    let minutes = Number(new URL(location.href).searchParams.get("minutes")) || 60;
    const cards = el("div", { class: "cards", id: "overview-cards" });
    const sub = el("div", { class: "sub", id: "overview-sub" }, "Loading…");
    const seg = el("div", { class: "seg", id: "window" }, WINDOWS.map(([m, label]) =>
      el("button", { class: m === minutes ? "on" : "", onclick: () => { minutes = m; C.setQuery({ minutes: m }); refresh(); seg.querySelectorAll("button").forEach((b, i) => b.classList.toggle("on", WINDOWS[i][0] === m)); } }, label)));
    const throughput = el("div", { id: "chart-throughput" }), runtime = el("div", { id: "chart-runtime" }), depth = el("div", { id: "chart-queues" });
    const workers = el("div", { class: "table-wrap" });
    main.append(
      el("div", { class: "page-head" }, el("div", {}, el("h1", {}, "Overview"), sub), seg),
      cards,
      el("div", { class: "grid cols-2" },
        el("section", { class: "panel" }, el("h2", {}, "Succeeded and failed per minute"), throughput),
        el("section", { class: "panel" }, el("h2", {}, "Runtime percentiles per minute"), runtime)),
      el("div", { class: "grid cols-2" },
        el("section", { class: "panel" }, el("h2", {}, "Queue depth"), depth),
        el("section", { class: "panel flush" }, el("div", { class: "panel-head" }, el("h2", {}, "Workers"), C.link("workers", "All workers →")), workers)));

    async function refresh() {
      const o = await C.get("api/ui/overview", { minutes });
      const counts = o.counts || {};
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      const ok = o.throughput.reduce((a, p) => a + p.succeeded, 0), bad = o.throughput.reduce((a, p) => a + p.failed, 0);
      const active = (counts.STARTED || 0);
      sub.textContent = `Last ${WINDOWS.find((w) => w[0] === minutes)?.[1] || minutes + " min"} · ${C.session ? C.session.broker : ""}`;
      C.fill(cards, 
        card("Workers online", el("span", {}, o.workersOnline, el("small", {}, " / " + o.workersTotal)), o.workersOnline > 0 ? "good" : ""),
        card("Succeeded", C.fmtNum(ok), "good"),
        card("Failed", C.fmtNum(bad), bad ? "bad" : ""),
        card("Running now", C.fmtNum(active)),
        card("Runtime p50 / p99", o.runtime.n ? el("span", {}, C.fmtDuration(o.runtime.p50), el("small", {}, " / " + C.fmtDuration(o.runtime.p99))) : "—"),
        card("Tasks in history", C.fmtNum(total)));
      C.charts.bars(throughput, o.throughput, [{ key: "succeeded", label: "Succeeded", color: "#2fa36b" }, { key: "failed", label: "Failed", color: "#d9534f" }]);
      const perMinute = new Map(o.runtime.perMinute.map((p) => [p.t, p]));
      C.charts.lines(runtime, o.throughput.map((p) => ({ t: p.t, values: perMinute.get(p.t) || {} })),
        [{ key: "p50", label: "p50", color: "#2f7a5b" }, { key: "p95", label: "p95", color: "#1d6fd1" }, { key: "p99", label: "p99", color: "#b7621f" }], C.fmtDuration);
      if (o.queueDepth.length) {
        C.charts.lines(depth, o.queueDepth, o.queues.map((q, i) => ({ key: q, label: q, color: C.charts.palette[i % C.charts.palette.length] })));
      } else {
        C.fill(depth, el("div", { class: "empty" }, "No queue samples yet."));
      }
    }

    async function refreshWorkers() {
      const list = await C.get("api/ui/workers");
      C.fill(workers, list.length
        ? el("table", { class: "data" }, el("thead", {}, el("tr", {}, el("th", {}, "Worker"), el("th", {}, "Status"), el("th", { class: "num" }, "Active"), el("th", { class: "num" }, "Processed"))),
          el("tbody", {}, list.map((w) => el("tr", {}, el("td", {}, C.workerLink(w.hostname)), el("td", {}, el("span", { class: "status " + (w.online ? "online" : "offline") }, w.online ? "Online" : "Offline")),
            el("td", { class: "num" }, w.active), el("td", { class: "num" }, C.fmtNum(w.processed))))))
        : el("div", { class: "empty" }, el("strong", {}, "No workers yet"), "Start a worker with events on (-E) and it appears here."));
    }

    function card(label, value, kind) {
      return el("div", { class: "card " + (kind || "") }, el("div", { class: "label" }, label), el("div", { class: "value" }, value));
    }

    await Promise.all([refresh(), refreshWorkers()]);
    const soon = C.throttle(refresh, 3000), soonWorkers = C.throttle(refreshWorkers, 2000);
    const offs = [C.on("task", soon), C.on("worker", soonWorkers), C.on("queues", soon), C.on("reconnected", soon)];
    const timer = setInterval(refresh, 15000);
    return () => { offs.forEach((f) => f()); clearInterval(timer); };
  });
})();
