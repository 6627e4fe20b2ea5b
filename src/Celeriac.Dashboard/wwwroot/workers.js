// Workers: the list (live from heartbeats) and one worker's detail with its actions.
"use strict";
(function () {
  const C = window.Celeriac, el = C.el;

  function loadText(w) {
    return w.load && w.load.length ? w.load.map((l) => l.toFixed(2)).join(" · ") : "—";
  }

  C.route(/^workers$/, "workers", async function (main) {
    const body = el("tbody", { id: "workers-body" });
    const summary = el("div", { class: "sub" }, "Loading…");
    const table = el("table", { class: "data", id: "workers-table" },
      el("thead", {}, el("tr", {},
        el("th", {}, "Worker"), el("th", {}, "Status"), el("th", { class: "num" }, "Pool"), el("th", { class: "num" }, "Active"),
        el("th", { class: "num" }, "Processed"), el("th", { class: "hide-sm" }, "Load (1 / 5 / 15 min)"), el("th", { class: "hide-sm" }, "Queues"),
        el("th", {}, "Last heartbeat"), el("th", { class: "hide-sm" }, "Software"))),
      body);
    const refreshButton = el("button", { class: "btn", onclick: () => load(true) }, "Refresh");
    main.append(
      el("div", { class: "page-head" }, el("div", {}, el("h1", {}, "Workers"), summary), refreshButton),
      el("section", { class: "panel flush" }, el("div", { class: "table-wrap" }, table)));
    const rows = new Map();

    function row(w) {
      return el("tr", { "data-worker": w.hostname },
        el("td", {}, C.workerLink(w.hostname)),
        el("td", {}, el("span", { class: "status " + (w.online ? "online" : "offline") }, w.online ? "Online" : "Offline")),
        el("td", { class: "num" }, w.pool ?? "—"),
        el("td", { class: "num" }, w.online ? w.active : "—"),
        el("td", { class: "num" }, C.fmtNum(w.processed)),
        el("td", { class: "hide-sm mono nowrap" }, loadText(w)),
        el("td", { class: "hide-sm" }, w.queues.length ? w.queues.map((q) => el("span", { class: "tag" }, q)) : "—"),
        el("td", { class: "nowrap", title: C.fmtTime(w.lastHeartbeat, true), "data-ts": w.lastHeartbeat ?? "" }, C.fmtRel(w.lastHeartbeat)),
        el("td", { class: "hide-sm muted" }, w.software || "—"));
    }

    function paint(list) {
      C.clear(body);
      rows.clear();
      if (!list.length) {
        body.append(el("tr", {}, el("td", { colspan: 9 }, el("div", { class: "empty" }, el("strong", {}, "No workers seen yet"),
          "Workers appear here as soon as their first heartbeat arrives. Start one with task events on: celeriac worker -E (or celery worker -E)."))));
      }
      for (const w of list) { const r = row(w); rows.set(w.hostname, { w, r }); body.append(r); }
      const online = list.filter((w) => w.online).length;
      summary.textContent = `${online} online · ${list.length - online} offline`;
    }

    async function load(refresh) {
      if (refresh) await C.get("api/workers", { refresh: true }).catch(() => null);
      paint(await C.get("api/ui/workers"));
    }

    await load(false);
    const offWorker = C.on("worker", (w) => {
      const known = rows.get(w.hostname);
      if (!known) { load(false); return; }
      const r = row(w);
      known.r.replaceWith(r);
      rows.set(w.hostname, { w, r });
      const list = [...rows.values()].map((x) => x.w), online = list.filter((x) => x.online).length;
      summary.textContent = `${online} online · ${list.length - online} offline`;
    });
    // Heartbeat ages and online state change with time alone.
    const timer = setInterval(() => load(false), 5000);
    return () => { offWorker(); clearInterval(timer); };
  });

  C.route(/^worker\/(.+)$/, "workers", async function (main, name) {
    const head = el("div", { class: "page-head" });
    const facts = el("section", { class: "panel" });
    const actions = el("section", { class: "panel", id: "worker-actions" });
    const tabsPanel = el("section", { class: "panel flush" });
    main.append(head, el("div", { class: "grid cols-2" }, facts, actions), tabsPanel);
    let current = "active";

    async function load() {
      const w = await C.get("api/ui/worker/" + encodeURIComponent(name));
      const info = w.info || {};
      C.fill(head, 
        el("div", {}, el("h1", {}, w.hostname), el("div", { class: "sub" },
          el("span", { class: "status " + (w.online ? "online" : "offline") }, w.online ? "Online" : "Offline"),
          " · last heartbeat ", C.fmtRel(w.lastHeartbeat), w.online && !w.reachable ? " · did not answer inspect" : "")),
        el("div", { class: "actions" }, C.link("workers", "← All workers", { class: "btn" }), el("button", { class: "btn", onclick: load }, "Refresh")));
      const stats = info.stats || {};
      C.fill(facts, el("h2", {}, "Worker"), el("dl", { class: "kv" },
        kv("Pool size", w.pool ?? "—"), kv("Active now", w.active), kv("Processed", C.fmtNum(w.processed)), kv("Load", loadText(w)),
        kv("PID", w.pid ?? stats.pid ?? "—"), kv("Prefetch", stats.prefetch_count ?? "—"), kv("Software", w.software || "—"),
        kv("Broker", stats.broker ? `${stats.broker.transport}://${stats.broker.hostname || ""}${stats.broker.port ? ":" + stats.broker.port : ""}` : "—"),
        kv("Queues", w.queues.length ? w.queues.map((q) => el("span", { class: "tag" }, q)) : "—")));
      paintActions(w, info);
      paintTabs(info);
    }

    function kv(k, v) { return [el("dt", {}, k), el("dd", {}, v)]; }

    function paintActions(w, info) {
      const can = C.canAct() && w.online;
      const api = (path) => "api/" + path + "/" + encodeURIComponent(name);
      const queueInput = el("input", { id: "consumer-queue", placeholder: "queue name" });
      const rateTask = el("select", { id: "rate-task" }, (info.registered || []).map((t) => String(t).split(" ")[0]).map((t) => el("option", { value: t }, t)));
      const rateValue = el("input", { id: "rate-value", placeholder: "e.g. 10/s, 100/m" });
      C.fill(actions, 
        el("h2", {}, "Actions"),
        !C.canAct() ? el("p", { class: "muted" }, "Your account is read-only.") : !w.online ? el("p", { class: "muted" }, "The worker is offline.") : null,
        el("div", { class: "actions" },
          el("button", { class: "btn", id: "pool-grow", disabled: !can, onclick: async () => { await C.act("Grow pool", api("worker/pool/grow"), { n: 1 }); load(); } }, "Pool +1"),
          el("button", { class: "btn", id: "pool-shrink", disabled: !can, onclick: async () => { await C.act("Shrink pool", api("worker/pool/shrink"), { n: 1 }); load(); } }, "Pool −1"),
          el("button", { class: "btn danger", id: "shutdown", disabled: !can, onclick: async () => {
            if (await C.confirm("Shut down " + name + "?", "The worker finishes its running tasks and exits. It does not restart by itself.", "Shut down", true)) {
              await C.act("Shutdown", api("worker/shutdown"));
            }
          } }, "Shut down")),
        el("h3", { class: "spaced" }, "Consume a queue"),
        el("div", { class: "inline-form" }, queueInput,
          el("button", { class: "btn", id: "add-consumer", disabled: !can, onclick: async () => {
            if (!queueInput.value.trim()) return;
            await C.act("Add consumer", api("worker/queue/add-consumer"), { queue: queueInput.value.trim() });
            queueInput.value = "";
            load();
          } }, "Add consumer")),
        el("h3", { class: "spaced" }, "Rate limit"),
        el("div", { class: "inline-form" }, rateTask, rateValue,
          el("button", { class: "btn", id: "set-rate", disabled: !can || !rateTask.options.length, onclick: async () => {
            await C.act("Rate limit", "api/task/rate-limit/" + encodeURIComponent(rateTask.value), { workername: name, ratelimit: rateValue.value.trim() || "0" });
          } }, "Set")));
    }

    function paintTabs(info) {
      const tabs = [
        ["active", "Active", info.active], ["reserved", "Reserved", info.reserved], ["scheduled", "Scheduled", info.scheduled],
        ["revoked", "Revoked", info.revoked], ["registered", "Registered", info.registered], ["active_queues", "Queues", info.active_queues],
        ["conf", "Config", info.conf], ["stats", "Stats", info.stats]];
      const bodyNode = el("div", { class: "tab-body", id: "worker-tab" });
      const bar = el("div", { class: "tabs" }, tabs.map(([key, label, value]) =>
        el("button", { class: key === current ? "on" : "", "data-tab": key, onclick: () => { current = key; paintTabs(info); } },
          label, Array.isArray(value) ? el("span", { class: "count" }, value.length) : null)));
      const [, , value] = tabs.find((t) => t[0] === current);
      bodyNode.append(tabContent(current, value));
      C.fill(tabsPanel, bar, bodyNode);
    }

    function tabContent(key, value) {
      if (value === undefined || value === null) return el("div", { class: "empty" }, "No answer from the worker.");
      if (["active", "reserved", "scheduled"].includes(key)) {
        const list = value.map((x) => x.request || x);
        if (!list.length) return el("div", { class: "empty" }, "Nothing " + key + ".");
        return el("div", { class: "table-wrap" }, el("table", { class: "data" },
          el("thead", {}, el("tr", {}, el("th", {}, "Task"), el("th", {}, "ID"), el("th", {}, "Args"), el("th", {}, "Kwargs"), key === "scheduled" ? el("th", {}, "ETA") : el("th", {}, "Started"))),
          el("tbody", {}, value.map((x) => {
            const r = x.request || x;
            return el("tr", {}, el("td", {}, r.name || r.type || "—"), el("td", {}, C.taskLink(r.id)), el("td", { class: "clip mono" }, r.args === undefined ? "—" : typeof r.args === "string" ? r.args : JSON.stringify(r.args)),
              el("td", { class: "clip mono" }, r.kwargs === undefined ? "—" : typeof r.kwargs === "string" ? r.kwargs : JSON.stringify(r.kwargs)),
              el("td", { class: "nowrap" }, key === "scheduled" ? x.eta || "—" : r.time_start ? C.fmtTime(r.time_start) : "—"));
          }))));
      }
      if (key === "revoked" || key === "registered") {
        if (!value.length) return el("div", { class: "empty" }, key === "revoked" ? "No revoked tasks." : "No tasks registered.");
        return el("div", {}, value.map((t) => key === "revoked" ? el("span", { class: "tag" }, C.taskLink(String(t), String(t))) : el("span", { class: "tag" }, String(t))));
      }
      if (key === "active_queues") {
        if (!value.length) return el("div", { class: "empty" }, "Consumes no queue.");
        return el("div", { class: "table-wrap" }, el("table", { class: "data" },
          el("thead", {}, el("tr", {}, el("th", {}, "Queue"), el("th", {}, "Exchange"), el("th", {}, "Routing key"), el("th", {}, ""))),
          el("tbody", {}, value.map((q) => el("tr", { "data-queue": q.name }, el("td", { class: "mono" }, q.name), el("td", { class: "mono" }, (q.exchange && q.exchange.name) || "—"),
            el("td", { class: "mono" }, q.routing_key || "—"),
            el("td", { class: "num" }, el("button", { class: "btn small danger", "data-cancel": q.name, disabled: !C.canAct(), onclick: async () => {
              if (await C.confirm("Stop consuming " + q.name + "?", name + " stops taking tasks from this queue.", "Cancel consumer", true)) {
                await C.act("Cancel consumer", "api/worker/queue/cancel-consumer/" + encodeURIComponent(name), { queue: q.name });
                load();
              }
            } }, "Cancel consumer")))))));
      }
      return el("pre", { class: "code" }, C.json(value));
    }

    await load();
    const off = C.on("worker", (w) => { if (w.hostname === name) head.querySelector(".status")?.replaceWith(el("span", { class: "status " + (w.online ? "online" : "offline") }, w.online ? "Online" : "Offline")); });
    return off;
  });
})();
