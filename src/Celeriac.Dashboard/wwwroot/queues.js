// Queues (lengths and consumers, live from the sampler) and Beat (the periodic schedule).
"use strict";
(function () {
  const C = window.Celeriac, el = C.el;

  C.route(/^queues$/, "queues", async function (main) {
    const sub = el("div", { class: "sub" }, "Loading…");
    const body = el("tbody", { id: "queues-body" });
    main.append(
      el("div", { class: "page-head" }, el("div", {}, el("h1", {}, "Queues"), sub), el("button", { class: "btn", onclick: () => load() }, "Refresh")),
      el("section", { class: "panel flush" }, el("div", { class: "table-wrap" }, el("table", { class: "data", id: "queues-table" },
        el("thead", {}, el("tr", {}, el("th", {}, "Queue"), el("th", { class: "num" }, "Messages"), el("th", {}, ""), el("th", {}, "Consumers"))), body))));
    let last = null;

    function paint(data) {
      last = data;
      sub.textContent = `${data.queues.length} queue${data.queues.length === 1 ? "" : "s"} on ${data.broker} (${data.transport})`;
      const max = Math.max(1, ...data.queues.map((q) => q.messages || 0));
      C.fill(body, data.queues.map((q) => {
        const bar = el("span", {});
        bar.style.width = Math.round((100 * (q.messages || 0)) / max) + "%";
        return el("tr", { "data-queue": q.name },
          el("td", { class: "mono" }, q.name),
          el("td", { class: "num", "data-messages": q.messages ?? "" }, q.messages === null ? "?" : C.fmtNum(q.messages)),
          el("td", {}, el("div", { class: "bar" }, bar)),
          el("td", {}, q.consumers.length ? q.consumers.map((w) => el("span", { class: "tag" }, C.workerLink(w))) : el("span", { class: "muted" }, "no consumer")));
      }));
      if (!data.queues.length) body.append(el("tr", {}, el("td", { colspan: 4 }, el("div", { class: "empty" }, "No queue in use yet."))));
    }

    async function load() { paint(await C.get("api/ui/queues")); }
    await load();
    const offQueues = C.on("queues", (lengths) => {
      if (!last) return;
      for (const q of last.queues) if (q.name in lengths) q.messages = lengths[q.name];
      if (Object.keys(lengths).some((n) => !last.queues.find((q) => q.name === n))) load(); else paint(last);
    });
    const offWorker = C.on("worker", C.throttle(load, 5000));
    return () => { offQueues(); offWorker(); };
  });

  C.route(/^beat$/, "beat", async function (main) {
    const sub = el("div", { class: "sub" }, "Loading…");
    const panel = el("section", { class: "panel flush" });
    main.append(el("div", { class: "page-head" }, el("div", {}, el("h1", {}, "Beat"), sub), el("button", { class: "btn", onclick: () => load() }, "Refresh")), panel);

    async function load() {
      const b = await C.get("api/ui/beat");
      if (b.error) {
        sub.textContent = `Periodic tasks · ${b.source}`;
        C.fill(panel, el("div", { class: "empty" }, el("strong", {}, "The beat store cannot be read"), b.error));
        return;
      }
      sub.textContent = `${b.entries.length} entr${b.entries.length === 1 ? "y" : "ies"} · ${b.source}` +
        (b.leader ? (b.leaderCurrent ? ` · run by ${b.leader}` : ` · last run by ${b.leader}`) : " · no beat leading") +
        (b.updatedAt ? ` · last sent ${C.fmtRel(b.updatedAt)}` : "");
      C.fill(panel, el("div", { class: "table-wrap" }, el("table", { class: "data", id: "beat-table" },
        el("thead", {}, el("tr", {}, el("th", {}, "Entry"), el("th", {}, "Task"), el("th", {}, "Schedule"), el("th", {}, "Args"), el("th", {}, "Queue"),
          el("th", {}, "Last run"), el("th", {}, "Next run"), el("th", { class: "num" }, "Runs"), el("th", {}, "Enabled"))),
        el("tbody", {}, b.entries.length ? b.entries.map((e) => el("tr", { "data-entry": e.name },
          el("td", {}, el("strong", {}, e.name)), el("td", { class: "mono" }, e.task), el("td", {}, e.schedule),
          el("td", { class: "clip mono" }, e.args ? JSON.stringify(e.args) : "[]", e.kwargs && Object.keys(e.kwargs).length ? " " + JSON.stringify(e.kwargs) : ""),
          el("td", { class: "mono" }, e.queue || "—"),
          // Beat stamps an entry it has not sent yet with when it first saw it (Celery's rule): that is no run.
          el("td", { class: "nowrap", title: e.lastRunAt ? (e.totalRunCount ? "" : "first seen ") + C.fmtTime(e.lastRunAt, true) : "" }, e.lastRunAt && e.totalRunCount ? C.fmtRel(e.lastRunAt) : "never"),
          el("td", { class: "nowrap", title: C.fmtTime(e.nextRunAt, true) }, e.nextRunAt ? C.fmtRel(e.nextRunAt) : "—"),
          el("td", { class: "num" }, C.fmtNum(e.totalRunCount)),
          el("td", {}, e.enabled ? "yes" : el("span", { class: "muted" }, "no"))))
          : el("tr", {}, el("td", { colspan: 9 }, el("div", { class: "empty" },
            "No periodic tasks: this app defines no beat_schedule entries and its beat store has recorded no runs. Run the dashboard with the app (and settings) that celeriac beat runs with.")))))));
    }

    await load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  });
})();
