// Tasks: the server-side paged, filtered and searchable list (live), and one task's page with its actions.
"use strict";
(function () {
  const C = window.Celeriac, el = C.el;

  function resultText(t) {
    if (t.state === "FAILURE" || t.state === "RETRY") return t.exception || "";
    return t.result ?? "";
  }

  function toLocalInput(ts) {
    if (!ts) return "";
    const d = new Date(ts * 1000), p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  }
  const fromLocalInput = (v) => (v ? String(new Date(v).getTime() / 1000) : "");

  C.route(/^tasks$/, "tasks", async function (main) {
    const q = new URL(location.href).searchParams;
    const f = {
      q: q.get("q") || "", state: (q.get("state") || "").split(",").filter(Boolean), name: q.get("name") || "", worker: q.get("worker") || "",
      from: q.get("from") || "", to: q.get("to") || "", page: Number(q.get("page")) || 1, size: Number(q.get("size")) || 25,
      sort: q.get("sort") || "seen", dir: q.get("dir") || "desc",
    };

    const search = el("input", { class: "search", id: "search", type: "search", value: f.q, placeholder: "Search id, args, kwargs, result…   name:  state:  worker:  args:  \"a phrase\"", autocomplete: "off" });
    const nameSel = el("select", { id: "filter-name" }, el("option", { value: "" }, "All tasks"));
    const workerSel = el("select", { id: "filter-worker" }, el("option", { value: "" }, "All workers"));
    const from = el("input", { id: "filter-from", type: "datetime-local", value: toLocalInput(Number(f.from)) });
    const to = el("input", { id: "filter-to", type: "datetime-local", value: toLocalInput(Number(f.to)) });
    const chips = el("div", { class: "chips", id: "state-chips" }, C.STATES.map((s) =>
      el("button", { class: "chip" + (f.state.includes(s) ? " on" : ""), "data-state": s, onclick: (e) => {
        f.state = f.state.includes(s) ? f.state.filter((x) => x !== s) : [...f.state, s];
        e.currentTarget.classList.toggle("on");
        f.page = 1; load();
      } }, s)),
      el("button", { class: "chip", onclick: () => { f.state = []; chips.querySelectorAll(".chip").forEach((c) => c.classList.remove("on")); f.page = 1; load(); } }, "Any state"));
    const total = el("div", { class: "sub", id: "tasks-total" }, "Loading…");
    const notice = el("div", { class: "notice", hidden: true });
    const body = el("tbody", { id: "tasks-body" });
    const pager = el("div", { class: "pager" });
    const columns = [["state", "State"], ["name", "Name"], [null, "ID"], [null, "Args"], [null, "Kwargs"], [null, "Result"], ["received", "Received"], ["runtime", "Runtime"], ["worker", "Worker"]];
    const headRow = el("tr", {});
    const table = el("table", { class: "data", id: "tasks-table" }, el("thead", {}, headRow), body);

    main.append(
      el("div", { class: "page-head" }, el("div", {}, el("h1", {}, "Tasks"), total),
        el("div", { class: "actions" }, el("label", { class: "field" }, "Per page", el("select", { id: "page-size", onchange: (e) => { f.size = Number(e.target.value); f.page = 1; load(); } },
          [25, 50, 100, 200].map((n) => el("option", { value: n, selected: n === f.size }, n)))))),
      el("section", { class: "panel" },
        el("div", { class: "filters" },
          el("label", { class: "field wide" }, "Search", search),
          el("label", { class: "field" }, "Task", nameSel), el("label", { class: "field" }, "Worker", workerSel),
          el("label", { class: "field" }, "From", from), el("label", { class: "field" }, "To", to)),
        chips),
      el("section", { class: "panel flush" }, notice, el("div", { class: "table-wrap" }, table), pager));

    function paintHead() {
      C.fill(headRow, columns.map(([key, label]) => {
        const on = key && f.sort === key;
        return el("th", { class: (key ? "sortable " : "") + (label === "Runtime" ? "num" : ""), onclick: key ? () => { f.dir = on && f.dir === "desc" ? "asc" : "desc"; f.sort = key; f.page = 1; load(); } : null },
          label, on ? el("span", { class: "arrow" }, f.dir === "desc" ? "↓" : "↑") : null);
      }));
    }

    function row(t) {
      const res = resultText(t);
      return el("tr", { "data-id": t.id, "data-state": t.state },
        el("td", {}, C.stateBadge(t.state)),
        el("td", { class: "nowrap" }, t.name || "—"),
        el("td", {}, C.taskLink(t.id), t.retryOf ? el("span", { class: "tag", title: "re-run of " + t.retryOf }, "re-run") : null),
        el("td", { class: "clip mono", title: t.args || "" }, t.args ?? "—"),
        el("td", { class: "clip mono", title: t.kwargs || "" }, t.kwargs ?? "—"),
        el("td", { class: "clip mono" + (t.state === "FAILURE" ? " err" : ""), title: res }, res || "—"),
        el("td", { class: "nowrap", title: C.fmtTime(t.received || t.seen, true) }, C.fmtTime(t.received || t.seen)),
        el("td", { class: "num nowrap" }, C.fmtDuration(t.runtime ?? (t.started && t.finished ? t.finished - t.started : null))),
        el("td", { class: "nowrap" }, t.worker ? C.workerLink(t.worker) : "—"));
    }

    let seq = 0, shown = new Map();
    async function load() {
      const mine = ++seq;
      C.setQuery({ q: f.q, state: f.state, name: f.name, worker: f.worker, from: f.from, to: f.to, page: f.page > 1 ? f.page : "", size: f.size !== 25 ? f.size : "", sort: f.sort !== "seen" ? f.sort : "", dir: f.dir !== "desc" ? f.dir : "" });
      paintHead();
      let data;
      try {
        data = await C.get("api/ui/tasks", { q: f.q, state: f.state.join(","), name: f.name, worker: f.worker, from: f.from, to: f.to, page: f.page, size: f.size, sort: f.sort, dir: f.dir });
      } catch (e) {
        if (mine !== seq) return;
        C.fill(body, el("tr", {}, el("td", { colspan: 9 }, el("div", { class: "empty" }, el("strong", {}, "Cannot search"), e.message))));
        total.textContent = "";
        return;
      }
      if (mine !== seq) return; // a newer query has started
      notice.hidden = true;
      C.clear(body);
      shown = new Map();
      for (const t of data.items) { const r = row(t); shown.set(t.id, r); body.append(r); }
      if (!data.items.length) {
        body.append(el("tr", {}, el("td", { colspan: 9 }, el("div", { class: "empty" }, el("strong", {}, "No tasks match"),
          f.q || f.state.length || f.name || f.worker || f.from || f.to ? "Try fewer filters." : "Tasks appear here as workers send task events (start workers with -E)."))));
      }
      const first = data.total ? (data.page - 1) * data.size + 1 : 0, last = Math.min(data.total, data.page * data.size);
      total.textContent = `${C.fmtNum(data.total)} task${data.total === 1 ? "" : "s"}${f.q || f.state.length || f.name || f.worker ? " match" : " in history"}`;
      paintPager(data, first, last);
    }

    function paintPager(data, first, last) {
      const pages = Math.max(1, Math.ceil(data.total / data.size));
      const go = (p) => { f.page = p; load(); };
      const nums = [];
      const add = (p) => nums.push(el("button", { class: "btn small" + (p === data.page ? " current" : ""), onclick: () => go(p) }, p));
      const around = [...new Set([1, data.page - 1, data.page, data.page + 1, pages])].filter((p) => p >= 1 && p <= pages).sort((a, b) => a - b);
      around.forEach((p, i) => { if (i && p - around[i - 1] > 1) nums.push(el("span", { class: "faint" }, "…")); add(p); });
      C.fill(pager, 
        el("span", { id: "pager-range" }, data.total ? `${C.fmtNum(first)}–${C.fmtNum(last)} of ${C.fmtNum(data.total)}` : "0 of 0"),
        el("div", { class: "pages" },
          el("button", { class: "btn small", id: "page-prev", disabled: data.page <= 1, onclick: () => go(data.page - 1) }, "‹ Prev"), nums,
          el("button", { class: "btn small", id: "page-next", disabled: data.page >= pages, onclick: () => go(data.page + 1) }, "Next ›")));
    }

    // Filters reload the list; typing waits for a pause. The controls are read only when the user changes them.
    const changed = () => {
      f.q = search.value.trim(); f.name = nameSel.value; f.worker = workerSel.value; f.from = fromLocalInput(from.value); f.to = fromLocalInput(to.value);
      f.page = 1;
      load();
    };
    const typed = C.debounce(changed, 300);
    search.addEventListener("input", typed);
    search.addEventListener("keydown", (e) => { if (e.key === "Enter") changed(); });
    for (const s of [nameSel, workerSel, from, to]) s.addEventListener("change", changed);

    // Live: a shown row changes in place; new tasks reload the first page (newest first), or are announced elsewhere.
    // Listening starts before the first load so that nothing sent meanwhile is missed.
    const reload = C.throttle(load, 1000);
    let pending = 0;
    const offTask = C.on("task", (t) => {
      const r = shown.get(t.id);
      if (r) {
        const fresh = row(t);
        fresh.classList.add("flash");
        r.replaceWith(fresh);
        shown.set(t.id, fresh);
        return;
      }
      if (!nameSel.querySelector(`option[value="${CSS.escape(t.name || "")}"]`) && t.name) nameSel.append(el("option", { value: t.name }, t.name));
      if (f.page === 1 && f.sort === "seen" && f.dir === "desc") { reload(); return; }
      pending++;
      notice.hidden = false;
      C.fill(notice, el("span", {}, `${pending} task update${pending === 1 ? "" : "s"} since this page was loaded`),
        el("button", { class: "btn small", onclick: () => { pending = 0; load(); } }, "Reload"));
    });
    const offLag = C.on("lagged", reload), offRe = C.on("reconnected", reload);
    const [names, workers] = await Promise.all([C.get("api/ui/task-names").catch(() => []), C.get("api/ui/workers").catch(() => [])]);
    for (const n of names) if (!nameSel.querySelector(`option[value="${CSS.escape(n)}"]`)) nameSel.append(el("option", { value: n }, n));
    nameSel.value = f.name;
    for (const w of workers) workerSel.append(el("option", { value: w.hostname }, w.hostname));
    workerSel.value = f.worker;
    await load();
    return () => { offTask(); offLag(); offRe(); };
  });

  C.route(/^task\/(.+)$/, "tasks", async function (main, id) {
    async function load() {
      let t;
      try {
        t = await C.get("api/ui/task/" + encodeURIComponent(id));
      } catch (e) {
        C.fill(main, el("div", { class: "panel empty" }, el("strong", {}, e.status === 404 ? "Unknown task" : "Could not load the task"),
          e.status === 404 ? `No event about ${id} has been seen, and the result backend does not know it.` : e.message));
        return;
      }
      paint(t);
    }

    let finishedNow = false;
    function paint(t) {
      const can = C.canAct();
      const finished = ["SUCCESS", "FAILURE", "REVOKED", "REJECTED"].includes(t.state);
      finishedNow = finished;
      const head = el("div", { class: "page-head" },
        el("div", {}, el("h1", {}, t.name || "Task", " ", C.stateBadge(t.state, true)),
          el("div", { class: "sub mono", id: "task-id" }, t.id)),
        el("div", { class: "actions" },
          el("button", { class: "btn", id: "action-revoke", disabled: !can || finished, title: "Workers will not run it (a running task is not stopped)", onclick: async () => {
            if (await C.confirm("Revoke this task?", "Workers discard it instead of running it. A task already running keeps running; use Terminate to stop it.", "Revoke", true)) {
              await C.act("Revoke", "api/task/revoke/" + encodeURIComponent(t.id));
            }
          } }, "Revoke"),
          el("button", { class: "btn danger", id: "action-terminate", disabled: !can || finished, title: "Revoke, and stop it where it runs", onclick: async () => {
            if (await C.confirm("Terminate this task?", "The worker running it stops it now (SIGTERM on a Python worker, cancellation on a Celeriac worker).", "Terminate", true)) {
              await C.act("Terminate", "api/task/revoke/" + encodeURIComponent(t.id), { terminate: true, signal: "SIGTERM" });
            }
          } }, "Terminate"),
          el("button", { class: "btn primary", id: "action-retry", disabled: !can || !t.name, title: "Send it again under a new id, with the same arguments", onclick: async () => {
            if (await C.confirm("Run this task again?", `${t.name} is sent again under a new id, with the same arguments, to the same queue.`, "Re-run")) {
              const r = await C.act("Re-run", "api/task/retry/" + encodeURIComponent(t.id));
              if (r && r["task-id"]) C.navigate("task/" + encodeURIComponent(r["task-id"]));
            }
          } }, t.state === "FAILURE" ? "Retry" : "Re-run")));

      const started = t.started, ended = t.finished;
      const facts = el("section", { class: "panel" }, el("h2", {}, "Details"), el("dl", { class: "kv" },
        kv("Worker", t.worker ? C.workerLink(t.worker) : "—"), kv("Client", t.client || "—"),
        kv("Sent", C.fmtTime(t.sent, true)), kv("Received", C.fmtTime(t.received, true)), kv("Started", C.fmtTime(started, true)),
        kv("Finished", C.fmtTime(ended, true)), kv("Runtime", C.fmtDuration(t.runtime ?? (started && ended ? ended - started : null))),
        kv("Waited", t.received && started ? C.fmtDuration(started - t.received) : "—"),
        kv("Retries", t.retries ?? 0), kv("ETA", t.eta || "—"), kv("Expires", t.expires || "—"),
        kv("Queue / routing key", t.routingKey || (t.stored && t.stored.queue) || "—"),
        kv("Parent", t.parentId ? C.taskLink(t.parentId, t.parentId) : "—"), kv("Root", t.rootId && t.rootId !== t.id ? C.taskLink(t.rootId, t.rootId) : t.rootId ? "itself" : "—"),
        kv("Group", (t.stored && t.stored.groupId) || "—"),
        t.rerunOf ? kv("Re-run of", C.taskLink(t.rerunOf.id, t.rerunOf.id)) : null));

      const io = el("section", { class: "panel" }, el("h2", {}, "Arguments"),
        el("h3", {}, "args"), el("pre", { class: "code", id: "task-args" }, t.stored && t.stored.args ? C.json(t.stored.args) : t.args ?? "—"),
        el("h3", { class: "spaced" }, "kwargs"), el("pre", { class: "code", id: "task-kwargs" }, t.stored && t.stored.kwargs ? C.json(t.stored.kwargs) : t.kwargs ?? "—"));

      const outcome = el("section", { class: "panel" }, el("h2", {}, t.state === "FAILURE" || t.state === "RETRY" ? "Exception" : "Result"));
      if (t.exception) outcome.append(el("pre", { class: "code error", id: "task-exception" }, t.exception));
      if (t.traceback) outcome.append(el("h3", { class: "spaced" }, "Traceback"), el("pre", { class: "code error", id: "task-traceback" }, t.traceback));
      if (t.result !== null && t.result !== undefined) outcome.append(el("pre", { class: "code", id: "task-result" }, t.result));
      if (t.stored) {
        outcome.append(el("h3", { class: "spaced" }, "In the result backend"), el("pre", { class: "code", id: "task-stored" },
          t.stored.error ? "Could not read: " + t.stored.error : C.json({ status: t.stored.status, result: t.stored.result, date_done: t.stored.dateDone, children: t.stored.children })));
      }
      if (outcome.childNodes.length === 1) outcome.append(el("div", { class: "empty" }, finished ? "No result was reported." : "Not finished yet."));

      const first = t.timeline.length ? t.timeline[0].timestamp : null;
      const timeline = el("section", { class: "panel" }, el("h2", {}, "Timeline"), t.timeline.length
        ? el("ol", { class: "timeline", id: "task-timeline" }, t.timeline.map((e) => {
          const state = stateOf(e.type);
          // The traceback is shown above; the rest of each event's fields, briefly.
          const fields = Object.entries(e.fields).filter(([k, v]) => !["hostname", "utcoffset", "pid", "clock", "local_received", "traceback"].includes(k) && v !== null);
          return el("li", { "data-type": e.type },
            el("span", { class: "node " + state }), el("strong", {}, e.type.replace("task-", "")),
            el("span", { class: "when" }, C.fmtTime(e.timestamp, true), first !== null && e.timestamp !== first ? ` (+${C.fmtDuration(e.timestamp - first)})` : "", e.fields.hostname ? " · " + e.fields.hostname : ""),
            fields.length ? el("div", { class: "fields" }, fields.map(([k, v]) => { const s = typeof v === "string" ? v : JSON.stringify(v); return `${k}=${s.length > 160 ? s.slice(0, 160) + "…" : s}`; }).join("  ")) : null);
        }))
        : el("div", { class: "empty" }, "No events seen for this task."));

      const related = [];
      if (t.parent) related.push(["Parent", [t.parent]]);
      if (t.children.length) related.push(["Children", t.children]);
      if (t.reruns.length) related.push(["Re-runs", t.reruns]);
      const relatedPanel = related.length ? el("section", { class: "panel flush" }, related.map(([title, list]) => [
        el("div", { class: "panel-head" }, el("h2", {}, title)),
        el("div", { class: "table-wrap" }, el("table", { class: "data" }, el("tbody", {}, list.map((r) => el("tr", { "data-id": r.id },
          el("td", {}, C.stateBadge(r.state)), el("td", {}, r.name || "—"), el("td", {}, C.taskLink(r.id)), el("td", { class: "clip mono" }, r.args ?? ""),
          el("td", { class: "nowrap" }, C.fmtTime(r.received || r.seen))))))),
      ])) : null;

      C.fill(main, head, el("div", { class: "grid cols-2" }, facts, io), el("div", { class: "grid cols-2" }, outcome, timeline), relatedPanel);
    }

    function kv(k, v) { return [el("dt", {}, k), el("dd", {}, v)]; }
    function stateOf(type) {
      return { "task-sent": "PENDING", "task-received": "RECEIVED", "task-started": "STARTED", "task-succeeded": "SUCCESS", "task-failed": "FAILURE",
        "task-retried": "RETRY", "task-revoked": "REVOKED", "task-rejected": "REJECTED" }[type] || "PENDING";
    }

    // Listen before the first load, so that an update arriving meanwhile is not lost; poll gently while it runs.
    const soon = C.throttle(load, 500);
    const off = C.on("task", (t) => { if (t.id === id || t.parentId === id || t.retryOf === id) soon(); });
    const offRe = C.on("reconnected", soon);
    await load();
    const timer = setInterval(() => { if (!finishedNow) load(); }, 5000);
    return () => { off(); offRe(); clearInterval(timer); };
  });
})();
