/* critmin dashboard — vanilla ES2020, no framework, no build step, no external requests.
 *
 * Layout of this file:
 *   1. small helpers (DOM, formatting, tables)
 *   2. the API client (JSON, error details, bearer token on writes)
 *   3. tabs and the location hash (#run=<id>, #view=results&run=<id>)
 *   4. one section per view: Explorer, Scenario builder, Run monitor, Results, Plans
 *   5. start-up
 *
 * plotly.js is loaded from /static-vendor/ by index.html; every chart call checks that it is
 * there so that the tables still work if it is not.
 */
"use strict";

/* ------------------------------------------------------------------------------------------
 * 1. Helpers
 * ---------------------------------------------------------------------------------------- */

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** Create an element: el("td", {className: "num"}, "12"). Children may be nodes or text. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "className") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/** Set a status line's text and its tone (""|"ok"|"bad"). */
function setStatus(node, text, tone = "") {
  node.textContent = text;
  node.classList.toggle("ok", tone === "ok");
  node.classList.toggle("bad", tone === "bad");
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const isNum = (v) => typeof v === "number" && Number.isFinite(v);

/** USD in a compact form: $11.6bn, $350m, $12k. */
function fmtUsd(v) {
  // A negative amount reads −$3.20bn, not $-3.20bn.
  if (v < 0) return `−${fmtUsd(-v)}`;
  const a = Math.abs(v);
  if (a >= 1e9) return `$${(v / 1e9).toFixed(a >= 1e10 ? 1 : 2)}bn`;
  if (a >= 1e6) return `$${(v / 1e6).toFixed(1)}m`;
  if (a >= 1e3) return `$${(v / 1e3).toFixed(1)}k`;
  return `$${v.toFixed(0)}`;
}

/** Format a cell value; the column name decides money and percentages. */
function fmt(v, key = "") {
  if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) return "—";
  if (Array.isArray(v)) return v.map((x) => fmt(x)).join(", ");
  if (typeof v === "object") return JSON.stringify(v);
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (!isNum(v)) return String(v);
  const k = key.toLowerCase();
  if (["year", "rank", "id", "seed", "item", "online"].includes(k) || k.endsWith("_year")) {
    return String(v);
  }
  if (k.includes("usd") || k === "budget") return fmtUsd(v);
  if (k.includes("share") && Math.abs(v) <= 1) return `${(v * 100).toFixed(1)} %`;
  // Shortfalls are shares of demand: percentages, as in the charts and the brief.
  if (/(^|_)shortfall/.test(k) && !k.includes("_t") && Math.abs(v) <= 1) {
    return `${(v * 100).toPrecision(3)} %`;
  }
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  const a = Math.abs(v);
  if (a >= 1000) return v.toLocaleString("en-US", { maximumFractionDigits: 0 });
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** A run as a person names it: its scenario, its kind and when it was made. */
function runLabel(r) {
  const scen = (r.params && r.params.scenario) || "";
  const when = String(r.created || "").slice(0, 16).replace("T", " ");
  const kind = r.kind === "simulate" || !r.kind ? "" : `${r.kind}: `;
  return `${kind}${scen || String(r.id).slice(0, 8)}${when ? ` · ${when} UTC` : ""}`;
}

/** Seconds as a person reads them: 0.4 s, 12 s, 3 min 05 s. */
function fmtSeconds(s) {
  if (!isNum(s)) return "—";
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - 60 * m)).padStart(2, "0")} s`;
}

/** The union of keys of a list of objects, in first-seen order. */
function columnsOf(rows) {
  const cols = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return cols;
}

/**
 * A table from a list of objects. Columns default to every key seen, so the dashboard renders
 * whatever the API sends. `rowAttrs(row)` may add attributes (e.g. data-stage) to each <tr>.
 */
function table(rows, { columns, caption, rowAttrs } = {}) {
  if (!rows || rows.length === 0) return el("p", { className: "empty" }, "No rows.");
  const cols = columns || columnsOf(rows);
  return el(
    "table",
    {},
    caption ? el("caption", {}, caption) : null,
    el("thead", {}, el("tr", {}, cols.map((c) => el("th", { scope: "col" }, c)))),
    el(
      "tbody",
      {},
      rows.map((r) =>
        el(
          "tr",
          rowAttrs ? rowAttrs(r) : {},
          cols.map((c) => el("td", { className: isNum(r[c]) ? "num" : "" }, fmt(r[c], c)))
        )
      )
    )
  );
}

/** Replace a container's content (a chart drawn there before is released first). */
function show(container, ...nodes) {
  if (container.classList.contains("js-plotly-plot")) {
    // A message replacing a chart: without this the node still claims to be a chart.
    if (window.Plotly) window.Plotly.purge(container);
    container.classList.remove("js-plotly-plot");
  }
  container.replaceChildren(...nodes.flat().filter(Boolean));
}

/** Draw a plotly chart if plotly.js loaded; otherwise say so in the container. */
function plot(container, traces, layout) {
  if (!window.Plotly) {
    show(container, el("p", { className: "empty" }, "Charts unavailable (plotly.js not loaded)."));
    return;
  }
  const base = {
    margin: { l: 55, r: 15, t: 35, b: 45 },
    font: { family: "system-ui, sans-serif", size: 13 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#ffffff",
    legend: { orientation: "h", y: -0.2 },
  };
  window.Plotly.react(container, traces, { ...base, ...layout }, {
    displaylogo: false,
    responsive: true,
    modeBarButtonsToRemove: ["sendDataToCloud", "lasso2d", "select2d"],
    topojsonURL: "/static-vendor/topojson/", // served by critmin: no request leaves the server
  });
}

/* ------------------------------------------------------------------------------------------
 * 2. API client
 * ---------------------------------------------------------------------------------------- */

const TOKEN_KEY = "critmin.apiToken";

class ApiError extends Error {
  constructor(status, detail) {
    super(formatDetail(detail) || `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
  }
}

/** `detail` is a string or a list of {field, msg, line}: make it one readable line. */
function formatDetail(detail) {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        if (typeof d !== "object" || d === null) return String(d);
        const where = [d.line ? `line ${d.line}` : "", d.field ? `${d.field}` : ""]
          .filter(Boolean)
          .join(", ");
        let msg = d.msg || d.message || JSON.stringify(d);
        // Messages often start with their own field already: don't say it twice.
        if (d.field && msg.startsWith(`${d.field}: `)) msg = msg.slice(d.field.length + 2);
        return where ? `${where}: ${msg}` : msg;
      })
      .join("; ");
  }
  return JSON.stringify(detail);
}

/**
 * Call the API. GETs are plain; writes send JSON and the bearer token when one is set.
 * Resolves with the parsed JSON (or null for an empty body); rejects with ApiError.
 */
async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token && method !== "GET") headers.Authorization = `Bearer ${token}`;
  const resp = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!resp.ok) {
    const detail = data && typeof data === "object" && "detail" in data ? data.detail : data;
    throw new ApiError(resp.status, detail);
  }
  return data;
}

/** Some list endpoints may wrap rows ({"rows": [...]}) — accept both shapes. */
function asRows(data) {
  if (Array.isArray(data)) return data;
  if (data && typeof data === "object") {
    for (const k of ["rows", "items", "data", "runs", "results"]) {
      if (Array.isArray(data[k])) return data[k];
    }
  }
  return [];
}

const TERMINAL = new Set(["complete", "failed", "cancelled"]);

/* ------------------------------------------------------------------------------------------
 * 3. Tabs and the location hash
 * ---------------------------------------------------------------------------------------- */

const VIEWS = ["explorer", "builder", "monitor", "results", "plans"];
const viewHooks = {}; // view name -> function called when the view is shown

/** Read `#view=results&run=abc` (or just `#run=abc`) into an object. */
function readHash() {
  const p = new URLSearchParams(location.hash.replace(/^#/, ""));
  const run = p.get("run") || null;
  let view = p.get("view");
  if (!VIEWS.includes(view)) view = run ? "monitor" : "explorer";
  return { view, run };
}

/** Write the view and selected run to the hash without adding history entries. */
function writeHash(view, run) {
  const p = new URLSearchParams();
  // `#run=<id>` alone means the monitor, so the common case stays short.
  if (view !== "explorer" && !(view === "monitor" && run)) p.set("view", view);
  if (run && (view === "monitor" || view === "results")) p.set("run", run);
  const hash = p.toString();
  const url = hash ? `#${hash}` : location.pathname + location.search;
  if (location.hash.replace(/^#/, "") !== hash) history.replaceState(null, "", url);
}

const app = {
  view: "explorer",
  runId: null, // the run shown in the monitor / results
};

function selectView(view, { focus = false } = {}) {
  app.view = view;
  for (const tab of $$('[role="tab"]')) {
    const on = tab.dataset.view === view;
    tab.setAttribute("aria-selected", String(on));
    $(`#${tab.getAttribute("aria-controls")}`).hidden = !on;
  }
  writeHash(view, app.runId);
  if (focus) $(`#view-${view}`).focus();
  if (viewHooks[view]) viewHooks[view]();
}

function initTabs() {
  const tabs = $$('[role="tab"]');
  for (const tab of tabs) {
    // A <button> is activated by Enter and Space natively, which fires "click".
    tab.addEventListener("click", () => selectView(tab.dataset.view));
    // Arrow keys, Home and End move between tabs (the WAI-ARIA tabs pattern).
    tab.addEventListener("keydown", (ev) => {
      const i = tabs.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
      if (next === undefined) return;
      ev.preventDefault();
      tabs[(next + tabs.length) % tabs.length].focus();
    });
  }
  window.addEventListener("hashchange", () => {
    const h = readHash();
    if (h.run && h.run !== app.runId) Monitor.select(h.run, { updateHash: false });
    if (h.view !== app.view) selectView(h.view);
  });
}

/* ------------------------------------------------------------------------------------------
 * Settings drawer and health line
 * ---------------------------------------------------------------------------------------- */

function initSettings() {
  const toggle = $("#settings-toggle");
  const drawer = $("#settings");
  const input = $("#api-token");
  const status = $("#settings-status");
  input.value = sessionStorage.getItem(TOKEN_KEY) || "";

  toggle.addEventListener("click", () => {
    const open = drawer.hidden;
    drawer.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) input.focus();
  });
  $("#settings-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = input.value.trim();
    if (v) sessionStorage.setItem(TOKEN_KEY, v);
    else sessionStorage.removeItem(TOKEN_KEY);
    setStatus(status, v ? "Token saved for this tab." : "Token cleared.", "ok");
  });
  $("#api-token-clear").addEventListener("click", () => {
    input.value = "";
    sessionStorage.removeItem(TOKEN_KEY);
    setStatus(status, "Token cleared.", "ok");
  });
}

async function loadHealth() {
  const node = $("#health");
  try {
    const h = await api("/api/health");
    node.textContent = `${h.status} · v${h.version} · data ${h.data_version}`;
    node.classList.remove("bad");
  } catch (err) {
    node.textContent = `Server unreachable: ${err.message}`;
    node.classList.add("bad");
  }
}

/* ------------------------------------------------------------------------------------------
 * 4a. Explorer: minerals, stage shares, composite risk
 * ---------------------------------------------------------------------------------------- */

const Explorer = {
  minerals: [],
  risk: null, // rows of /api/risk?method=composite, fetched once
  selected: null,
  loaded: false,

  async init() {
    $("#mineral-search").addEventListener("input", () => this.renderList());
    try {
      this.minerals = asRows(await api("/api/minerals"));
    } catch (err) {
      setStatus($("#explorer-status"), `Could not load minerals: ${err.message}`, "bad");
      return;
    }
    this.loaded = true;
    show($("#explorer-all"), table(this.minerals));
    this.renderList();
    const first = this.minerals.find((m) => m.mineral === "gallium") || this.minerals[0];
    if (first) this.select(first.mineral);
  },

  renderList() {
    const q = $("#mineral-search").value.trim().toLowerCase();
    const hits = this.minerals.filter(
      (m) => !q || `${m.mineral} ${m.name || ""}`.toLowerCase().includes(q)
    );
    show(
      $("#mineral-list"),
      hits.length === 0
        ? el("li", { className: "empty" }, "No mineral matches.")
        : hits.map((m) =>
            el(
              "li",
              {},
              el(
                "button",
                {
                  type: "button",
                  "aria-current": String(m.mineral === this.selected),
                  dataset: { mineral: m.mineral },
                  onclick: () => this.select(m.mineral),
                },
                m.name || m.mineral
              )
            )
          )
    );
  },

  async select(mineral) {
    this.selected = mineral;
    this.renderList();
    const info = this.minerals.find((m) => m.mineral === mineral) || { mineral };
    $("#explorer-title").textContent = info.name || mineral;
    setStatus($("#explorer-status"), `Loading ${mineral}…`);

    // The overview row of this mineral, as a definition list.
    show(
      $("#explorer-overview"),
      el(
        "dl",
        { className: "meta" },
        Object.entries(info).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, fmt(v, k))])
      )
    );

    // Both stages and the risk table in parallel; a stage without data is not an error.
    const stage = (s) =>
      api(`/api/minerals/${encodeURIComponent(mineral)}/supply?stage=${s}`)
        .then((d) => asRows(d).map((r) => ({ stage: s, ...r })))
        .catch(() => []);
    const riskP = this.risk
      ? Promise.resolve(this.risk)
      : api("/api/risk?method=composite").then(asRows).catch(() => []);
    // Ask only for the stages the overview lists ("mine;refine"), when it lists them.
    const listed = String(info.stages || "mine;refine").split(/[;,\s]+/);
    const want = (s) => (listed.includes(s) ? stage(s) : Promise.resolve([]));
    const [mine, refine, risk] = await Promise.all([want("mine"), want("refine"), riskP]);
    this.risk = risk;
    if (this.selected !== mineral) return; // the user picked another mineral meanwhile

    // The mineral's composite-score row, shown as field/value pairs (it has many columns).
    const riskRow = risk.find((r) => r.mineral === mineral);
    show(
      $("#explorer-risk"),
      riskRow
        ? table(
            Object.entries(riskRow).map(([field, v]) => ({ field, value: fmt(v, field) })),
            { caption: `Composite score of ${mineral}` }
          )
        : el("p", { className: "empty" }, "No composite score for this mineral.")
    );
    // Country rows only: the world total is a sum, not a producer (it goes in the caption).
    // ("Rest of world" is an aggregate of other countries, not a world total: it stays.)
    const isTotal = (r) => !r.country && /^world\b/i.test(String(r.entity || ""));
    const totals = [...mine, ...refine].filter(isTotal);
    const rows = [...mine, ...refine].filter((r) => !isTotal(r));
    $("#explorer-totals").textContent = totals
      .map((r) => `World total, ${r.stage}: ${fmt(r.value, "value")} ${r.unit || ""} (${r.year ?? ""}, ${r.source || ""})`)
      .join(" · ");
    show(
      $("#explorer-table"),
      table(rows, {
        // The columns a reader needs; the rest (mineral, measure, basis…) are in the API's rows.
        columns: ["stage", "country", "entity", "value", "unit", "share", "status", "year", "source"],
        caption: `${info.name || mineral}: producers by stage` +
          (rows[0] && rows[0].basis ? ` (${[...new Set(rows.map((r) => r.basis))].join("; ")})` : ""),
        rowAttrs: (r) => ({ dataset: { stage: r.stage, country: r.country ?? "" } }),
      })
    );
    this.chart(mineral, mine, refine);
    this.maps(mineral, mine, refine);
    this.history(mineral, listed);
    this.prices(mineral);
    this.demand(mineral);
    setStatus(
      $("#explorer-status"),
      rows.length ? `${mine.length} mine and ${refine.length} refine rows.` : "No supply data."
    );
  },

  /** World maps of the shares, one per stage with data, the whole world visible. */
  maps(mineral, mine, refine) {
    const node = $("#explorer-maps");
    const stages = [["mine", mine], ["refine", refine]].filter(([, rows]) => rows.some((r) => r.country));
    if (!stages.length) {
      show(node, el("p", { className: "empty" }, "No country data to map."));
      return;
    }
    const geo = {
      projection: { type: "natural earth" }, showframe: false, showcoastlines: false,
      showcountries: true, countrycolor: "#bbb", showland: true, landcolor: "#f2f2f2",
      lonaxis: { range: [-180, 180] }, lataxis: { range: [-58, 84] },
    };
    const layout = { height: 320, margin: { l: 0, r: 0, t: 60, b: 0 }, annotations: [] };
    const traces = stages.map(([stage, rows], i) => {
      const c = rows.filter((r) => r.country && isNum(r.share));
      const key = i === 0 ? "geo" : `geo${i + 1}`;
      // Both maps in the same band (y 0–1): left alone, plotly sets one lower than the other.
      layout[key] = { ...geo, domain: { x: [i / stages.length, (i + 1) / stages.length - 0.01], y: [0, 1] } };
      layout.annotations.push({ text: stage === "mine" ? "mining" : "refining", x: (i + 0.5) / stages.length, y: 1.02, yanchor: "bottom",
        xref: "paper", yref: "paper", showarrow: false });  // prettier-ignore
      return {
        type: "choropleth", geo: key, name: stage, locations: c.map((r) => r.country),
        z: c.map((r) => 100 * r.share), zmin: 0, zmax: 100, colorscale: [[0, "#fff5eb"], [0.5, "#fd8d3c"], [1, "#7f2704"]],
        showscale: i === 0, colorbar: { title: { text: "%" }, len: 0.8 },
        hovertemplate: "%{location}: %{z:.1f} %<extra>" + stage + "</extra>",
      };
    });
    plot(node, traces, { ...layout, title: { text: `${mineral}: where it is produced (% of world)`, font: { size: 14 } } });
  },

  /**
   * Production year by year at each stage with data: the largest producers of the latest
   * year and "Rest of world" as stacked areas (one chart per stage), from one source family
   * (GET /api/minerals/{m}/history, as `critmin supply M --history`).
   */
  async history(mineral, listed) {
    const node = $("#explorer-history");
    const note = $("#explorer-history-source");
    const get = (s) =>
      listed.includes(s)
        ? api(`/api/minerals/${encodeURIComponent(mineral)}/history?stage=${s}`).then(asRows).catch(() => [])
        : Promise.resolve([]);
    const [mine, refine] = await Promise.all([get("mine"), get("refine")]);
    if (this.selected !== mineral) return;
    const stages = [["mine", "mining", mine], ["refine", "refining", refine]].filter(([, , r]) => r.length);
    node.dataset.for = mineral; // which mineral the section shows (a page or a test can wait on it)
    if (!stages.length) {
      show(node, el("p", { className: "empty" }, "No production series for this mineral."));
      note.textContent = "";
      return;
    }
    const divs = stages.map(([s]) => el("div", { id: `explorer-history-${s}`, className: "chart", role: "img",
      "aria-label": `${mineral} ${s} production by year and producer` }));  // prettier-ignore
    show(node, divs);
    const palette = ["#1f5fbf", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d"];
    const colours = new Map();
    const colour = (p) => {
      if (p === "Rest of world") return "#9aa3ad";
      if (!colours.has(p)) colours.set(p, palette[colours.size % palette.length]);
      return colours.get(p);
    };
    const notes = [];
    stages.forEach(([stage, word, rows], i) => {
      const years = [...new Set(rows.map((r) => r.year))].sort((a, b) => a - b);
      const last = years[years.length - 1];
      const producers = [...new Set(rows.map((r) => r.producer))];
      const value = (p, y) => {
        const r = rows.find((x) => x.producer === p && x.year === y);
        return r && isNum(r.value) ? r.value : null;
      };
      // A producer with nothing in any year has no area to draw: named, not drawn empty.
      const empty = producers.filter((p) => years.every((y) => !value(p, y)));
      const drawn = producers.filter((p) => !empty.includes(p));
      const unit = rows[0].unit || "";
      const total = drawn.reduce((a, p) => a + (value(p, last) || 0), 0);
      // Stacked areas over the years; one year alone is a stacked bar (markers of a stack
      // would sit at the running totals, not at each producer's value).
      const one = years.length === 1;
      const traces = drawn.map((p) => {
        const r = rows.find((x) => x.producer === p);
        const t = {
          x: years, y: years.map((y) => value(p, y)), name: p === "Rest of world" ? p : `${r.entity} (${p})`,
          marker: { color: colour(p) }, hovertemplate: `%{x}: %{y:,.0f} ${unit}<extra>${p}</extra>`,
        };
        return one ? { ...t, type: "bar", width: 0.5 }
          : { ...t, type: "scatter", mode: "lines", stackgroup: "one", line: { color: colour(p), width: 1 } };
      });
      const zero = empty.length ? ` · ${empty.join(", ")}: 0 or no figure, not drawn` : "";
      plot(divs[i], traces, {
        title: { text: `${word}: ${fmt(total)} ${unit} in ${last}${zero}`, font: { size: 14 } },
        yaxis: { title: { text: `${unit} (${rows[0].basis || ""})` }, rangemode: "tozero" },
        xaxis: one ? { tickvals: years, range: [years[0] - 1, years[0] + 1] } : { tickvals: years },
        barmode: "stack",
        height: 340,
        margin: { l: 55, r: 30, t: 35, b: 45 }, // room for the last year's label
        legend: { orientation: "h", y: -0.18 },
      });
      const eds = [...new Set(rows.map((r) => r.source))].sort();
      notes.push(`${word} ${years[0] === last ? last : `${years[0]}–${last}`}: ${eds.join(", ")}`);
    });
    note.textContent =
      `Source: ${notes.join("; ")} (each year from its newest edition). Producers: the largest of the ` +
      "latest year; Rest of world = every other country. The world total as reported is not a series.";
  },

  /** The USGS price, year by year (GET /api/minerals/{m}/prices, as `critmin supply M --prices`). */
  async prices(mineral) {
    const node = $("#explorer-prices");
    const note = $("#explorer-prices-source");
    let rows;
    try {
      rows = asRows(await api(`/api/minerals/${encodeURIComponent(mineral)}/prices`));
    } catch (err) {
      if (this.selected !== mineral) return;
      // "insufficient data: no sourced price of helium (why)" → "No sourced price of helium (why)."
      const why = err.message.replace(/^insufficient data: /, "");
      show(node, el("p", { className: "empty" }, `${why.charAt(0).toUpperCase()}${why.slice(1)}.`));
      note.textContent = "";
      node.dataset.for = mineral;
      return;
    }
    if (this.selected !== mineral) return;
    node.dataset.for = mineral;
    rows.sort((a, b) => a.year - b.year);
    // The reported unit when every year shares it (USD/kg reads better than USD/t), else USD/t.
    const units = new Set(rows.map((r) => r.unit));
    const same = units.size === 1;
    const unit = same ? rows[0].unit : `USD/t ${rows[0].basis.replace(/^t /, "")}`;
    const y = rows.map((r) => (same ? r.value : r.usd_per_t));
    const last = rows[rows.length - 1];
    plot(node, [{
      x: rows.map((r) => r.year), y, name: rows[0].product, type: "scatter", mode: "lines+markers",
      line: { color: "#1f5fbf" },
      marker: { size: 8, symbol: rows.map((r) => (r.status === "estimated" ? "circle-open" : "circle")) },
      text: rows.map((r) => `${r.status}, ${r.source}`),
      hovertemplate: `%{x}: %{y:,.4~g} ${unit} (%{text})<extra></extra>`,
    }], {
      title: { text: `${rows[0].product}: ${fmt(same ? last.value : last.usd_per_t)} ${unit} in ${last.year}`, font: { size: 14 } },
      yaxis: { title: { text: unit }, rangemode: "tozero" },
      xaxis: { dtick: 1 },
      height: 300,
      margin: { l: 55, r: 30, t: 35, b: 45 },
      showlegend: false,
    });
    const eds = [...new Set(rows.map((r) => r.edition))].sort();
    note.textContent =
      `Source: USGS Mineral Commodity Summaries, editions ${eds.join(", ")} (each year from the newest ` +
      `edition reporting it; open markers: estimated). ${rows[0].product}, ${unit}; the series ends in ${last.year}.`;
  },

  /** AI data centres' demand for the mineral, tonnes a year with the low–high band. */
  async demand(mineral) {
    const node = $("#explorer-demand");
    let rows;
    try {
      rows = asRows(await api("/api/demand?view=context")).filter((r) => r.mineral === mineral);
    } catch (err) {
      show(node, el("p", { className: "error" }, `Could not load AI demand: ${err.message}`));
      return;
    }
    if (this.selected !== mineral) return;
    node.dataset.for = mineral;
    if (!rows.length) {
      show(node, el("p", { className: "empty" }, "No AI demand modelled for this mineral."));
      return;
    }
    rows.sort((a, b) => a.year - b.year);
    const x = rows.map((r) => r.year);
    const col = (k) => rows.map((r) => (isNum(r[k]) ? r[k] : null));
    const last = rows[rows.length - 1];
    plot(node, [
      { x, y: col("ai_low_t"), mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
      { x, y: col("ai_high_t"), mode: "lines", fill: "tonexty", line: { width: 0 }, name: "low–high",
        fillcolor: "rgba(31,95,191,0.2)", hoverinfo: "skip" },
      { x, y: col("ai_central_t"), mode: "lines+markers", name: "central (t/yr)", line: { color: "#1f5fbf" } },
    ], {
      title: {
        text: `AI data centres: ${fmt(last.ai_central_t)} t of ${mineral} in ${last.year}` +
          (isNum(last.ai_share_central) ? ` (${(100 * last.ai_share_central).toFixed(1)} % of world demand)` : ""),
        font: { size: 14 },
      },
      yaxis: { title: { text: "tonnes a year" }, rangemode: "tozero" },
      xaxis: { dtick: 2 },
      height: 300,
    });
  },

  /** Grouped bars: share by country for each stage (top 10 countries overall). */
  chart(mineral, mine, refine) {
    const node = $("#explorer-chart");
    if (!mine.length && !refine.length) {
      show(node, el("p", { className: "empty" }, "No supply data to chart."));
      return;
    }
    // Countries only: aggregate rows ("Other countries", "World total") have no country.
    mine = mine.filter((r) => r.country);
    refine = refine.filter((r) => r.country);
    const label = (r) => r.country;
    const best = new Map();
    for (const r of [...mine, ...refine]) {
      best.set(label(r), Math.max(best.get(label(r)) || 0, r.share || 0));
    }
    const top = [...best.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10).map((e) => e[0]);
    const trace = (rows, name, color) => {
      const byC = new Map(rows.map((r) => [label(r), r.share]));
      return {
        type: "bar",
        name,
        x: top,
        y: top.map((c) => (isNum(byC.get(c)) ? byC.get(c) * 100 : null)),
        marker: { color },
        hovertemplate: "%{x}: %{y:.1f} %<extra>" + name + "</extra>",
      };
    };
    // A stage without rows gets no series (an empty legend entry would claim data).
    const traces = [[mine, "mine", "#7a8da8"], [refine, "refine", "#1f5fbf"]]
      .filter(([rows]) => rows.length)
      .map(([rows, name, color]) => trace(rows, name, color));
    plot(node, traces, {
      title: { text: `${mineral}: share of world output by stage`, font: { size: 14 } },
      barmode: "group",
      yaxis: { title: { text: "share (%)" }, rangemode: "tozero" },
    });
  },
};

/* ------------------------------------------------------------------------------------------
 * 4b. Scenario builder: YAML editor, live validation, add-event helper, run
 * ---------------------------------------------------------------------------------------- */

const EXAMPLE_SCENARIO = `# A two-year Chinese export restriction on refined gallium and germanium.
name: Gallium and germanium restriction, 2027-2028
description: China withholds most refined gallium and germanium exports for two years.
horizon: {start: 2026, end: 2030}
bloc: OECD
samples: 500
seed: 2027
events:
  - type: export_restriction
    country: CHN
    minerals: [gallium, germanium]
    stage: refine
    start: 2027
    duration_years: 2
    share: {low: 0.5, central: 0.7, high: 1.0}
    leakage: {low: 0.0, central: 0.1, high: 0.3}
`;

/**
 * The scenario library: the scenarios shipped with critmin (the standard one first, with
 * their assumptions) and the saved ones. The builder loads one into the editor; the plans
 * view scores plans against one (the standard scenario by default).
 */
const Library = {
  shipped: [],
  saved: [],

  async load() {
    try {
      this.shipped = asRows(await api("/api/scenarios/library"));
    } catch {
      this.shipped = [];
    }
    try {
      this.saved = asRows(await api("/api/scenarios"));
    } catch {
      this.saved = [];
    }
    this.fill($("#scenario-library"), "— load a scenario into the editor —");
    this.fill($("#plan-scenario"), null);
  },

  fill(sel, placeholder) {
    if (!sel) return;
    const keep = sel.value;
    show(
      sel,
      placeholder ? el("option", { value: "" }, placeholder) : [],
      el(
        "optgroup",
        { label: "Shipped with critmin" },
        this.shipped.map((s) =>
          el("option", { value: `library:${s.name}` }, `${s.title}${s.standard ? " (standard)" : ""}`)
        )
      ),
      this.saved.length
        ? el("optgroup", { label: "Saved" },
            this.saved.map((s) => el("option", { value: `saved:${s.id}` }, s.name)))  // prettier-ignore
        : [],
      sel.id === "plan-scenario"
        ? el("option", { value: "builder" }, "The text in the scenario builder")
        : []
    );
    if (keep && $$("option", sel).some((o) => o.value === keep)) sel.value = keep;
    else if (!placeholder) sel.value = this.shipped.length ? `library:${this.shipped[0].name}` : "builder";
  },

  /** The YAML of a library entry ("library:<name>" or "saved:<id>"). */
  async text(key) {
    const [kind, id] = key.split(/:(.*)/s);
    if (kind === "library") return (await api(`/api/scenarios/library/${encodeURIComponent(id)}`)).yaml;
    if (kind === "saved") return (await api(`/api/scenarios/${encodeURIComponent(id)}`)).yaml;
    return $("#scenario-yaml").value;
  },

  /** The assumptions table of a shipped scenario (one row per event). */
  assumptions(key) {
    const name = key.startsWith("library:") ? key.slice(8) : null;
    const s = this.shipped.find((x) => x.name === name);
    if (!s) return el("p", { className: "hint" }, "A saved scenario: its assumptions are its YAML.");
    return table(s.assumptions || [], {
      columns: ["event", "country", "minerals", "stage", "starts", "lasts", "share"],
      caption: `${s.title}: ${s.horizon ? s.horizon.join("–") : ""}, bloc ${s.bloc}, ${s.samples} samples`,
    });
  },
};

const Builder = {
  valid: false,
  validating: false,
  seq: 0, // drops answers to stale validation requests
  problemLines: [],

  init() {
    const ta = $("#scenario-yaml");
    ta.value = EXAMPLE_SCENARIO;
    $("#scenario-library").addEventListener("change", async (ev) => {
      const key = ev.target.value;
      if (!key) {
        show($("#scenario-assumptions"));
        return;
      }
      try {
        ta.value = await Library.text(key);
      } catch (err) {
        setStatus($("#validation-status"), `Could not load the scenario: ${err.message}`, "bad");
        return;
      }
      show($("#scenario-assumptions"), Library.assumptions(key));
      ta.dispatchEvent(new Event("input"));
    });
    const validateSoon = debounce(() => this.validate(), 400);
    ta.addEventListener("input", () => {
      this.valid = false;
      this.validating = true;
      this.updateRunButton();
      this.renderGutter();
      setStatus($("#validation-status"), "Validating…");
      validateSoon();
    });
    ta.addEventListener("scroll", () => this.syncScroll());
    // Tab inserts two spaces instead of leaving the editor; Escape then Tab leaves it.
    ta.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        this.tabEscapes = true;
        return;
      }
      if (ev.key === "Tab" && !ev.shiftKey && !this.tabEscapes) {
        ev.preventDefault();
        ta.setRangeText("  ", ta.selectionStart, ta.selectionEnd, "end");
        ta.dispatchEvent(new Event("input"));
      }
    });
    ta.addEventListener("blur", () => (this.tabEscapes = false));
    ta.addEventListener("focus", () => (this.tabEscapes = false));
    // Resizing the textarea changes what is visible: keep marks aligned.
    new ResizeObserver(() => this.syncScroll()).observe(ta);

    $("#run-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.run();
    });
    $("#save-scenario").addEventListener("click", () => this.save());
    this.initEventForm();
    this.renderGutter();
    this.validate();
  },

  /** Line numbers in the gutter, with problem lines marked. */
  renderGutter() {
    const n = $("#scenario-yaml").value.split("\n").length;
    const bad = new Set(this.problemLines);
    show(
      $("#scenario-gutter"),
      Array.from({ length: n }, (_, i) => el("div", { className: bad.has(i + 1) ? "bad" : "" }, i + 1))
    );
    show(
      $("#scenario-marks"),
      [...bad]
        .filter((l) => l >= 1 && l <= n)
        .map((l) => el("div", { dataset: { line: l } }))
    );
    this.syncScroll();
  },

  /** Keep the gutter and the line marks in step with the textarea's scroll position. */
  syncScroll() {
    const ta = $("#scenario-yaml");
    const lineH = parseFloat(getComputedStyle(ta).lineHeight) || 20;
    const padTop = parseFloat(getComputedStyle(ta).paddingTop) || 0;
    $("#scenario-gutter").scrollTop = ta.scrollTop;
    for (const m of $$("#scenario-marks div")) {
      m.style.top = `${padTop + (Number(m.dataset.line) - 1) * lineH - ta.scrollTop}px`;
    }
  },

  updateRunButton() {
    $("#run-button").disabled = !this.valid || this.validating;
  },

  async validate() {
    const seq = ++this.seq;
    const yaml = $("#scenario-yaml").value;
    this.validating = true;
    this.updateRunButton();
    let res;
    try {
      res = await api("/api/scenarios/validate", { method: "POST", body: { yaml } });
    } catch (err) {
      if (seq !== this.seq) return;
      // A 4xx with a detail list is still a validation answer: show it as problems.
      const problems = Array.isArray(err.detail)
        ? err.detail.map((d) => ({ line: d.line, field: d.field, message: d.msg }))
        : [{ message: err.message }];
      res = { valid: false, problems };
    }
    if (seq !== this.seq) return; // the text changed while this request was in flight
    this.validating = false;
    this.valid = Boolean(res.valid);
    this.renderProblems(res.problems || []);
    if (this.valid) {
      const t = res.minerals_touched || [];
      const list = t.length > 8 ? `${t.slice(0, 8).join(", ")} and ${t.length - 8} more` : t.join(", ");
      const touched = t.length ? `${t.length} (${list})` : "none";
      setStatus($("#validation-status"), `Valid: “${res.name}” — minerals it acts on: ${touched}.`, "ok");
    } else {
      const n = (res.problems || []).length;
      setStatus($("#validation-status"), `Invalid: ${n} problem${n === 1 ? "" : "s"}.`, "bad");
    }
    this.updateRunButton();
  },

  renderProblems(problems) {
    this.problemLines = problems.map((p) => Number(p.line)).filter((l) => l > 0);
    this.renderGutter();
    show(
      $("#validation-problems"),
      problems.map((p) => {
        const parts = [];
        if (p.line) parts.push(el("span", { className: "line" }, `Line ${p.line}`), " · ");
        if (p.field) parts.push(el("span", { className: "field" }, p.field), ": ");
        // The server's message usually repeats the field and says what was expected and
        // got; without one, build it from those parts.
        let msg = p.message || p.msg || "";
        if (p.field && msg.startsWith(`${p.field}: `)) msg = msg.slice(p.field.length + 2);
        if (!msg && (p.expected || p.got)) msg = `expected ${p.expected ?? "?"}, got ${fmt(p.got)}`;
        parts.push(msg || "invalid");
        return el(
          "li",
          { dataset: { line: p.line ?? "", field: p.field ?? "" } },
          el(
            "button",
            {
              type: "button",
              title: p.line ? "Go to this line" : undefined,
              onclick: () => p.line && this.gotoLine(Number(p.line)),
            },
            parts
          )
        );
      })
    );
  },

  /** Put the caret at the start of a line and scroll it into view. */
  gotoLine(line) {
    const ta = $("#scenario-yaml");
    const lines = ta.value.split("\n");
    const pos = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    ta.focus();
    ta.setSelectionRange(pos, pos + (lines[line - 1] || "").length);
    const lineH = parseFloat(getComputedStyle(ta).lineHeight) || 20;
    ta.scrollTop = Math.max(0, (line - 3) * lineH);
    this.syncScroll();
  },

  async run() {
    const status = $("#run-form-status");
    const samples = Number($("#run-samples").value);
    const seedText = $("#run-seed").value.trim();
    const body = { scenario_yaml: $("#scenario-yaml").value, samples };
    if (seedText !== "") body.seed = Number(seedText);
    $("#run-button").disabled = true;
    setStatus(status, "Submitting…");
    try {
      const run = await api("/api/runs", { method: "POST", body });
      setStatus(status, `Run ${run.id} submitted.`, "ok");
      Monitor.select(run.id);
      selectView("monitor");
    } catch (err) {
      setStatus(status, `Could not start the run: ${err.message}`, "bad");
    } finally {
      this.updateRunButton();
    }
  },

  async save() {
    const status = $("#run-form-status");
    const yaml = $("#scenario-yaml").value;
    const name = (yaml.match(/^name:\s*(.+)$/m) || [])[1] || "untitled";
    try {
      const s = await api("/api/scenarios", { method: "POST", body: { name: name.trim(), yaml } });
      setStatus(status, `Scenario saved (id ${s.id}).`, "ok");
      Library.load();
    } catch (err) {
      setStatus(status, `Could not save: ${err.message}`, "bad");
    }
  },

  /* ---- Add-event helper ---- */

  initEventForm() {
    const type = $("#ev-type");
    const refresh = () => {
      const t = type.value;
      // Fields (and hints) list the event types they apply to in data-for.
      for (const f of $$("#event-form [data-for]")) {
        f.hidden = !f.dataset.for.split(" ").includes(t);
      }
      $("#ev-share-label").textContent =
        t === "demand_surge"
          ? "Demand factor (e.g. 1.2)"
          : t === "export_restriction"
          ? "Share withheld (0–1)"
          : "Capacity lost (0–1)";
      $("#ev-start-label").textContent =
        t === "stock_release" ? "Year" : "Start (year or YYYY-MM-DD)";
    };
    // A demand factor is a multiplier (1.2 = +20 %); the other magnitudes are fractions.
    type.addEventListener("change", () => {
      const share = $("#ev-share");
      const v = Number(share.value);
      if (type.value === "demand_surge" && v <= 1) share.value = "1.2";
      else if (type.value !== "demand_surge" && v > 1) share.value = "0.5";
      refresh();
    });
    refresh();
    $("#event-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const status = $("#event-form-status");
      try {
        const snippet = this.eventYaml();
        this.appendEvent(snippet);
        setStatus(status, `Appended a ${type.value} event.`, "ok");
      } catch (err) {
        setStatus(status, err.message, "bad");
      }
    });
  },

  /** The YAML lines (indented as a list item under `events:`) for the helper form. */
  eventYaml() {
    const t = $("#ev-type").value;
    const country = $("#ev-country").value.trim().toUpperCase();
    const minerals = $("#ev-minerals")
      .value.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const stage = $("#ev-stage").value;
    const start = $("#ev-start").value.trim();
    const duration = $("#ev-duration").value.trim();
    const share = $("#ev-share").value.trim();
    if (!minerals.length) throw new Error("Give at least one mineral.");
    if (!start) throw new Error("Give a start year or date.");
    const list = `[${minerals.join(", ")}]`;
    const lines = [`type: ${t}`];
    const timed = () => {
      lines.push(`start: ${start}`);
      if (duration) lines.push(`duration_years: ${duration}`);
    };
    switch (t) {
      case "export_restriction":
        lines.push(`country: ${country}`, `minerals: ${list}`, `stage: ${stage}`);
        timed();
        lines.push(`share: ${share || 1}`);
        break;
      case "outage":
        lines.push(`country: ${country}`, `mineral: ${minerals[0]}`, `stage: ${stage}`);
        timed();
        lines.push(`capacity_loss: ${share || 0.5}`);
        break;
      case "logistics":
        lines.push(
          `route: ${JSON.stringify($("#ev-route").value.trim() || "route")}`,
          `minerals: ${list}`,
          `countries: [${country}]`
        );
        timed();
        lines.push(`capacity_loss: ${share || 0.5}`);
        break;
      case "demand_surge":
        lines.push(`minerals: ${list}`);
        timed();
        lines.push(`factor: ${share || 1.2}`);
        break;
      case "stock_release":
        lines.push(
          `mineral: ${minerals[0]}`,
          `year: ${parseInt(start, 10)}`,
          `amount_t: ${$("#ev-amount").value || 1}`
        );
        break;
      default:
        throw new Error(`Unknown event type ${t}`);
    }
    return lines.map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`)).join("\n");
  },

  /**
   * Insert an event at the end of the `events:` block (before the next top-level key), adding
   * the block if there is none and turning `events: []` into a block list.
   */
  appendEvent(snippet) {
    const ta = $("#scenario-yaml");
    const lines = ta.value.replace(/\s+$/, "").split("\n");
    let i = lines.findIndex((l) => /^events:\s*(\[\s*\])?\s*(#.*)?$/.test(l));
    if (i < 0) {
      if (lines.some((l) => /^events:/.test(l))) {
        throw new Error("`events:` is written inline; rewrite it as a block list first.");
      }
      lines.push("events:");
      i = lines.length - 1;
    } else {
      lines[i] = "events:";
    }
    // The block ends at the next line that starts a top-level key.
    let end = i + 1;
    while (end < lines.length && !/^[A-Za-z_]/.test(lines[end])) end++;
    // Keep trailing comments/blank lines of the next section with it.
    while (end > i + 1 && /^\s*(#.*)?$/.test(lines[end - 1])) end--;
    lines.splice(end, 0, snippet);
    ta.value = lines.join("\n") + "\n";
    ta.dispatchEvent(new Event("input"));
  },
};

/* ------------------------------------------------------------------------------------------
 * 4c. Run monitor: run list, live progress (SSE with a polling fallback), cancel
 * ---------------------------------------------------------------------------------------- */

const Monitor = {
  runs: [],
  current: null, // the selected run's latest state
  source: null, // EventSource of the selected run
  pollTimer: null,
  listTimer: null,

  init() {
    $("#runs-refresh").addEventListener("click", () => this.refreshList());
    $("#run-cancel").addEventListener("click", () => this.cancel());
    $("#run-open-results").addEventListener("click", () => this.openResult());
    viewHooks.monitor = () => this.refreshList();
    // Refresh the list every 3 s while the monitor is visible (cheap: one GET).
    this.listTimer = setInterval(() => {
      if (app.view === "monitor" && !document.hidden) this.refreshList();
    }, 3000);
  },

  async refreshList() {
    try {
      this.runs = asRows(await api("/api/runs"));
    } catch (err) {
      show($("#run-list"), el("li", { className: "empty" }, `Could not list runs: ${err.message}`));
      return;
    }
    // Newest first when the server gives creation times; otherwise keep its order.
    const t = (r) => r.created_at || r.created || r.submitted_at || "";
    if (this.runs.some((r) => t(r))) this.runs.sort((a, b) => String(t(b)).localeCompare(t(a)));
    this.renderList();
    Results.updateRunOptions(this.runs);
  },

  renderList() {
    show(
      $("#run-list"),
      this.runs.length === 0
        ? el("li", { className: "empty" }, "No runs yet.")
        : this.runs.map((r) =>
            el(
              "li",
              {},
              el(
                "button",
                {
                  type: "button",
                  "aria-current": String(r.id === app.runId),
                  dataset: { run: r.id },
                  onclick: () => this.select(r.id),
                },
                el("span", {}, runLabel(r)),
                el(
                  "span",
                  { className: "run-sub" },
                  `${r.status}${isNum(r.progress) ? ` · ${Math.round(r.progress * 100)} %` : ""}`
                )
              )
            )
          )
    );
  },

  /** Show a run: fetch its state, then follow it live until it ends. */
  async select(id, { updateHash = true } = {}) {
    this.stopFollowing();
    app.runId = id;
    if (updateHash) writeHash(app.view, id);
    this.renderList();
    $("#run-title").textContent = `Run ${id}`;
    setStatus($("#run-status"), "Loading…");
    $("#run-status").dataset.status = ""; // never the previous run's state
    $("#run-progress").setAttribute("aria-valuenow", "0");
    try {
      this.render(await api(`/api/runs/${encodeURIComponent(id)}`));
    } catch (err) {
      this.current = null;
      setStatus($("#run-status"), `Could not load run ${id}: ${err.message}`, "bad");
      $("#run-cancel").disabled = true;
      $("#run-open-results").disabled = true;
      return;
    }
    if (!TERMINAL.has(this.current.status)) this.follow(id);
  },

  /** Update the progress bar, status line, buttons and details from a run object. */
  render(run) {
    if (run.id && run.id !== app.runId) return; // an answer about a run no longer selected
    this.current = { ...(this.current && this.current.id === run.id ? this.current : {}), ...run };
    const r = this.current;
    if (r.params) $("#run-title").textContent = `${runLabel(r)} (run ${r.id})`;
    const pct = Math.round((isNum(r.progress) ? r.progress : 0) * 100);
    const bar = $("#run-progress");
    bar.setAttribute("aria-valuenow", String(pct));
    bar.className = `progress ${r.status || ""}`;
    $("#run-progress-fill").style.width = `${pct}%`;
    setStatus(
      $("#run-status"),
      `Status: ${r.status} · ${pct} %${isNum(r.elapsed_s) ? ` · ${fmtSeconds(r.elapsed_s)} elapsed` : ""}`,
      r.status === "complete" ? "ok" : r.status === "failed" ? "bad" : ""
    );
    $("#run-status").dataset.status = r.status || "";
    const errNode = $("#run-error");
    errNode.hidden = !r.error;
    errNode.textContent = r.error ? `Error: ${formatDetail(r.error)}` : "";
    $("#run-cancel").disabled = TERMINAL.has(r.status);
    $("#run-open-results").disabled = r.status !== "complete";
    show(
      $("#run-meta"),
      Object.entries(r)
        .filter(([, v]) => v === null || typeof v !== "object")
        .flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, k === "elapsed_s" ? fmtSeconds(v) : fmt(v, k))])
    );
    // Keep the list entry in step without waiting for the next refresh.
    const item = this.runs.find((x) => x.id === r.id);
    if (item) {
      Object.assign(item, { status: r.status, progress: r.progress, elapsed_s: r.elapsed_s });
      this.renderList();
    }
  },

  /** Follow a run with server-sent events; fall back to polling if the stream fails. */
  follow(id) {
    if (!window.EventSource) {
      this.poll(id);
      return;
    }
    let done = false;
    const src = new EventSource(`/api/runs/${encodeURIComponent(id)}/events`);
    this.source = src;
    const onProgress = (ev) => {
      try {
        this.render({ id, ...JSON.parse(ev.data) });
      } catch {
        /* a malformed event: the final GET will correct the display */
      }
    };
    src.addEventListener("progress", onProgress);
    src.addEventListener("message", onProgress); // servers that send unnamed events
    src.addEventListener("done", async () => {
      done = true;
      src.close();
      await this.finish(id);
    });
    src.onerror = () => {
      src.close();
      if (this.source === src) this.source = null;
      // A stream closed after `done` is normal; otherwise poll instead.
      if (!done && app.runId === id) this.poll(id);
    };
  },

  /** Poll GET /api/runs/{id} every second until the run ends. */
  poll(id) {
    clearTimeout(this.pollTimer);
    const tick = async () => {
      if (app.runId !== id) return;
      try {
        const run = await api(`/api/runs/${encodeURIComponent(id)}`);
        this.render(run);
        if (TERMINAL.has(run.status)) {
          this.refreshList();
          return;
        }
      } catch {
        /* transient error: try again */
      }
      this.pollTimer = setTimeout(tick, 1000);
    };
    this.pollTimer = setTimeout(tick, 1000);
  },

  async finish(id) {
    try {
      this.render(await api(`/api/runs/${encodeURIComponent(id)}`));
    } catch {
      /* the list refresh below will still show the final state */
    }
    if (this.current && !TERMINAL.has(this.current.status)) this.poll(id);
    this.refreshList();
  },

  stopFollowing() {
    if (this.source) this.source.close();
    this.source = null;
    clearTimeout(this.pollTimer);
  },

  async cancel() {
    const id = app.runId;
    if (!id) return;
    $("#run-cancel").disabled = true;
    try {
      const r = await api(`/api/runs/${encodeURIComponent(id)}/cancel`, { method: "POST" });
      if (r && typeof r === "object") this.render({ id, ...r });
      // The answer may already say "cancelled"; otherwise the stream will report it.
      if (!r || !TERMINAL.has(r.status)) setStatus($("#run-status"), "Cancellation requested…");
    } catch (err) {
      setStatus($("#run-status"), `Could not cancel: ${err.message}`, "bad");
      $("#run-cancel").disabled = false;
    }
  },

  openResult() {
    const kind = this.current && this.current.kind;
    if (kind === "evaluate" || kind === "optimize") {
      selectView("plans");
      Plans.showRunResult(this.current);
    } else {
      selectView("results");
    }
  },
};

/* ------------------------------------------------------------------------------------------
 * 4d. Results: fan charts (P5–P95 band, P50 line) and the summary table
 * ---------------------------------------------------------------------------------------- */

const Results = {
  loadedRun: null,
  summary: [],
  chosen: new Set(),

  init() {
    $("#results-compare").addEventListener("change", (ev) => this.compare(ev.target.value));
    $("#results-show-all").addEventListener("change", () => {
      if (this.loadedRun) {
        const id = this.loadedRun;
        this.loadedRun = null;
        this.load(id);
      }
    });
    $("#results-run").addEventListener("change", (ev) => {
      app.runId = ev.target.value || null;
      writeHash("results", app.runId);
      this.load(app.runId);
    });
    viewHooks.results = () => {
      if (!this.runOptionsLoaded) Monitor.refreshList();
      if (app.runId && app.runId !== this.loadedRun) this.load(app.runId);
      else if (!app.runId) setStatus($("#results-status"), "Pick a complete run.");
    };
  },

  /** Simulation runs (not plan runs) that completed, for the run picker. */
  updateRunOptions(runs) {
    this.runOptionsLoaded = true;
    const sel = $("#results-run");
    const ok = runs.filter(
      (r) => r.status === "complete" && !["evaluate", "optimize"].includes(r.kind)
    );
    const ids = ok.map((r) => r.id);
    if (app.runId && !ids.includes(app.runId)) ids.unshift(app.runId);
    show(
      sel,
      el("option", { value: "" }, ids.length ? "— choose a run —" : "no complete runs yet"),
      ids.map((id) => {
        const r = runs.find((x) => x.id === id) || {};
        return el("option", { value: id }, r.id ? runLabel(r) : String(id).slice(0, 8));
      })
    );
    sel.value = app.runId && ids.includes(app.runId) ? app.runId : "";
    this.completeRuns = ok;
    this.updateCompareOptions();
  },

  async load(id) {
    if (!id) return;
    this.loadedRun = id;
    const status = $("#results-status");
    setStatus(status, `Loading results of run ${id}…`);
    show($("#results-charts"));
    show($("#results-summary"));
    $("#results-run").value = id;
    let run;
    try {
      run = await api(`/api/runs/${encodeURIComponent(id)}`);
      if (run.status !== "complete") {
        setStatus(status, `Run ${id} is ${run.status}; results appear when it is complete.`);
        this.loadedRun = null;
        return;
      }
      this.allSummary = asRows(await api(`/api/runs/${encodeURIComponent(id)}/summary`));
      this.touched = asRows(await api(`/api/runs/${encodeURIComponent(id)}/summary?touched=true`));
      this.summary = $("#results-show-all").checked ? this.allSummary : this.touched;
      this.run = run;
    } catch (err) {
      this.loadedRun = null;
      setStatus(status, `Could not load results: ${err.message}`, "bad");
      return;
    }
    if (this.loadedRun !== id) return;
    const hidden = this.allSummary.length - this.touched.length;
    $("#results-hidden").textContent = hidden
      ? `${hidden} of ${this.allSummary.length} minerals are not moved by this scenario (no shortfall, price unchanged) and are hidden.`
      : "";
    show(
      $("#results-summary"),
      table(this.summary, { caption: `${runLabel(run)}: per mineral, each sample's worst year` })
    );
    this.updateCompareOptions();

    // Default chart selection: up to six minerals with the largest mean shortfall, only
    // those with any shortfall (or the first two when none has).
    const ranked = [...this.summary].sort(
      (a, b) => (b.shortfall_mean || 0) - (a.shortfall_mean || 0)
    );
    const hit = ranked.filter((r) => (r.shortfall_mean || 0) > 0 || (r.shortfall_p95 || 0) > 0);
    this.chosen = new Set((hit.length ? hit : ranked).slice(0, hit.length ? 6 : 2).map((r) => r.mineral));
    this.renderChecks();
    await this.drawCharts();
    // AI hardware output at risk: the central allocation rule with its bounds (decision 0033),
    // the figure critmin.analysis.ai_at_risk gives the CLI and the brief.
    let ai = null;
    try {
      ai = await api(`/api/runs/${encodeURIComponent(id)}/ai`);
    } catch (_err) {
      ai = null; // a run made before the allocation rules: no AI figure
    }
    const p1 = (x) => `${(100 * x).toFixed(1)} %`;
    const aiText =
      ai && isNum(ai.central) && isNum(ai.low) && isNum(ai.high)
        ? ` AI hardware output at risk in the worst year: ${p1(ai.central)} central (${p1(ai.low)} if AI buyers are served first, ${p1(ai.high)} if every use is short alike).`
        : "";
    setStatus(status, `${runLabel(run)}: ${this.touched.length} mineral${this.touched.length === 1 ? "" : "s"} moved.${aiText}`, "ok");
  },

  /** The other complete simulation runs, for the side-by-side comparison. */
  updateCompareOptions() {
    const sel = $("#results-compare");
    const current = this.loadedRun || $("#results-run").value;
    const others = (this.completeRuns || []).filter((r) => r.id !== current);
    const keep = sel.value;
    show(
      sel,
      el("option", { value: "" }, others.length ? "— none —" : "no other complete run"),
      others.map((r) => el("option", { value: r.id }, runLabel(r)))
    );
    if (others.some((r) => r.id === keep)) sel.value = keep;
  },

  /** Two runs side by side: per mineral moved by either, mean and P95 shortfall, peak price. */
  async compare(otherId) {
    const box = $("#results-compare-table");
    if (!otherId || !this.loadedRun) {
      show(box);
      return;
    }
    let other;
    let otherRun;
    try {
      otherRun = await api(`/api/runs/${encodeURIComponent(otherId)}`);
      other = asRows(await api(`/api/runs/${encodeURIComponent(otherId)}/summary?touched=true`));
    } catch (err) {
      show(box, el("p", { className: "error" }, `Could not load run ${otherId}: ${err.message}`));
      return;
    }
    const a = new Map(this.touched.map((r) => [r.mineral, r]));
    const b = new Map(other.map((r) => [r.mineral, r]));
    const minerals = [...new Set([...a.keys(), ...b.keys()])];
    const pct = (r, k) => (r && isNum(r[k]) ? `${(100 * r[k]).toFixed(1)} %` : "—");
    const rows = minerals
      .map((m) => ({ m, ra: a.get(m), rb: b.get(m) }))
      .sort((x, y) => Math.max(y.ra?.shortfall_mean || 0, y.rb?.shortfall_mean || 0) -
                      Math.max(x.ra?.shortfall_mean || 0, x.rb?.shortfall_mean || 0));
    const nameA = runLabel(this.run || { id: this.loadedRun });
    const nameB = runLabel(otherRun);
    show(
      box,
      el(
        "table",
        { id: "results-compare-grid" },
        el("caption", {}, "Shortfall in each sample's worst year, % of the bloc's demand (— = not moved)"),
        el(
          "thead",
          {},
          el("tr", { className: "group-head" }, el("th", { rowspan: 2, scope: "col" }, "mineral"),
            el("th", { colspan: 2, scope: "colgroup" }, nameA),
            el("th", { colspan: 2, scope: "colgroup" }, nameB)),
          el("tr", {}, ["mean", "P95", "mean", "P95"].map((h) => el("th", { scope: "col" }, h)))
        ),
        el(
          "tbody",
          {},
          rows.map(({ m, ra, rb }) =>
            el("tr", { dataset: { mineral: m } }, el("th", { scope: "row" }, m),
              el("td", { className: "num" }, pct(ra, "shortfall_mean")),
              el("td", { className: "num" }, pct(ra, "shortfall_p95")),
              el("td", { className: "num" }, pct(rb, "shortfall_mean")),
              el("td", { className: "num" }, pct(rb, "shortfall_p95")))
          )
        )
      )
    );
  },

  renderChecks() {
    const box = $("#results-minerals");
    box.hidden = this.summary.length === 0;
    show(
      $("#results-mineral-checks"),
      this.summary.map((r) => {
        const cid = `res-m-${r.mineral}`;
        return el(
          "label",
          { for: cid },
          el("input", {
            type: "checkbox",
            id: cid,
            checked: this.chosen.has(r.mineral),
            onchange: (ev) => {
              if (ev.target.checked) this.chosen.add(r.mineral);
              else this.chosen.delete(r.mineral);
              this.drawCharts();
            },
          }),
          ` ${r.mineral}`
        );
      })
    );
  },

  async drawCharts() {
    const id = this.loadedRun;
    const minerals = [...this.chosen];
    const box = $("#results-charts");
    if (!minerals.length) {
      show(box, el("p", { className: "empty" }, "No mineral selected."));
      return;
    }
    const q = minerals.map((m) => `mineral=${encodeURIComponent(m)}`).join("&");
    let rows;
    try {
      rows = asRows(await api(`/api/runs/${encodeURIComponent(id)}/by-year?${q}`));
    } catch (err) {
      show(box, el("p", { className: "error" }, `Could not load yearly results: ${err.message}`));
      return;
    }
    if (id !== this.loadedRun) return;
    show(box);
    for (const m of minerals) {
      const mRows = rows.filter((r) => r.mineral === m).sort((a, b) => a.year - b.year);
      const card = el("div", { className: "chart-card" }, el("h3", {}, m));
      box.append(card);
      for (const [metric, label] of [
        ["shortfall", "shortfall"],
        ["price_index", "price index"],
      ]) {
        const node = el("div", {
          className: "chart",
          role: "img",
          "aria-label": `${m} ${label} by year, P5–P95 band and median`,
        });
        card.append(node);
        this.fan(node, mRows, metric, label);
      }
    }
  },

  /** A fan chart: the P5–P95 band filled between two lines, with the P50 line on top. */
  fan(node, rows, metric, label) {
    const x = rows.map((r) => r.year);
    // Shortfall as % of the bloc's demand, as in the tables and the brief.
    const k = metric === "shortfall" ? 100 : 1;
    const col = (p) => rows.map((r) => (isNum(r[`${metric}_${p}`]) ? k * r[`${metric}_${p}`] : null));
    const color = metric === "shortfall" ? "31,95,191" : "191,95,31";
    plot(
      node,
      [
        { x, y: col("p5"), name: "P5", mode: "lines", line: { width: 0 }, showlegend: false,
          hovertemplate: "P5 %{y:.3g}<extra></extra>" },
        { x, y: col("p95"), name: "P5–P95", mode: "lines", fill: "tonexty", line: { width: 0 },
          fillcolor: `rgba(${color},0.22)`, hovertemplate: "P95 %{y:.3g}<extra></extra>" },
        { x, y: col("p50"), name: "P50", mode: "lines+markers", line: { color: `rgb(${color})`, width: 2 },
          hovertemplate: "P50 %{y:.3g}<extra></extra>" },
      ],
      {
        title: { text: metric === "shortfall" ? "shortfall (% of the bloc's demand)" : "price index (1 = baseline)", font: { size: 13 } },
        xaxis: { dtick: 1, tickformat: "d" },
        yaxis: { rangemode: "tozero" },
        height: 260,
      }
    );
  },
};

/* ------------------------------------------------------------------------------------------
 * 4e. Plans: evaluate A (and B) side by side; optimise for the same budget
 * ---------------------------------------------------------------------------------------- */


/** Sum every `usd:` value in a plan's YAML (a client-side estimate of the plan's budget). */
function planTotalUsd(yaml) {
  let total = 0;
  for (const m of yaml.matchAll(/(?:^|[\s{,])usd:\s*([-+]?[0-9][0-9_.]*(?:[eE][-+]?\d+)?)/g)) {
    const v = Number(m[1].replace(/_/g, ""));
    if (Number.isFinite(v)) total += v;
  }
  return total;
}

/** Key columns of an evaluation's per-mineral table, in display order. */
const COMPARE_COLUMNS = [
  "cost_usd",
  "shortfall_mean_base",
  "shortfall_mean_plan",
  "unmet_cost_usd_base",
  "unmet_cost_usd_plan",
  "status",
];

/** The per-mineral rows of an evaluate result ({"table": [...], "items": [...]} or a list). */
function evalRows(res) {
  if (res && Array.isArray(res.table)) return res.table;
  return asRows(res);
}

const Plans = {
  busy: false,

  init() {
    // Plan A starts as the example plan shipped with critmin (the one the brief compares).
    api("/api/plans/example")
      .then((ex) => {
        if (!$("#plan-a").value.trim()) {
          $("#plan-a").value = ex.yaml;
          $("#plan-a").dispatchEvent(new Event("input"));
        }
      })
      .catch(() => {});
    $("#plan-scenario").addEventListener("change", () => this.showScenario());
    for (const k of ["a", "b"]) {
      const ta = $(`#plan-${k}`);
      const upd = () => {
        const t = planTotalUsd(ta.value);
        $(`#plan-${k}-total`).textContent = ta.value.trim() ? `Total: ${fmtUsd(t)}` : "";
      };
      ta.addEventListener("input", upd);
      upd();
    }
    $("#plans-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.evaluate();
    });
    $("#plans-optimize").addEventListener("click", () => this.optimize());
  },

  showScenario() {
    const key = $("#plan-scenario").value;
    $("#plan-scenario-hint").textContent =
      key === "builder"
        ? "Plans are scored against the text in the scenario builder."
        : "Plans are scored against this scenario, not the builder's text.";
  },

  /** The scenario fields of a request body for the chosen scenario (none: the standard one). */
  async scenarioBody() {
    const key = $("#plan-scenario").value || "library:standard-2026";
    const std = Library.shipped.find((s) => s.standard);
    if (std && key === `library:${std.name}`) return {}; // the server's default
    if (key.startsWith("saved:")) return { scenario_id: key.slice(6) };
    return { scenario_yaml: await Library.text(key) };
  },

  /** The chosen scenario's name, for the status and the table captions. */
  scenarioName() {
    const sel = $("#plan-scenario");
    const o = sel.options[sel.selectedIndex];
    return o ? o.textContent : "the standard risk scenario";
  },

  setBusy(b) {
    this.busy = b;
    $("#plans-evaluate").disabled = b;
    $("#plans-optimize").disabled = b;
  },

  /** Poll a run every second until it ends; report progress through `onProgress`. */
  async waitForRun(id, onProgress) {
    for (;;) {
      const run = await api(`/api/runs/${encodeURIComponent(id)}`);
      onProgress(run);
      if (TERMINAL.has(run.status)) return run;
      await sleep(1000);
    }
  },

  async evaluate() {
    const status = $("#plans-status");
    const samples = Number($("#plan-samples").value) || 100;
    const scenario = await this.scenarioBody();
    const plans = [
      ["A", $("#plan-a").value],
      ["B", $("#plan-b").value],
    ].filter(([, y]) => y.trim());
    if (!plans.length) {
      setStatus(status, "Write at least one plan.", "bad");
      return;
    }
    this.setBusy(true);
    show($("#plans-comparison"));
    try {
      setStatus(status, `Submitting ${plans.length} evaluation${plans.length > 1 ? "s" : ""}…`);
      const runs = await Promise.all(
        plans.map(([, plan_yaml]) =>
          api("/api/plans/evaluate", {
            method: "POST",
            body: { plan_yaml, ...scenario, samples },
          })
        )
      );
      const progress = {};
      const report = () =>
        setStatus(
          status,
          "Evaluating: " +
            plans.map(([k], i) => `plan ${k} ${progress[runs[i].id] || "queued"}`).join(", ")
        );
      const finals = await Promise.all(
        runs.map((r) =>
          this.waitForRun(r.id, (run) => {
            progress[r.id] = `${run.status} ${Math.round((run.progress || 0) * 100)} %`;
            report();
          })
        )
      );
      const failed = finals.filter((r) => r.status !== "complete");
      if (failed.length) {
        throw new Error(failed.map((r) => `run ${r.id} ${r.status}: ${formatDetail(r.error)}`).join("; "));
      }
      const results = await Promise.all(
        runs.map((r) => api(`/api/runs/${encodeURIComponent(r.id)}/result`))
      );
      this.showEvaluations(plans.map(([k], i) => [`Plan ${k}`, results[i]]));
      if (plans.length === 2) {
        // Item by item (the brief's table: POST /api/plans/items) and on every objective.
        const items = await api("/api/plans/items", {
          method: "POST", body: { plan_a_yaml: plans[0][1], plan_b_yaml: plans[1][1] },
        });
        const names = results.map((r, i) => `plan ${plans[i][0]}${r.plan ? `: ${r.plan}` : ""}`);
        $("#plans-comparison").append(
          this.itemsTable(asRows(items), names, "plans-items"),
          this.objectivesTable(
            results.map((r, i) => [names[i], asRows(r.consequences || []).map((c) => ({ ...c, plan_out_of_sample: c.plan, base_out_of_sample: c.base }))]),
            "plans-objectives", "both on the same samples"
          )
        );
      }
      setStatus(status, `Evaluation complete (against ${this.scenarioName()}).`, "ok");
    } catch (err) {
      setStatus(status, `Evaluation failed: ${err.message}`, "bad");
    } finally {
      this.setBusy(false);
    }
  },

  /**
   * Evaluation results side by side ([[label, result], ...]): the key columns of each plan's
   * per-mineral table in one comparison, then each plan's full tables (per mineral and per
   * item) in a collapsible section.
   */
  showEvaluations(groups) {
    const parts = [this.comparisonTable(groups.map(([label, res]) => [label, evalRows(res)]))];
    for (const [label, res] of groups) {
      const lists = res && !Array.isArray(res)
        ? Object.entries(res).filter(([, v]) => Array.isArray(v))
        : [["table", asRows(res)]];
      parts.push(
        el(
          "details",
          {},
          el("summary", {}, `${label}: full results${res && res.plan ? ` (${res.plan})` : ""}`),
          lists.map(([k, v]) => el("div", { className: "table-wrap" }, table(v, { caption: k })))
        )
      );
    }
    show($("#plans-comparison"), parts);
  },

  /**
   * Two plans item by item: one row per lever, mineral and country, USD in each
   * (rows of critmin.analysis.plans.plan_items: usd_a, usd_b), largest first.
   */
  itemsTable(rows, names, id) {
    const sorted = [...rows].sort((x, y) => Math.max(y.usd_a, y.usd_b) - Math.max(x.usd_a, x.usd_b));
    const diff = (r) => r.usd_b - r.usd_a;
    return el("div", { className: "table-wrap" }, el("table", { id },
      el("caption", {}, `The two plans item by item (USD): ${names[0]} against ${names[1]}`),
      el("thead", {}, el("tr", {}, ["lever", "mineral", "country", names[0], names[1], "difference"].map(
        (c) => el("th", { scope: "col" }, c)))),
      el("tbody", {}, sorted.map((r) => el("tr", { dataset: { lever: r.lever, mineral: r.mineral } },
        el("td", {}, String(r.lever).replace(/_/g, " ")), el("td", {}, String(r.mineral).replace(/_/g, " ")),
        el("td", {}, r.country || "—"),
        [r.usd_a, r.usd_b, diff(r)].map((v) => el("td", { className: "num" }, v ? fmtUsd(v) : "0")))))
    ));  // prettier-ignore
  },

  /**
   * Plans on every objective: one row per objective, without a plan and with each plan,
   * on fresh samples (and in sample when given). `groups`: [[name, rows of the result's
   * objectives/consequences], ...]; numbers as the API gives them.
   */
  objectivesTable(groups, id, note) {
    // As `critmin plan` names them; the AI rows by allocation rule (decision 0033).
    const names = { ai_output_usd: "AI hardware output at risk (central rule)",
      ai_output_usd_priority: "AI hardware output at risk, AI first (lower bound)",
      ai_output_usd_pro_rata: "AI hardware output at risk, pro rata (upper bound)",
      economic_loss_usd: "economic loss", unmet_cost_usd: "unmet-demand cost",
      co2e_t: "CO2e of added supply" };  // prettier-ignore
    const objectives = [...new Set(groups.flatMap(([, rows]) => rows.map((r) => r.objective)))];
    const val = (v, unit) => (!isNum(v) ? "—" : unit === "USD" ? fmtUsd(v) : `${fmt(v)} ${unit === "t CO2e" ? "t" : unit}`);
    const inSample = groups.some(([, rows]) => rows.some((r) => isNum(r.plan_in_sample)));
    const head = ["objective", "without a plan", ...groups.map(([n]) => n)];
    const body = [];
    for (const o of objectives) {
      const first = groups[0][1].find((r) => r.objective === o) || {};
      const cells = (k, b) => [val(first[b], first.unit), ...groups.map(([, rows]) => {
        const r = rows.find((x) => x.objective === o) || {};
        return val(r[k], r.unit || first.unit);
      })];
      body.push(el("tr", { dataset: { objective: o } }, el("th", { scope: "row" }, `${names[o] || o}${inSample ? ", fresh samples" : ""}`),
        cells("plan_out_of_sample", "base_out_of_sample").map((c) => el("td", { className: "num" }, c))));  // prettier-ignore
      if (inSample) {
        body.push(el("tr", { dataset: { objective: `${o}:in_sample` } }, el("th", { scope: "row" }, `${names[o] || o}, in sample`),
          cells("plan_in_sample", "base_in_sample").map((c) => el("td", { className: "num" }, c))));  // prettier-ignore
      }
    }
    return el("div", { className: "table-wrap" }, el("table", { id },
      el("caption", {}, `Every objective, lower is better (${note}; — = insufficient data)`),
      el("thead", {}, el("tr", {}, head.map((c) => el("th", { scope: "col" }, c)))),
      el("tbody", {}, body)));  // prettier-ignore
  },

  /** One table, one row per mineral, a column group per plan: [[label, rows], ...]. */
  comparisonTable(groups) {
    const minerals = [];
    for (const [, rows] of groups) {
      for (const r of rows) if (!minerals.includes(r.mineral)) minerals.push(r.mineral);
    }
    // The columns that matter for a comparison when present; otherwise every column.
    const cols = groups.map(([, rows]) => {
      const all = columnsOf(rows).filter((c) => c !== "mineral");
      const key = COMPARE_COLUMNS.filter((c) => all.includes(c));
      return key.length ? key : all;
    });
    return el(
      "table",
      { id: "plans-comparison-table" },
      el("caption", {}, "Plan comparison (base = without the plan)"),
      el(
        "thead",
        {},
        el(
          "tr",
          { className: "group-head" },
          el("th", { scope: "col", rowspan: 2 }, "mineral"),
          groups.map(([label], i) => el("th", { scope: "colgroup", colspan: cols[i].length || 1 }, label))
        ),
        el("tr", {}, cols.flatMap((cs) => cs.map((c) => el("th", { scope: "col" }, c))))
      ),
      el(
        "tbody",
        {},
        minerals.map((m) =>
          el(
            "tr",
            { dataset: { mineral: m ?? "" } },
            el("th", { scope: "row" }, fmt(m)),
            groups.flatMap(([, rows], i) => {
              const r = rows.find((x) => x.mineral === m) || {};
              return cols[i].map((c) => el("td", { className: isNum(r[c]) ? "num" : "" }, fmt(r[c], c)));
            })
          )
        )
      )
    );
  },

  async optimize() {
    const status = $("#plans-status");
    const planA = $("#plan-a").value;
    const budgetInput = $("#plan-budget").value.trim();
    const budget = budgetInput ? Number(budgetInput) : planTotalUsd(planA);
    if (!(budget > 0)) {
      setStatus(status, "Give a budget, or a plan A with usd amounts.", "bad");
      return;
    }
    const scenario = await this.scenarioBody();
    if (scenario.scenario_id) scenario.scenario_yaml = await Library.text(`saved:${scenario.scenario_id}`);
    delete scenario.scenario_id; // the optimiser takes the text
    const body = {
      budget, samples: Number($("#plan-samples").value) || 100, ai_rule: $("#plan-ai-rule").value, ...scenario,
    };
    if (planA.trim()) body.compare_plan_yaml = planA;
    this.setBusy(true);
    show($("#plans-optimize-result"));
    try {
      setStatus(status, `Optimising a budget of ${fmtUsd(budget)}…`);
      const run = await api("/api/plans/optimize", { method: "POST", body });
      const fin = await this.waitForRun(run.id, (r) =>
        setStatus(status, `Optimising ${fmtUsd(budget)}: ${r.status} ${Math.round((r.progress || 0) * 100)} %`)
      );
      if (fin.status !== "complete") throw new Error(`run ${fin.status}: ${formatDetail(fin.error)}`);
      await this.showRunResult(fin);
      setStatus(status, `Optimisation complete (against ${this.scenarioName()}).`, "ok");
    } catch (err) {
      setStatus(status, `Optimisation failed: ${err.message}`, "bad");
    } finally {
      this.setBusy(false);
    }
  },

  /** Render a finished plan run's result (used by optimise and by the monitor's button). */
  async showRunResult(run) {
    const res = await api(`/api/runs/${encodeURIComponent(run.id)}/result`);
    if (run.kind === "evaluate" || Array.isArray(res)) {
      this.showEvaluations([[`Run ${String(run.id).slice(0, 8)}`, res]]);
      return;
    }
    // Optimise: key facts for scalars, then allocation and comparison first, other lists after.
    const parts = [el("h3", {}, "Optimal allocation")];
    const scalars = Object.entries(res || {}).filter(([, v]) => v === null || typeof v !== "object");
    if (scalars.length) {
      parts.push(
        el("dl", { className: "meta" }, scalars.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, fmt(v, k))]))
      );
    }
    // The two plans item by item and on every objective (the brief's tables), when a plan
    // was compared.
    if (res && Array.isArray(res.items) && res.items.length) {
      const names = [(res.items_plans && res.items_plans[0]) || "compared plan", "optimised"];
      parts.push(el("h3", {}, "The two plans compared"), this.itemsTable(res.items, names, "optimize-items-table"));
      const objs = asRows(res.objectives || []);
      const plans = [...new Set(objs.map((r) => r.plan))];
      // The compared plan first, as in the items table.
      plans.sort((a, b) => (a === "optimised") - (b === "optimised"));
      parts.push(this.objectivesTable(plans.map((p) => [p, objs.filter((r) => r.plan === p)]),
        "optimize-objectives-table", "simulator; fresh samples = seed + 1"));  // prettier-ignore
    }
    const order = (k) => ({ allocation: 0, comparison: 1 })[k] ?? 2;
    const lists = Object.entries(res || {})
      .filter(([k, v]) => Array.isArray(v) && !["items", "items_plans"].includes(k))
      .sort((a, b) => order(a[0]) - order(b[0]));
    for (const [k, v] of lists) {
      // Nothing funded is an answer: say why instead of drawing an empty table (decision 0033).
      const body =
        k === "allocation" && v.length === 0
          ? el("p", { className: "note" }, "No lever is funded: no option lowers the objective in this scenario. With the default objective, AI hardware output at risk is zero under the central allocation rule (AI buyers outbid other uses for their small share of demand); choose another objective, or the pro-rata bound (ai_rule), to see what money would protect.")
          : table(v, { caption: k });
      const t = el("div", { className: "table-wrap", id: `optimize-${k}` }, body);
      // The allocation and the comparison are the answer; the rest is detail on demand.
      parts.push(order(k) < 2 ? t : el("details", {}, el("summary", {}, `${k} (${v.length} rows)`), t));
    }
    show($("#plans-optimize-result"), parts);
  },
};

/* ------------------------------------------------------------------------------------------
 * Company view: a BOM and a production plan → units a library scenario leaves unbuilt
 * (POST /api/company/at-risk, the same function as `critmin demand --bom --plan --scenario`).
 * ---------------------------------------------------------------------------------------- */

const Company = {
  init() {
    $("#company-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.run();
    });
  },

  /** The form fields of the scenario chosen in the Plans view: a library scenario by name,
   * a saved one by id, or the builder's text. */
  scenario() {
    const key = $("#plan-scenario").value || "";
    if (key.startsWith("library:")) return { scenario: key.slice(8) };
    if (key.startsWith("saved:")) return { scenario_id: key.slice(6) };
    if (key === "builder") return { scenario_yaml: $("#scenario-yaml").value };
    return {};
  },

  async run() {
    const status = $("#company-status");
    const bom = $("#company-bom").files[0];
    const plan = $("#company-plan").files[0];
    if (!bom || !plan) {
      setStatus(status, "Choose both files: the BOM and the production plan.", "bad");
      return;
    }
    const form = new FormData();
    form.append("bom", bom, bom.name);
    form.append("plan", plan, plan.name);
    form.append("samples", $("#company-samples").value);
    for (const [k, v] of Object.entries(this.scenario())) form.append(k, v);
    const headers = { Accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    $("#company-run").disabled = true;
    setStatus(status, "Simulating…");
    try {
      const resp = await fetch("/api/company/at-risk", { method: "POST", headers, body: form });
      const data = await resp.json().catch(() => null);
      if (!resp.ok) throw new ApiError(resp.status, data && data.detail);
      const rows = data.products.map((r) => ({
        product: r.product,
        "binding input": r.binding_mineral || "none short",
        "units planned": r.units_planned,
        "units short (mean)": r.units_short_mean,
        P5: r.units_short_p5,
        P50: r.units_short_p50,
        P95: r.units_short_p95,
        "% of plan short": isNum(r.share_short_mean) ? 100 * r.share_short_mean : null,
        "inputs not simulated": r.not_simulated,
        years: r.years,
      }));
      show(
        $("#company-result"),
        table(rows, {
          caption: `Units that could not be built: ${data.scenario}, ${data.samples} samples`,
        })
      );
      setStatus(status, `Done: ${data.scenario}.`, "ok");
    } catch (e) {
      setStatus(status, `Could not compute: ${e.message}`, "bad");
    } finally {
      $("#company-run").disabled = false;
    }
  },
};

/* ------------------------------------------------------------------------------------------
 * 5. Start-up
 * ---------------------------------------------------------------------------------------- */

function start() {
  initTabs();
  initSettings();
  Builder.init();
  Monitor.init();
  Results.init();
  Plans.init();
  Company.init();
  Library.load().then(() => Plans.showScenario());
  loadHealth();
  Explorer.init();

  // Restore the view and run from the hash (#run=<id> survives a reload).
  const h = readHash();
  if (h.run) Monitor.select(h.run, { updateHash: false });
  selectView(h.view);
  Monitor.refreshList();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
