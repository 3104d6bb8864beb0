// obclip's local page: no framework, no CDN. Talks only to the app that served it.
"use strict";

const $ = (id) => document.getElementById(id);
const FIELDS = ["large", "small", "cloud", "token", "connect_timeout", "steps", "switch_step", "scheduler", "accel",
  "guidance", "seed", "num_images", "max_candidates", "policy", "negative_prompt"];
const NUMBERS = new Set(["connect_timeout", "steps", "switch_step", "guidance", "seed", "num_images", "max_candidates"]);
const COST_FIELDS = ["large", "steps", "switch_step", "accel", "guidance"];
const STORE = "obclip.settings";  // this browser's localStorage: settings, the token only when asked

class AppError extends Error {
  constructor(message, field) { super(message); this.field = field || null; }
}

async function api(path, body, method) {
  const init = body === undefined ? { method: method || "GET" } :
    { method: method || "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = data.error || {};
    throw new AppError(error.message || response.statusText, error.field);
  }
  return data;
}

function fill(select, values) {
  select.replaceChildren(...values.map((v) => new Option(v, v)));
}

let options = null;
async function init() {
  options = await api("/api/options");
  $("version").textContent = "obclip " + options.version;
  $("models").replaceChildren(...options.models.map((m) => new Option(m.description, m.name)));
  fill($("scheduler"), options.schedulers);
  fill($("accel"), options.accel);
  for (const [key, value] of Object.entries(options.defaults)) $(key).value = value;
  $("num_images").max = options.max_images;
  restoreSettings();
  if (options.incognito) {
    $("keep_history").checked = false;
    $("keep_history").disabled = true;
    $("keep_history").parentElement.title = "this app was started with --incognito: it keeps nothing on disk";
  }
  describeWhere();
  // Settings open on a wide screen; folded on a phone, so Generate stays near the prompt.
  $("settings").open = window.matchMedia("(min-width: 700px)").matches;
  $("prompt").addEventListener("input", schedulePreview);
  $("large").addEventListener("change", schedulePreview);
  $("max_candidates").addEventListener("input", schedulePreview);
  $("policy").addEventListener("change", schedulePreview);
  $("send_unread").addEventListener("change", schedulePreview);
  for (const key of COST_FIELDS) $(key).addEventListener("input", scheduleCost);
  for (const key of [...FIELDS, "keep_history", "remember_token"]) {
    $(key).addEventListener("change", saveSettings);
    $(key).addEventListener("input", () => clearFieldError(key));
  }
  $("keep_history").addEventListener("change", describeWhere);
  $("generate").addEventListener("click", generate);
  $("cancel").addEventListener("click", cancel);
  window.addEventListener("resize", placeYours);
  await loadHistory();
  schedulePreview();
}

// --- settings remembered in this browser ---

function saveSettings() {
  const saved = { keep_history: $("keep_history").checked, remember_token: $("remember_token").checked };
  for (const key of FIELDS) {
    if (key === "token" && !saved.remember_token) continue;
    saved[key] = $(key).value;
  }
  try { localStorage.setItem(STORE, JSON.stringify(saved)); } catch (err) { /* storage off: nothing kept */ }
}

function restoreSettings() {
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(STORE) || "null"); } catch (err) { saved = null; }
  if (!saved) return;
  for (const key of FIELDS) if (typeof saved[key] === "string") $(key).value = saved[key];
  $("keep_history").checked = saved.keep_history === true;
  $("remember_token").checked = saved.remember_token === true;
}

function describeWhere() {
  const keep = $("keep_history").checked && !options.incognito;
  $("where").textContent = options.incognito ? "incognito: this app keeps nothing on disk" :
    keep ? `new images, their prompts and settings are kept in ${options.history_dir} on this machine` :
      "new images stay in this page's memory only (turn on “Keep in history” to keep them)";
}

// --- errors beside the control that caused them ---

function showError(err, scroll = true) {
  const field = err.field || null;
  const target = field === "prompt" ? $("prompt-error") : (field && $("err-" + field)) || $("error");
  target.textContent = err.message;
  target.hidden = false;
  if (target.classList.contains("field-error")) {
    $("settings").open = true;
    $(field).setAttribute("aria-invalid", "true");
  }
  if (scroll) target.scrollIntoView({ block: "nearest" });
}

function clearFieldError(field) {
  const target = $("err-" + field);
  if (target) target.hidden = true;
  if ($(field)) $(field).removeAttribute("aria-invalid");
}

function clearErrors() {
  for (const element of document.querySelectorAll(".error, .field-error")) element.hidden = true;
  for (const element of document.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
}

// --- what the cloud will see, and what it costs ---

let previewTimer = null;
let previewSeq = 0;
let seenN = 0;
function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, 120);
}

async function preview() {
  const seq = ++previewSeq;
  const body = { prompt: $("prompt").value, large: $("large").value || undefined };
  if ($("max_candidates").value) body.max_candidates = Number($("max_candidates").value);
  if ($("policy").value) body.policy = $("policy").value;  // the set previewed is the set sent
  if ($("send_unread").checked) body.send_unread = true;  // else a prompt not in English is refused
  try {
    const seen = await api("/api/candidates", body);
    if (seq !== previewSeq) return;  // a newer keystroke won
    $("prompt-error").hidden = true;
    clearFieldError("max_candidates");
    showSeen(seen);
  } catch (err) {
    if (seq !== previewSeq) return;
    showSeen(null);  // the refused prompt's candidates are not the last good prompt's
    showError(err, false);  // said while typing: the page stays where the user is
  }
}

function showSeen(seen) {
  seen = seen || { n: 0, segments: [], candidates: [], notice: null, residual: [], cannot_draw: [] };
  seenN = seen.n;
  $("n").textContent = seen.n;
  $("n2").textContent = seen.n;
  $("highlighted").replaceChildren(...seen.segments.map((s) => {
    if (s.residual) {
      const risk = document.createElement("span");
      risk.className = "residual";
      risk.textContent = s.text;
      risk.title = "sent in clear; may reveal " + s.residual;
      return risk;
    }
    if (!s.attribute) return document.createTextNode(s.text);
    const mark = document.createElement("mark");
    mark.textContent = s.text;
    mark.title = "hidden: " + s.attribute;
    mark.dataset.attribute = s.attribute;
    return mark;
  }));
  $("candidates").replaceChildren(...seen.candidates.map((c) => {
    const li = document.createElement("li");
    li.textContent = c;
    return li;
  }));
  showNotice($("notice"), seen.notice);
  const residual = (seen.residual || []).map((r) => `“${r.word}” (${r.reason})`);
  showNotice($("residual"), residual.length ?
    "Sent in clear in every candidate, and may still reveal an attribute: " + residual.join(", ") +
    ". Rephrase if that matters." : "");
  const missing = (seen.cannot_draw || []).map((c) => `${c.attribute} (“${c.words}”)`);
  showNotice($("cannot-draw"), missing.length ?
    `${seen.cannot_draw[0].model} was trained on ${seen.cannot_draw[0].knows} only: it cannot draw ` +
    missing.join(", ") + ". The cloud still sees it varied, but the image will not show it." : "");
  showPrivacy(seen);
  scheduleCost();
}

function showPrivacy(seen) {
  // What the cloud can still tell: how many candidates no word in clear rules out, and which words reveal what.
  if (seen.anonymity === undefined || !seen.n) { showNotice($("privacy"), ""); return; }
  const parts = [`hidden among ${seen.anonymity} of ${seen.n}` +
    (seen.anonymity < seen.n ? " (words in clear rule the others out)" : "")];
  for (const r of seen.revealed || []) {
    if (r.strength === "strong") parts.push(`'${r.word}' reveals ${r.attribute}` + (r.varied ? "" : " (not varied)"));
  }
  for (const g of seen.generalized || []) {
    // the default policy: the cloud reads a neutral form, your device draws your own word
    parts.push(`'${g.word}' sent as ` + (g.sent_as ? `'${g.sent_as}'` : "nothing") + " (drawn as you wrote it)");
  }
  if (seen.tokens) parts.push(seen.tokens);
  showNotice($("privacy"), parts.join(" · "));
}

function showNotice(element, text) {
  element.textContent = text || "";
  element.hidden = !text;
}

let costTimer = null;
let costSeq = 0;
function scheduleCost() {
  clearTimeout(costTimer);
  costTimer = setTimeout(cost, 250);
}

async function cost() {
  const seq = ++costSeq;
  if (!seenN) { $("cost").textContent = ""; return; }
  const s = settings();
  const body = { n: seenN, large: s.large, steps: s.steps, switch_step: s.switch_step, accel: s.accel,
    guidance: s.guidance };
  $("cost").classList.add("stale");
  try {
    const c = await api("/api/cost", body);
    if (seq !== costSeq) return;
    $("cost").textContent = c.text ? c.text + (c.assumed ? ` (counted for ${c.assumed}'s UNet: this model's ` +
      "configuration is not on this machine)" : "") : "";
  } catch (err) {
    if (seq === costSeq) $("cost").textContent = "";
  } finally {
    if (seq === costSeq) $("cost").classList.remove("stale");
  }
}

// --- generation ---

function settings() {
  const body = { prompt: $("prompt").value, keep_history: $("keep_history").checked && !options.incognito };
  if ($("send_unread").checked) body.send_unread = true;  // asked each time: never remembered
  for (const key of FIELDS) {
    const raw = $(key).value.trim();
    if (raw === "") continue;
    body[key] = NUMBERS.has(key) ? Number(raw) : raw;
  }
  return body;
}

let current = null;  // the running job: {id, cancel, source}

async function generate() {
  clearErrors();
  if (!$("prompt").value.trim()) {
    showError(new AppError("Type a prompt first", "prompt"));
    return;
  }
  $("generate").disabled = true;
  $("progress").hidden = false;
  setProgress(0, "sending the job to this app");
  try {
    const job = await api("/api/jobs", settings());
    current = { id: job.id, cancel: job.cancel };
    $("cancel").hidden = false;
    $("cancel").disabled = false;
    const outcome = await follow(job.events);
    setProgress(outcome === "cancelled" ? 0 : 1, outcome);
  } catch (err) {
    setProgress(0, "failed");
    showError(err);
  } finally {
    current = null;
    $("generate").disabled = false;
    $("cancel").hidden = true;
  }
}

async function cancel() {
  if (!current) return;
  $("cancel").disabled = true;
  setProgress($("bar").value, "cancelling");
  try { await api(current.cancel, {}); } catch (err) { showError(err); }
}

function setProgress(fraction, text) {
  $("bar").value = fraction;
  $("status").textContent = text;
}

function follow(url) {
  const s = settings();
  const steps = s.steps || 25;
  const images = s.num_images || 1;
  return new Promise((resolve, reject) => {
    const source = new EventSource(url);
    source.onmessage = (message) => {
      const event = JSON.parse(message.data);
      const of = images > 1 ? ` (image ${(event.image || 0) + 1} of ${images})` : "";
      if (event.type === "queued") {
        setProgress(0, event.ahead ? `queued: ${event.ahead} job${event.ahead > 1 ? "s" : ""} ahead` : "next in line");
      } else if (event.type === "phase") {
        const where = event.where && event.where !== "here" ? ` at ${event.where}` : "";
        const label = { loading: "loading models", connecting: `connecting to the cloud${where}`,
          cloud: `cloud: ${event.n} candidates${where}`, device: "device steps", decode: "decoding" }[event.phase];
        setProgress($("bar").value, (label || event.phase) + of);
      } else if (event.type === "step") {
        const offset = event.phase === "cloud" ? 0 : steps - event.total;
        const done = (event.image || 0) * steps + offset + event.done;
        setProgress(done / (steps * images), `${event.phase} step ${event.done}/${event.total}${of}`);
      } else if (event.type === "image") {
        showResult(event.entry);
        addHistory(event.entry, true);
        if (!event.image && !window.matchMedia("(min-width: 700px)").matches) $("result").scrollIntoView();
      } else if (event.type === "done" || event.type === "cancelled") {
        source.close();
        resolve(event.type === "done" ? "done" : "cancelled");
      } else if (event.type === "error") {
        source.close();
        reject(new AppError(event.message, event.field));
      }
    };
    source.onerror = () => { source.close(); reject(new AppError("lost the connection to the app")); };
  });
}

let shown = null;
function showResult(entry) {
  shown = entry;
  $("result").hidden = false;
  $("image").src = entry.image;
  $("download").href = entry.image;
  $("download").setAttribute("download", `obclip-${entry.settings.seed}.png`);
  $("caption").textContent = describe(entry);
  const strip = $("strip");
  strip.style.setProperty("--n", entry.report.num_candidates);
  strip.onload = () => {
    placeYours();
    const box = $("strip-box");
    box.scrollLeft = Math.max(0, $("yours").offsetLeft - box.clientWidth / 2);
  };
  strip.src = entry.cloud_strip;
}

function placeYours() {
  if (!shown) return;
  const strip = $("strip");
  const tile = strip.clientWidth / shown.report.num_candidates;
  Object.assign($("yours").style, { left: `${shown.yours * tile}px`, width: `${tile}px`,
    height: `${strip.clientHeight}px` });
}

function describe(entry) {
  const s = entry.settings;
  const accel = entry.report.accelerations.length ? entry.report.accelerations.join("+") : "no acceleration";
  return `seed ${s.seed} · N=${entry.report.num_candidates} · T=${s.steps}, k=${s.switch_step} · ${s.scheduler} · ` +
    `${accel} · ${s.large}` + (s.small ? ` / ${s.small}` : "") + ` · ${entry.report.timings.total_s.toFixed(2)} s`;
}

// --- history: reuse, delete ---

function addHistory(entry, first) {
  const li = document.createElement("li");
  li.dataset.id = entry.id;
  const img = document.createElement("img");
  img.src = entry.image;
  img.alt = entry.prompt;
  img.title = entry.prompt;
  img.addEventListener("click", () => showResult(entry));
  const text = document.createElement("div");
  text.className = "caption";
  text.textContent = `${entry.created} · ${describe(entry)}` + (entry.kept ? "" : " · not kept");
  const reuse = document.createElement("button");
  reuse.type = "button";
  reuse.className = "small secondary reuse";
  reuse.textContent = "Reuse settings";
  reuse.addEventListener("click", () => reuseSettings(entry));
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "small secondary delete";
  remove.textContent = "Delete";
  remove.addEventListener("click", () => deleteEntry(entry, li));
  const buttons = document.createElement("div");
  buttons.className = "row";
  buttons.append(reuse, remove);
  li.append(img, text, buttons);
  if (first) $("history").prepend(li); else $("history").append(li);
}

function reuseSettings(entry) {
  const s = entry.settings;
  $("prompt").value = entry.prompt;
  for (const key of FIELDS) {
    if (key === "token" || !(key in s)) continue;
    $(key).value = s[key] === null ? "" : s[key];
  }
  saveSettings();
  clearErrors();
  schedulePreview();
  $("prompt").scrollIntoView({ block: "nearest" });
}

async function deleteEntry(entry, li) {
  try {
    await api(`/api/history/${encodeURIComponent(entry.id)}`, undefined, "DELETE");
    li.remove();
    if (shown && shown.id === entry.id) { $("result").hidden = true; shown = null; }
  } catch (err) {
    showError(err);
  }
}

async function loadHistory() {
  const history = await api("/api/history");
  for (const entry of history.entries) addHistory(entry, false);
}

init().catch((err) => showError(err));
