// Celeriac dashboard core: DOM helpers, formatting, the API client (with the CSRF token), live updates, router.
"use strict";
(function () {
  const C = (window.Celeriac = { pages: {} });
  const basePath = new URL(document.baseURI).pathname; // ends with "/"
  C.basePath = basePath;

  // --- DOM --------------------------------------------------------------------------------------------------
  // el("a", {href: "x", class: "y", onclick: fn}, "text", child) -- text is always set as text, never as HTML.
  C.el = function el(tag, attrs, ...children) {
    const svg = tag.startsWith("svg:");
    const node = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else if (k === "class") node.setAttribute("class", v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k === "value" && !svg) node.value = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  };
  const el = C.el;
  C.clear = (node) => { while (node.firstChild) node.removeChild(node.firstChild); return node; };
  // Replaces a node's children; arrays are flattened and null/false children skipped, as in el().
  C.fill = (node, ...children) => {
    C.clear(node);
    node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  };

  // --- Formatting ---------------------------------------------------------------------------------------------
  const pad = (n) => String(n).padStart(2, "0");
  C.fmtTime = function (ts, withDate) {
    if (ts === null || ts === undefined) return "—";
    const d = new Date(ts * 1000), now = new Date();
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    const sameDay = d.toDateString() === now.toDateString();
    return sameDay && !withDate ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
  };
  C.fmtRel = function (ts) {
    if (ts === null || ts === undefined) return "never";
    const s = Date.now() / 1000 - ts;
    if (s < 0) return "in " + C.fmtSpan(-s);
    if (s < 2) return "just now";
    return C.fmtSpan(s) + " ago";
  };
  C.fmtSpan = function (s) {
    if (s < 60) return Math.round(s) + " s";
    if (s < 3600) return Math.floor(s / 60) + " min";
    if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
    return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  };
  C.fmtDuration = function (s) {
    if (s === null || s === undefined) return "—";
    if (s < 0.001) return (s * 1e6).toFixed(0) + " µs";
    if (s === 0) return "0";
    if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 2 : s < 0.1 ? 1 : 0) + " ms";
    if (s < 60) return s.toFixed(2) + " s";
    return C.fmtSpan(s);
  };
  C.fmtNum = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US"));
  C.shortId = (id) => (id ? id.slice(0, 8) : "—");
  C.stateBadge = (state, big) => el("span", { class: "state " + (state || "PENDING") + (big ? " big" : "") }, state || "PENDING");
  C.STATES = ["PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED"];
  C.link = (path, text, attrs) => el("a", Object.assign({ href: path, "data-link": true }, attrs || {}), text);
  C.taskLink = (id, text) => C.link("task/" + encodeURIComponent(id), text || C.shortId(id), { class: "mono", title: id });
  C.workerLink = (name) => (name ? C.link("worker/" + encodeURIComponent(name), name) : "—");
  C.json = (v) => (v === undefined ? "" : JSON.stringify(v, null, 2));

  // --- Notifications --------------------------------------------------------------------------------------------
  C.toast = function (text, kind) {
    const t = el("div", { class: "toast " + (kind || "") }, text);
    document.getElementById("toasts").append(t);
    setTimeout(() => t.remove(), kind === "error" ? 8000 : 4000);
  };
  C.confirm = function (title, text, okText, danger) {
    const modal = document.getElementById("modal");
    document.getElementById("modal-title").textContent = title;
    document.getElementById("modal-text").textContent = text;
    const ok = document.getElementById("modal-ok"), cancel = document.getElementById("modal-cancel");
    ok.textContent = okText || "OK";
    ok.className = "btn " + (danger ? "danger" : "primary");
    modal.classList.remove("hidden");
    ok.focus();
    return new Promise((resolve) => {
      const done = (answer) => { modal.classList.add("hidden"); ok.onclick = cancel.onclick = null; document.removeEventListener("keydown", onKey); resolve(answer); };
      const onKey = (e) => { if (e.key === "Escape") done(false); };
      ok.onclick = () => done(true);
      cancel.onclick = () => done(false);
      document.addEventListener("keydown", onKey);
    });
  };

  // --- API ---------------------------------------------------------------------------------------------------------
  C.session = null;
  async function request(method, path, params, body) {
    const url = new URL(path, document.baseURI);
    for (const [k, v] of Object.entries(params || {})) if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
    const headers = { Accept: "application/json" };
    if (method !== "GET" && C.session) headers["X-CSRF-Token"] = C.session.csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(url, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = { message: text }; }
    if (!res.ok) {
      const err = new Error((data && (data.error || data.message)) || res.status + " " + res.statusText);
      err.status = res.status;
      throw err;
    }
    return data;
  }
  C.get = (path, params) => request("GET", path, params);
  C.post = (path, params, body) => request("POST", path, params, body);

  // Runs an action, reports its message, and returns its data (null when it failed).
  C.act = async function (label, path, params, body) {
    try {
      const data = await C.post(path, params, body);
      C.toast((data && data.message) || label + " done", "ok");
      return data;
    } catch (e) {
      C.toast(label + " failed: " + e.message, "error");
      return null;
    }
  };
  C.canAct = () => !!(C.session && C.session.canAct);

  // --- Live updates (server-sent events) ------------------------------------------------------------------------
  const listeners = {};
  C.on = function (type, fn) {
    (listeners[type] = listeners[type] || new Set()).add(fn);
    return () => listeners[type].delete(fn);
  };
  function emit(type, data) { for (const fn of listeners[type] || []) { try { fn(data); } catch (e) { console.error(e); } } }
  function connectLive() {
    const indicator = document.getElementById("live"), text = document.getElementById("live-text");
    const source = new EventSource(new URL("api/ui/stream", document.baseURI), { withCredentials: true });
    source.addEventListener("hello", () => { indicator.className = "live on"; text.textContent = "Live"; emit("reconnected", {}); });
    source.onerror = () => { indicator.className = "live off"; text.textContent = "Reconnecting"; };
    for (const type of ["task", "worker", "queues", "lagged"]) {
      source.addEventListener(type, (e) => emit(type, JSON.parse(e.data)));
    }
    C.liveSource = source;
  }

  // Calls fn at most once per `ms`, the last call winning.
  C.debounce = function (fn, ms) {
    let timer = null;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  };

  // Calls fn at once, then at most once per `ms` while calls keep coming (the last one is never lost).
  C.throttle = function (fn, ms) {
    let last = 0, timer = null;
    return () => {
      const wait = ms - (Date.now() - last);
      if (wait <= 0) { last = Date.now(); fn(); }
      else if (!timer) timer = setTimeout(() => { timer = null; last = Date.now(); fn(); }, wait);
    };
  };

  // --- Router --------------------------------------------------------------------------------------------------------
  let cleanup = null;
  C.routes = [];
  C.route = (pattern, nav, render) => C.routes.push({ pattern, nav, render });
  C.relativePath = () => decodeURIComponent(location.pathname.startsWith(basePath) ? location.pathname.slice(basePath.length) : location.pathname.replace(/^\//, ""));
  C.navigate = function (path, replace) {
    const url = new URL(path, document.baseURI);
    if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
    render();
  };
  C.setQuery = function (params) {
    const url = new URL(location.href);
    url.search = "";
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && !v.length)) url.searchParams.set(k, Array.isArray(v) ? v.join(",") : v);
    history.replaceState(null, "", url);
  };
  async function render() {
    if (cleanup) { try { cleanup(); } catch (e) { console.error(e); } cleanup = null; }
    const path = C.relativePath();

    // Each visit renders into its own element: an answer that arrives after the user moved on paints a detached node,
    // never the page now shown.
    const main = el("div", { class: "view" });
    document.getElementById("app").replaceChildren(main);
    for (const r of C.routes) {
      const m = path.match(r.pattern);
      if (!m) continue;
      for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("active", a.dataset.nav === r.nav);
      try {
        const done = (await r.render(main, ...m.slice(1).map(decodeURIComponent))) || null;
        if (main.isConnected) cleanup = done; else if (done) done();
      } catch (e) {
        C.fill(main, el("div", { class: "panel empty" }, el("strong", {}, "Could not load this page"), e.message));
      }
      return;
    }
    main.append(el("div", { class: "panel empty" }, el("strong", {}, "Not found"), "No page at /" + path));
  }
  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[data-link]");
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    C.navigate(a.getAttribute("href"));
  });
  window.addEventListener("popstate", render);

  C.start = async function () {
    try {
      C.session = await C.get("api/ui/session");
      const user = document.getElementById("user");
      user.textContent = C.session.user + (C.session.canAct ? "" : " · read-only");
      user.classList.toggle("ro", !C.session.canAct);
      document.querySelector('[data-nav="beat"]').hidden = false;
    } catch (e) {
      C.toast("Could not start: " + e.message, "error");
    }
    connectLive();
    render();
  };
})();
