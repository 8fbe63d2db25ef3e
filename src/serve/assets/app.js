// docclass serve: the browser front end. Vanilla ES2020, no framework, no build step,
// nothing loaded from anywhere but this server.
//
// Safety rule: document text, ids, labels and terms are hostile input. Everything from the
// server reaches the page through el() / textContent / createTextNode; this file never
// uses innerHTML, so there is one rule to audit instead of many call sites.
"use strict";

// ---------------------------------------------------------------------------------------
// Small DOM and formatting helpers

const $ = (selector) => document.querySelector(selector);

/** Creates an element; strings among the children become text nodes, never markup. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") for (const [prop, v] of Object.entries(value)) node.style.setProperty(prop, v);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) {
  node.replaceChildren();
  return node;
}

const fmtScore = (p) => (typeof p === "number" ? p.toFixed(3) : "—");
const fmtSigned = (x) => (typeof x === "number" ? (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(2) : "—");
const fmtDelta = (x, digits) => (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(digits);
const fmtInt = (n) => (typeof n === "number" ? n.toLocaleString("en") : "—");

function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function fmtDate(rfc3339) {
  const d = new Date(rfc3339);
  return Number.isNaN(d.getTime()) ? String(rfc3339 ?? "—") : d.toLocaleString();
}

// One colour per label, by its place in the model's label list, so marks, chips and bars agree.
const PALETTE = ["#2563eb", "#c2410c", "#7c3aed", "#047857", "#be123c", "#0e7490", "#a16207", "#4d7c0f"];
function labelColor(label) {
  const i = state.labels.indexOf(label);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}

function labelChip(label, extraClass = "") {
  return el("span", { class: `chip ${extraClass}`.trim(), style: { "--c": labelColor(label) } }, label);
}

/** A score bar: filled to p, with a tick at the decision threshold when there is one. */
function scoreBar(p, threshold, assigned) {
  const bar = el("span", { class: assigned ? "bar on" : "bar", "aria-hidden": "true" });
  bar.append(el("span", { class: "fill", style: { width: `${Math.round((p || 0) * 100)}%` } }));
  if (typeof threshold === "number") {
    bar.append(el("span", { class: "tick", style: { left: `${threshold * 100}%` } }));
  }
  return bar;
}

// ---------------------------------------------------------------------------------------
// Talking to the server

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** JSON request; throws ApiError with the server's {"error"} text on a non-2xx answer. */
async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(`Cannot reach the docclass server (${e.message}). Is it still running?`, 0);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy page, a crash): fall through to a generic message.
  }
  if (!response.ok) {
    throw new ApiError((data && data.error) || `${method} ${path}: HTTP ${response.status}`, response.status);
  }
  return data;
}

/** Runs an async action from an event handler; any failure goes to the message bar. */
function run(action) {
  return Promise.resolve()
    .then(action)
    .catch((e) => showMessage(e.message || String(e)));
}

let messageTimer = null;
function showMessage(text, kind = "error") {
  $("#message-text").textContent = text;
  $("#message").className = `message ${kind}`;
  $("#message").hidden = false;
  // Errors stay until dismissed; a notice goes away by itself.
  clearTimeout(messageTimer);
  if (kind === "info") messageTimer = setTimeout(hideMessage, 8000);
}

function hideMessage() {
  $("#message").hidden = true;
}

// ---------------------------------------------------------------------------------------
// Application state

const state = {
  model: null, // GET /api/model
  labels: [],
  job: null, // batch id, created by the first upload
  jobVersion: null, // model version that classified the batch
  docs: [], // doc number -> record (sparse while uploads are in flight)
  corrected: {}, // doc number -> the labels the analyst saved
  sort: { key: "doc", dir: 1 },
  visible: [], // doc numbers in table order after filtering (for prev / next)
  rowLimit: 500, // rows drawn (see ROW_PAGE)
  openDoc: null, // doc number in the document view
  openDocData: null,
  lastFocus: null, // element to refocus when the document view closes
  retrainPolling: false,
  reportVersion: null, // model version the report frame shows
};

const upload = { total: 0, done: 0, failed: 0, bytesTotal: 0, bytesDone: 0, loading: new Map() };
const MAX_PARALLEL_UPLOADS = 4;
const uploadQueue = [];
let uploadsInFlight = 0;
let jobPromise = null;

// ---------------------------------------------------------------------------------------
// Tabs

function showView(name) {
  for (const tab of document.querySelectorAll(".tabs [role=tab]")) {
    const selected = tab.dataset.view === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(`#view-${tab.dataset.view}`).hidden = !selected;
  }
  if (name === "queue") run(loadQueue);
  if (name === "model") run(loadVersions);
  if (name === "report" && state.reportVersion !== state.model?.version) loadReport();
}

/** Arrow keys move between tabs, as in any tab list. */
function onTabKey(event) {
  const tabs = [...document.querySelectorAll(".tabs [role=tab]")];
  const i = tabs.indexOf(document.activeElement);
  if (i < 0 || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
  const next = tabs[(i + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
  next.focus();
  showView(next.dataset.view);
}

// ---------------------------------------------------------------------------------------
// Model: header, model card, data info

async function loadModel() {
  const model = await api("GET", "/api/model");
  const labelsChanged = JSON.stringify(model.labels) !== JSON.stringify(state.labels);
  state.model = model;
  state.labels = model.labels || [];
  $("#model-name").textContent = model.model;
  $("#model-version").textContent = String(model.version);
  $("#model-labels").textContent = `· ${state.labels.join(", ")}`;
  document.title = `docclass · ${model.model}`;
  renderModelCard(model);
  renderDataInfo(model.data);
  if (labelsChanged) {
    renderFilterOptions();
    renderTableHead();
    renderTable();
  }
  renderJobNote();
}

function threshold(label) {
  const i = state.labels.indexOf(label);
  const t = state.model?.thresholds;
  return Array.isArray(t) ? t[i] : t?.[label];
}

function fact(term, ...value) {
  return [el("dt", {}, term), el("dd", {}, ...value)];
}

function renderModelCard(model) {
  const cv = model.training?.cross_validated_metrics;
  const facts = [
    fact("Name", model.model),
    fact("Version", String(model.version)),
    fact("Labels", ...state.labels.map((l) => labelChip(l))),
    fact("Kind", model.multi_label ? "multi-label: any number of labels per document" : "single-label: one label per document"),
    fact("Thresholds", state.labels.map((l) => `${l} ${fmtScore(threshold(l))}`).join(" · ")),
  ];
  if (model.relevance) {
    facts.push(fact("Relevance gate", `documents below ${fmtScore(model.relevance.threshold)} get no label`));
  }
  if (model.training?.documents !== undefined) facts.push(fact("Trained on", `${fmtInt(model.training.documents)} documents`));
  if (cv) facts.push(fact("CV macro F1", fmtScore(cv.macro_f1)));
  clear($("#model-card")).append(...facts.flat());

  const grid = clear($("#model-terms"));
  for (const label of state.labels) {
    const terms = model.top_terms?.[label] || {};
    grid.append(
      el("div", { class: "term-block" },
        labelChip(label),
        el("p", { class: "terms up" }, "▲ ", (terms.positive || []).slice(0, 8).map((t) => t.term).join(", ") || "—"),
        el("p", { class: "terms down" }, "▼ ", (terms.negative || []).slice(0, 5).map((t) => t.term).join(", ") || "—")));
  }
}

function renderDataInfo(data) {
  data = data || {};
  clear($("#data-info")).append(
    ...fact("Labels file", el("code", {}, data.path || "none (corrections are kept in the data folder)")),
    ...fact("Documents", fmtInt(data.documents)),
    ...fact("Corrections", fmtInt(data.corrections)));
}

// ---------------------------------------------------------------------------------------
// Batches (jobs) and uploads

function setJob(job, version) {
  state.job = job;
  state.jobVersion = version;
  for (const format of ["csv", "jsonl"]) {
    const link = $(`#export-${format}`);
    link.href = `/api/jobs/${encodeURIComponent(job)}/export?format=${format}`;
    link.removeAttribute("aria-disabled");
  }
  $("#new-job").hidden = false;
  // Keep the batch in the address so that reloading the page shows it again.
  history.replaceState(null, "", `#job=${encodeURIComponent(job)}`);
  renderJobNote();
}

function ensureJob() {
  if (state.job) return Promise.resolve(state.job);
  // Several uploads start at once: they must share one batch, so share the request too.
  if (!jobPromise) {
    jobPromise = api("POST", "/api/jobs", {})
      .then((r) => {
        setJob(String(r.job), r.version ?? state.model?.version);
        return state.job;
      })
      .finally(() => {
        jobPromise = null;
      });
  }
  return jobPromise;
}

/** Forgets the current batch (it stays on the server) so the next upload starts a new one. */
function newJob() {
  if (uploadsInFlight || uploadQueue.length) {
    showMessage("Wait for the uploads to finish before starting a new batch.", "info");
    return;
  }
  state.job = null;
  state.docs = [];
  state.corrected = {};
  Object.assign(upload, { total: 0, done: 0, failed: 0, bytesTotal: 0, bytesDone: 0 });
  for (const format of ["csv", "jsonl"]) {
    $(`#export-${format}`).removeAttribute("href");
    $(`#export-${format}`).setAttribute("aria-disabled", "true");
  }
  $("#new-job").hidden = true;
  clear($("#upload-errors")).hidden = true;
  history.replaceState(null, "", location.pathname);
  renderProgress();
  renderTable();
  renderJobNote();
}

/** Reopens the batch named in the address (after a reload). */
async function restoreJob() {
  const match = /^#job=(.+)$/.exec(location.hash);
  if (!match) return;
  const job = decodeURIComponent(match[1]);
  let data;
  try {
    data = await api("GET", `/api/jobs/${encodeURIComponent(job)}`);
  } catch (e) {
    // 404: batches live only as long as the server process; anything else is a real error.
    if (e.status !== 404) throw e;
    history.replaceState(null, "", location.pathname);
    showMessage(`Batch ${job} is no longer on the server (${e.message}).`, "info");
    return;
  }
  setJob(String(data.job ?? job), data.version ?? null);
  state.docs = data.records.slice();
  state.corrected = Object.fromEntries(Object.entries(data.corrected || {}).map(([n, l]) => [Number(n), l]));
  Object.assign(upload, { total: 0, done: 0 });
  renderProgress(`${fmtInt(state.docs.length)} documents in batch ${job}`);
  renderTable();
}

// Hidden files (.DS_Store, ._resource forks, .git) are never documents an analyst meant to send.
const isHidden = (path) => path.split("/").some((part) => part.startsWith("."));

function enqueueUploads(items) {
  items = items.filter((item) => !isHidden(item.name));
  // Natural order (doc2 before doc10) so that numbering follows what the analyst sees in the folder.
  items.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  if (!items.length) return;
  upload.total += items.length;
  upload.bytesTotal += items.reduce((sum, item) => sum + item.file.size, 0);
  uploadQueue.push(...items);
  renderProgress();
  pumpUploads();
}

function pumpUploads() {
  while (uploadsInFlight < MAX_PARALLEL_UPLOADS && uploadQueue.length) {
    const item = uploadQueue.shift();
    uploadsInFlight += 1;
    uploadOne(item).finally(() => {
      uploadsInFlight -= 1;
      pumpUploads();
    });
  }
}

async function uploadOne(item) {
  try {
    const job = await ensureJob();
    const result = await postFile(job, item);
    result.records.forEach((record, i) => {
      state.docs[result.first + i] = record;
    });
  } catch (e) {
    upload.failed += 1;
    addUploadError(item.name, e.message);
    showMessage(`${item.name}: ${e.message}`);
  } finally {
    upload.loading.delete(item);
    upload.done += 1;
    upload.bytesDone += item.file.size;
    renderProgress();
    scheduleTable();
  }
}

/** One POST per file with the raw bytes; XMLHttpRequest because fetch has no upload progress. */
function postFile(job, item) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/jobs/${encodeURIComponent(job)}/files?name=${encodeURIComponent(item.name)}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.responseType = "json";
    xhr.upload.onprogress = (event) => {
      upload.loading.set(item, event.loaded);
      renderProgress();
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300 && xhr.response) resolve(xhr.response);
      else reject(new ApiError(xhr.response?.error || `HTTP ${xhr.status}`, xhr.status));
    };
    xhr.onerror = () => reject(new ApiError("the connection to the server failed", 0));
    xhr.send(item.file);
  });
}

function addUploadError(name, message) {
  const list = $("#upload-errors");
  list.hidden = false;
  list.append(el("li", {}, el("strong", {}, name), `: ${message}`));
}

function renderProgress(doneText) {
  const bar = $("#progress");
  const text = $("#progress-text");
  if (!upload.total) {
    bar.max = 1;
    bar.value = doneText ? 1 : 0;
    text.textContent = doneText || "No documents yet";
    return;
  }
  let bytes = upload.bytesDone;
  for (const loaded of upload.loading.values()) bytes += loaded;
  bar.max = upload.total;
  bar.value = upload.done;
  const finished = upload.done === upload.total;
  text.textContent =
    `${fmtInt(upload.done)} / ${fmtInt(upload.total)} files` +
    ` · ${fmtBytes(Math.min(bytes, upload.bytesTotal))} / ${fmtBytes(upload.bytesTotal)}` +
    (upload.failed ? ` · ${upload.failed} failed` : "") +
    (finished ? " · done" : "");
}

/** Turns a drop into [{file, name}], walking dropped folders; names are relative paths. */
function filesFromDrop(dataTransfer) {
  // Entries must be taken now: the DataTransfer is emptied once the event handler returns.
  const entries = [...dataTransfer.items]
    .filter((item) => item.kind === "file")
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
    .filter(Boolean);
  if (!entries.length) return Promise.resolve([...dataTransfer.files].map((file) => ({ file, name: file.name })));
  return (async () => {
    const out = [];
    for (const entry of entries) await walkEntry(entry, "", out);
    return out;
  })();
}

async function walkEntry(entry, prefix, out) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push({ file, name: prefix + entry.name });
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    // readEntries gives at most 100 entries a call: keep calling until it gives none.
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await walkEntry(child, `${prefix}${entry.name}/`, out);
    }
  }
}

function setUpDropZone() {
  const zone = $("#drop-zone");
  // A file dropped beside the zone would make the browser open it and leave the app.
  for (const type of ["dragover", "drop"]) window.addEventListener(type, (e) => e.preventDefault());
  zone.addEventListener("dragenter", () => zone.classList.add("over"));
  zone.addEventListener("dragover", (e) => {
    e.dataTransfer.dropEffect = "copy";
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", (e) => {
    if (!zone.contains(e.relatedTarget)) zone.classList.remove("over");
  });
  zone.addEventListener("drop", (e) => {
    zone.classList.remove("over");
    run(async () => enqueueUploads(await filesFromDrop(e.dataTransfer)));
  });

  $("#file-input").addEventListener("change", (e) => {
    enqueueUploads([...e.target.files].map((file) => ({ file, name: file.name })));
    e.target.value = ""; // so that choosing the same files again uploads them again
  });
  $("#folder-input").addEventListener("change", (e) => {
    enqueueUploads([...e.target.files].map((file) => ({ file, name: file.webkitRelativePath || file.name })));
    e.target.value = "";
  });
}

// ---------------------------------------------------------------------------------------
// Results table

function columns() {
  const cols = [
    { key: "doc", title: "#", num: true },
    { key: "id", title: "Document" },
    { key: "labels", title: "Labels" },
    ...state.labels.map((label) => ({ key: `score:${label}`, title: label, num: true, label })),
  ];
  if (state.model?.relevance) cols.push({ key: "relevance", title: "Relevance", num: true });
  cols.push({ key: "status", title: "Status" });
  return cols;
}

/** The labels that count for a document: the analyst's correction if any, else the model's. */
const effectiveLabels = (n) => state.corrected[n] ?? state.docs[n]?.labels ?? [];

function status(record) {
  if (record.error !== undefined) return "error";
  if (record.empty) return "empty";
  return "";
}

function sortValue(n, key) {
  const r = state.docs[n];
  if (key === "doc") return n;
  if (key === "id") return r.id;
  if (key === "labels") return effectiveLabels(n).join(", ");
  if (key === "relevance") return r.relevance ?? -1;
  if (key === "status") return status(r);
  return r.scores?.[key.slice("score:".length)] ?? -1;
}

function compareDocs(a, b) {
  const { key, dir } = state.sort;
  const x = sortValue(a, key);
  const y = sortValue(b, key);
  const order = typeof x === "string" ? x.localeCompare(y, undefined, { numeric: true }) : x - y;
  return order * dir || a - b;
}

function renderTableHead() {
  const row = clear($("#results thead tr"));
  for (const col of columns()) {
    const sorted = state.sort.key === col.key;
    const th = el("th", {
      scope: "col",
      class: col.num ? "num" : null,
      "aria-sort": sorted ? (state.sort.dir > 0 ? "ascending" : "descending") : "none",
    });
    th.append(el("button", { type: "button", class: "sort", dataset: { key: col.key } },
      col.title, el("span", { class: "arrow", "aria-hidden": "true" }, sorted ? (state.sort.dir > 0 ? "▲" : "▼") : "")));
    row.append(th);
  }
}

function onSortClick(event) {
  const button = event.target.closest("button.sort");
  if (!button) return;
  const key = button.dataset.key;
  // Scores are most useful highest first; names and numbers in their natural order.
  const firstDir = key.startsWith("score:") || key === "relevance" ? -1 : 1;
  state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : firstDir };
  renderTableHead();
  renderTable(true);
}

function renderFilterOptions() {
  const select = $("#filter-label");
  const current = select.value;
  clear(select).append(
    el("option", { value: "" }, "all documents"),
    ...state.labels.map((label) => el("option", { value: `label:${label}` }, `labelled ${label}`)),
    el("option", { value: "@none" }, "no label"),
    el("option", { value: "@empty" }, "empty"),
    el("option", { value: "@errors" }, "errors"));
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

function readFilters() {
  const min = parseFloat($("#filter-min-score").value);
  return {
    label: $("#filter-label").value,
    min: Number.isFinite(min) ? Math.min(Math.max(min, 0), 1) : 0,
    text: $("#filter-text").value.trim().toLowerCase(),
  };
}

function passes(n, f) {
  const r = state.docs[n];
  if (f.text && !r.id.toLowerCase().includes(f.text)) return false;
  const s = status(r);
  if (f.label === "@errors" && s !== "error") return false;
  if (f.label === "@empty" && s !== "empty") return false;
  if (f.label === "@none" && (s || effectiveLabels(n).length)) return false;
  let selected = null;
  if (f.label.startsWith("label:")) {
    selected = f.label.slice("label:".length);
    if (!effectiveLabels(n).includes(selected)) return false;
  }
  if (f.min > 0) {
    // The minimum applies to the chosen label's score, or to the document's best score.
    const scores = r.scores || {};
    const score = selected ? scores[selected] : Math.max(-1, ...Object.values(scores));
    if (!(score >= f.min)) return false;
  }
  return true;
}

let tableTimer = null;
/** Uploads finish many times a second; redraw the table at most every 150 ms meanwhile. */
function scheduleTable() {
  if (tableTimer) return;
  tableTimer = setTimeout(() => {
    tableTimer = null;
    renderTable();
  }, 150);
}

// Thousands of rows make every keystroke in a filter slow: draw the first ROW_PAGE and let the
// analyst ask for more. Filtering and sorting always cover all documents.
const ROW_PAGE = 500;

/** Redraws the rows; a new filter or sort order (resetPage) starts from the first page again. */
function renderTable(resetPage = false) {
  if (resetPage === true) state.rowLimit = ROW_PAGE;
  const filters = readFilters();
  const all = [];
  state.docs.forEach((_, n) => all.push(n)); // forEach skips numbers still uploading
  state.visible = all.filter((n) => passes(n, filters)).sort(compareDocs);
  const body = document.createDocumentFragment();
  for (const n of state.visible.slice(0, state.rowLimit)) body.append(renderRow(n));
  clear($("#results tbody")).append(body);
  $("#results-empty").hidden = all.length > 0;
  $("#results-count").textContent = all.length ? `${fmtInt(state.visible.length)} of ${fmtInt(all.length)} documents` : "";
  const hidden = state.visible.length - state.rowLimit;
  $("#results-more").hidden = hidden <= 0;
  $("#results-more").textContent = `Show ${fmtInt(Math.min(hidden, ROW_PAGE))} more (${fmtInt(hidden)} not shown)`;
  highlightOpenRow();
}

function showMoreRows() {
  state.rowLimit += ROW_PAGE;
  renderTable();
}

function renderRow(n) {
  const r = state.docs[n];
  const s = status(r);
  const corrected = state.corrected[n];
  const tr = el("tr", { dataset: { doc: String(n) }, tabindex: "0", class: [s, corrected ? "corrected" : ""].join(" ").trim() || null });
  tr.append(el("td", { class: "num muted" }, String(n)), el("td", { class: "id", title: r.id }, r.id));

  const labels = el("td", { class: "labels" });
  if (corrected) {
    labels.title = `Corrected by you; the model said: ${(r.labels || []).join(", ") || "no label"}`;
    labels.append(el("span", { class: "check", "aria-label": "corrected" }, "✔"), ...corrected.map((l) => labelChip(l)));
    if (!corrected.length) labels.append(el("span", { class: "muted" }, "no label"));
  } else if (!s) {
    labels.append(...(r.labels || []).map((l) => labelChip(l)));
    if (!(r.labels || []).length) labels.append(el("span", { class: "muted" }, "—"));
  }
  tr.append(labels);

  for (const label of state.labels) {
    const p = r.scores?.[label];
    const assigned = (r.labels || []).includes(label);
    tr.append(typeof p === "number"
      ? el("td", { class: assigned ? "num score on" : "num score", style: { "--c": labelColor(label) } }, scoreBar(p, threshold(label), assigned), fmtScore(p))
      : el("td", { class: "num muted" }, ""));
  }
  if (state.model?.relevance) {
    tr.append(el("td", { class: "num" }, typeof r.relevance === "number" ? fmtScore(r.relevance) : ""));
  }
  tr.append(el("td", { class: "status", title: r.error || null }, s === "error" ? `error: ${r.error}` : s));
  return tr;
}

function onRowActivate(event) {
  if (event.type === "keydown" && event.key !== "Enter") return;
  const row = event.target.closest("tr[data-doc]");
  if (row) run(() => openDoc(Number(row.dataset.doc)));
}

function renderJobNote() {
  const note = $("#job-note");
  const stale = state.job && state.jobVersion != null && state.model && state.jobVersion !== state.model.version;
  note.hidden = !stale;
  if (stale) {
    note.textContent = `These results were classified by version ${state.jobVersion}; the active model is now version ` +
      `${state.model.version}. Start a new batch and upload the documents again to classify them with it.`;
  }
}

// ---------------------------------------------------------------------------------------
// Document view

async function openDoc(n) {
  if (!state.job) return;
  if ($("#doc-view").hidden) state.lastFocus = document.activeElement;
  state.openDoc = n;
  $("#doc-view").hidden = false;
  $("#doc-backdrop").hidden = false;
  $("#doc-title").textContent = state.docs[n]?.id ?? `Document ${n}`;
  clear($("#doc-text")).append(el("p", { class: "muted" }, "Loading…"));
  updatePrevNext();
  highlightOpenRow();
  const data = await api("GET", `/api/jobs/${encodeURIComponent(state.job)}/docs/${n}`);
  if (state.openDoc !== n) return; // the analyst moved on while it loaded
  state.openDocData = data;
  renderDoc(data);
  $("#doc-close").focus();
}

function closeDoc() {
  $("#doc-view").hidden = true;
  $("#doc-backdrop").hidden = true;
  state.openDoc = null;
  state.openDocData = null;
  highlightOpenRow();
  if (state.lastFocus && document.contains(state.lastFocus)) state.lastFocus.focus();
}

function highlightOpenRow() {
  for (const row of document.querySelectorAll("#results tr.open")) row.classList.remove("open");
  if (state.openDoc !== null) {
    document.querySelector(`#results tr[data-doc="${state.openDoc}"]`)?.classList.add("open");
  }
}

/** Prev / next walk the table as it is shown: filtered and sorted. */
function neighbour(step) {
  const order = state.visible.includes(state.openDoc) ? state.visible : Object.keys(state.docs).map(Number);
  const i = order.indexOf(state.openDoc);
  return i < 0 ? undefined : order[i + step];
}

function updatePrevNext() {
  $("#doc-prev").disabled = neighbour(-1) === undefined;
  $("#doc-next").disabled = neighbour(1) === undefined;
}

function step(delta) {
  const n = neighbour(delta);
  if (n !== undefined) run(() => openDoc(n));
}

function renderDoc(data) {
  const record = data.record || {};
  const ex = data.explanation && !data.explanation.error && !data.explanation.empty ? data.explanation : null;
  $("#doc-title").textContent = data.id;

  const notes = [];
  if (record.error !== undefined) notes.push(`This document could not be classified: ${record.error}`);
  if (record.empty) notes.push("This document has no text to classify.");
  if (data.truncated) notes.push(`Only the first ${fmtInt(data.text.length)} characters are shown.`);
  $("#doc-note").hidden = !notes.length;
  $("#doc-note").textContent = notes.join(" ");

  renderScores(record, ex);
  renderLegend();
  renderText(data);
  renderEvidence(ex);
  renderTerms(ex);
  renderCorrection(data);
}

function renderScores(record, ex) {
  const box = clear($("#doc-scores"));
  const list = el("ul", { class: "score-list" });
  for (const label of state.labels) {
    const p = (ex?.scores || record.scores || {})[label];
    const t = ex?.thresholds?.[label] ?? threshold(label);
    const assigned = (ex?.labels || record.labels || []).includes(label);
    const by = ex?.sentences?.[label] ? " · scored on its strongest sentence" : "";
    list.append(el("li", { class: assigned ? "on" : null, dataset: { label }, style: { "--c": labelColor(label) } },
      el("span", { class: "score-label" }, labelChip(label)),
      scoreBar(p, t, assigned),
      el("span", { class: "score-value" }, fmtScore(p)),
      el("span", { class: "score-verdict" },
        typeof p !== "number" ? "not scored" : assigned ? `assigned (threshold ${fmtScore(t)})${by}` : `not assigned (threshold ${fmtScore(t)})${by}`)));
  }
  const relevance = ex?.relevance ?? record.relevance;
  if (typeof relevance === "number") {
    const t = state.model?.relevance?.threshold;
    list.append(el("li", { class: "relevance" },
      el("span", { class: "score-label" }, "relevance"),
      scoreBar(relevance, t, t === undefined || relevance >= t),
      el("span", { class: "score-value" }, fmtScore(relevance)),
      el("span", { class: "score-verdict" }, t === undefined ? "" : relevance >= t ? "on topic" : "off topic: no label given")));
  }
  box.append(list);
}

function renderLegend() {
  clear($("#doc-legend")).append(
    el("span", {}, el("mark", { class: "term sample" }, "term"), " pushes a label up"),
    el("span", {}, el("span", { class: "evidence sample" }, "sentence"), " is evidence"),
    ...state.labels.map((l) => labelChip(l)));
}

/** Text from segments; a piece can be a term and evidence at once, so the mark nests in the span. */
function renderText(data) {
  const box = clear($("#doc-text"));
  const segments = data.segments?.length ? data.segments : [{ text: data.text || "", terms: [], evidence: [] }];
  const out = document.createDocumentFragment();
  for (const segment of segments) {
    let node = document.createTextNode(segment.text);
    if (segment.terms?.length) {
      const mark = el("mark", { class: "term", title: segment.terms.join(", "), style: { "--c": labelColor(segment.terms[0]) } });
      mark.append(node);
      node = mark;
    }
    if (segment.evidence?.length) {
      const span = el("span", { class: "evidence", title: `evidence for ${segment.evidence.join(", ")}`, dataset: { labels: segment.evidence.join(" ") } });
      span.append(node);
      node = span;
    }
    out.append(node);
  }
  box.append(out);
  if (!data.text) box.append(el("p", { class: "muted" }, "(no text)"));
}

function renderEvidence(ex) {
  const box = clear($("#doc-evidence"));
  const items = ex?.evidence || [];
  if (!items.length) {
    box.append(el("p", { class: "muted" }, "No sentence stands out."));
    return;
  }
  for (const item of items) {
    box.append(el("figure", { class: "evidence-item", style: { "--c": labelColor(item.label) } },
      el("figcaption", {}, labelChip(item.label), el("span", { class: "muted" }, ` weight ${fmtSigned(item.weight)}`)),
      el("blockquote", { title: "Show in the text", tabindex: "0", onclick: () => scrollToEvidence(item.label) }, item.sentence),
      el("p", { class: "terms" }, (item.terms || []).join(", "))));
  }
}

function scrollToEvidence(label) {
  const span = [...document.querySelectorAll("#doc-text .evidence")].find((s) => s.dataset.labels.split(" ").includes(label));
  span?.scrollIntoView({ block: "center", behavior: "smooth" });
}

function renderTerms(ex) {
  const box = clear($("#doc-terms"));
  if (!ex?.contributions) {
    box.append(el("p", { class: "muted" }, "No terms: nothing was scored."));
    return;
  }
  for (const label of state.labels) {
    box.append(termBlock({ class: "term-block", style: { "--c": labelColor(label) } }, labelChip(label),
      ex.contributions[label] || [], ex.sums?.[label]));
  }
  // The gate's own terms: why a document is on or off topic.
  const gate = ex.relevance_terms;
  if (gate) {
    box.append(termBlock({ class: "term-block relevance-terms" }, el("span", { class: "score-label" }, "relevance"),
      gate.contributions || [], gate));
  }
}

/** One linear score's block: its strongest terms each way and, if known, its sum. */
function termBlock(attrs, head, contributions, sums) {
  const word = (c) => (c.words?.length ? c.words.join(" / ") : c.term);
  const item = (cls) => (c) => el("li", { class: cls }, el("span", {}, word(c)), el("span", { class: "w" }, fmtSigned(c.weight)));
  const up = contributions.filter((c) => c.weight > 0).slice(0, 8);
  const down = contributions.filter((c) => c.weight < 0).slice(0, 5);
  return el("div", attrs,
    head,
    el("ul", { class: "contribs" }, ...up.map(item("up")), ...down.map(item("down"))),
    sums ? el("p", { class: "muted small" },
      `intercept ${fmtSigned(sums.intercept)} · other terms ${fmtSigned(sums.other_terms)} · total ${fmtSigned(sums.linear_score)}`) : null);
}

function renderCorrection(data) {
  const chosen = data.corrected ?? data.record?.labels ?? [];
  const box = clear($("#doc-correct-labels"));
  for (const label of state.labels) {
    box.append(el("label", { class: "check-label" },
      el("input", { type: "checkbox", class: "correct-label", value: label, checked: chosen.includes(label) }),
      labelChip(label)));
  }
  const status = $("#save-status");
  status.className = "status-line";
  status.textContent = data.corrected ? `Corrected earlier: ${data.corrected.join(", ") || "no label"}` : "";
}

async function saveLabels(event) {
  event.preventDefault();
  const n = state.openDoc;
  if (n === null || !state.job) return;
  const labels = [...document.querySelectorAll("#doc-correct input.correct-label:checked")].map((box) => box.value);
  const status = $("#save-status");
  const button = $("#save-labels");
  button.disabled = true;
  status.className = "status-line";
  status.textContent = "Saving…";
  try {
    const result = await api("POST", `/api/jobs/${encodeURIComponent(state.job)}/docs/${n}/labels`, { labels });
    state.corrected[n] = labels;
    status.className = "status-line ok";
    status.textContent = `Saved (${fmtInt(result.corrections)} ${result.corrections === 1 ? "correction" : "corrections"})`;
    status.title = result.file ? `Appended to ${result.file}` : "";
    renderTable();
    run(loadQueue);
    run(loadModel); // the data counts changed
  } catch (e) {
    status.className = "status-line error";
    status.textContent = e.message;
    showMessage(e.message);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------
// Label next (active-learning queue)

async function loadQueue() {
  const list = clear($("#queue"));
  if (!state.job) {
    $("#queue-empty").hidden = false;
    return;
  }
  const { queue } = await api("GET", `/api/jobs/${encodeURIComponent(state.job)}/queue?n=20`);
  $("#queue-empty").hidden = queue.length > 0;
  $("#queue-empty").textContent = "Nothing left to label in this batch.";
  for (const item of queue) {
    list.append(el("li", { dataset: { doc: String(item.doc) }, tabindex: "0" },
      el("span", { class: "queue-id" }, item.id),
      el("span", { class: "muted" }, ` uncertainty ${fmtScore(item.uncertainty)} · model says `),
      ...(item.predicted.length ? item.predicted.map((l) => labelChip(l)) : [el("span", { class: "muted" }, "no label")]),
      el("span", { class: "muted small queue-scores" },
        state.labels.map((l) => `${l} ${fmtScore(item.scores?.[l])}`).join(" · "))));
  }
}

function onQueueActivate(event) {
  if (event.type === "keydown" && event.key !== "Enter") return;
  const item = event.target.closest("li[data-doc]");
  if (item) run(() => openDoc(Number(item.dataset.doc)));
}

// ---------------------------------------------------------------------------------------
// Versions and retraining

async function loadVersions() {
  const { active, versions } = await api("GET", "/api/versions");
  $("#active-version").textContent = String(active);
  const body = clear($("#versions tbody"));
  for (const v of [...versions].sort((a, b) => b.version - a.version)) {
    const isActive = v.version === active;
    body.append(el("tr", { class: isActive ? "active" : null },
      el("td", {}, String(v.version)),
      el("td", {}, fmtDate(v.created)),
      el("td", { class: "num" }, fmtInt(v.documents)),
      el("td", { class: "num" }, fmtInt(v.corrections)),
      el("td", { class: "num" }, v.cv ? fmtScore(v.cv.macro_f1) : "—"),
      el("td", { class: "muted" }, v.note || ""),
      el("td", {}, isActive
        ? el("span", { class: "badge" }, "active")
        : el("button", { type: "button", class: "button activate", dataset: { version: String(v.version) } }, "Activate"))));
  }
}

async function activateVersion(version) {
  const result = await api("POST", `/api/versions/${version}/activate`, {});
  await loadModel();
  await loadVersions();
  state.reportVersion = null; // the report describes the active model: load it anew
  showMessage(`Version ${result.active} is now active.` +
    (state.job ? " Results already in the table were classified by the previous version." : ""), "info");
  if (Number($("#activate-new").dataset.version) === result.active) $("#activate-new").hidden = true;
}

async function startRetrain() {
  try {
    await api("POST", "/api/retrain", {});
  } catch (e) {
    if (e.status !== 409) throw e; // 409: one is running already; follow that one
  }
  $("#retrain-result").hidden = true;
  pollRetrain();
}

async function pollRetrain() {
  if (state.retrainPolling) return;
  state.retrainPolling = true;
  $("#retrain").disabled = true;
  try {
    for (;;) {
      const r = await api("GET", "/api/retrain");
      renderRetrain(r);
      if (r.state !== "running") break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } catch (e) {
    showMessage(e.message);
  } finally {
    state.retrainPolling = false;
    $("#retrain").disabled = false;
  }
}

function renderRetrain(r) {
  const status = $("#retrain-status");
  status.className = `status-line ${r.state === "failed" ? "error" : r.state === "done" ? "ok" : ""}`;
  if (r.state === "running") status.textContent = `Retraining: ${r.stage || "working"}…`;
  else if (r.state === "failed") status.textContent = `Retraining failed${r.stage ? ` (${r.stage})` : ""}: ${r.error || "unknown error"}`;
  else if (r.state === "done") status.textContent = `Done: version ${r.version} trained.`;
  else status.textContent = "";
  if (r.state === "done") {
    renderRetrainResult(r);
    run(loadVersions);
  }
}

function renderRetrainResult(r) {
  const rows = [
    ["CV macro F1", "macro_f1", fmtScore],
    ["CV micro F1", "micro_f1", fmtScore],
    ["CV accuracy", "accuracy", fmtScore],
    ["Documents", "documents", fmtInt],
  ];
  const body = clear($("#retrain-result tbody"));
  for (const [title, key, fmt] of rows) {
    const before = r.before?.[key];
    const after = r.after?.[key];
    const change = typeof before === "number" && typeof after === "number" ? after - before : null;
    body.append(el("tr", {},
      el("th", { scope: "row" }, title),
      el("td", { class: "num" }, fmt(before)),
      el("td", { class: "num" }, fmt(after)),
      el("td", { class: change > 0 ? "num better" : change < 0 ? "num worse" : "num" },
        change === null ? "—" : fmtDelta(change, key === "documents" ? 0 : 3))));
  }
  const button = $("#activate-new");
  button.dataset.version = String(r.version);
  button.textContent = `Use version ${r.version}`;
  button.hidden = r.version === state.model?.version;
  $("#retrain-result").hidden = false;
}

// ---------------------------------------------------------------------------------------
// Report

function loadReport() {
  // Setting src again navigates again, so this both loads and reloads.
  $("#report-frame").src = "/report";
  state.reportVersion = state.model?.version ?? null;
}

// ---------------------------------------------------------------------------------------
// Wiring

function onGlobalKey(event) {
  if ($("#doc-view").hidden) return;
  if (event.key === "Escape") {
    closeDoc();
    return;
  }
  const typing = event.target.closest("input[type=text], input[type=search], input[type=number], textarea, select");
  if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === "ArrowLeft") step(-1);
  if (event.key === "ArrowRight") step(1);
}

function wire() {
  for (const tab of document.querySelectorAll(".tabs [role=tab]")) {
    tab.addEventListener("click", () => showView(tab.dataset.view));
  }
  $(".tabs").addEventListener("keydown", onTabKey);
  $("#message-close").addEventListener("click", hideMessage);
  setUpDropZone();
  $("#new-job").addEventListener("click", newJob);

  $("#results thead").addEventListener("click", onSortClick);
  $("#results tbody").addEventListener("click", onRowActivate);
  $("#results tbody").addEventListener("keydown", onRowActivate);
  $("#results-more").addEventListener("click", showMoreRows);
  for (const id of ["#filter-label", "#filter-min-score", "#filter-text"]) {
    // "input" while typing; "change" too, for scripted and autofilled changes that fire only it.
    for (const type of ["input", "change"]) $(id).addEventListener(type, () => renderTable(true));
  }
  for (const format of ["csv", "jsonl"]) {
    // Without a batch the link has no href; keep a click from doing anything surprising.
    $(`#export-${format}`).addEventListener("click", (e) => {
      if (!state.job) e.preventDefault();
    });
  }

  $("#doc-close").addEventListener("click", closeDoc);
  $("#doc-backdrop").addEventListener("click", closeDoc);
  $("#doc-prev").addEventListener("click", () => step(-1));
  $("#doc-next").addEventListener("click", () => step(1));
  $("#doc-correct").addEventListener("submit", (e) => run(() => saveLabels(e)));
  document.addEventListener("keydown", onGlobalKey);

  $("#queue").addEventListener("click", onQueueActivate);
  $("#queue").addEventListener("keydown", onQueueActivate);
  $("#queue-refresh").addEventListener("click", () => run(loadQueue));

  $("#retrain").addEventListener("click", () => run(startRetrain));
  $("#activate-new").addEventListener("click", (e) => run(() => activateVersion(Number(e.target.dataset.version))));
  $("#versions").addEventListener("click", (e) => {
    const button = e.target.closest("button.activate");
    if (button) run(() => activateVersion(Number(button.dataset.version)));
  });
  $("#report-reload").addEventListener("click", loadReport);
}

async function start() {
  wire();
  renderTableHead();
  await run(async () => {
    await loadModel();
    await restoreJob();
    await loadVersions();
    // A retrain started before a reload is still worth following.
    const r = await api("GET", "/api/retrain");
    if (r.state === "running") pollRetrain();
    else if (r.state === "done" || r.state === "failed") renderRetrain(r);
  });
  document.body.dataset.ready = "true"; // tests wait for this
}

start();
