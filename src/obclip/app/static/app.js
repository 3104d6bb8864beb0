// obclip's local page: no framework, no CDN. Talks only to the app on this machine.
"use strict";

const $ = (id) => document.getElementById(id);
const FIELDS = ["large", "small", "cloud", "token", "steps", "switch_step", "scheduler", "accel", "guidance", "seed",
  "num_images", "max_candidates", "negative_prompt"];
const NUMBERS = new Set(["steps", "switch_step", "guidance", "seed", "num_images", "max_candidates"]);

async function api(path, body) {
  const init = body === undefined ? {} :
    { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error ? data.error.message : response.statusText);
  return data;
}

function fill(select, values) {
  select.replaceChildren(...values.map((v) => new Option(v, v)));
}

async function init() {
  const options = await api("/api/options");
  $("version").textContent = "obclip " + options.version;
  $("models").replaceChildren(...options.models.map((m) => new Option(m.description, m.name)));
  fill($("scheduler"), options.schedulers);
  fill($("accel"), options.accel);
  for (const [key, value] of Object.entries(options.defaults)) $(key).value = value;
  $("num_images").max = options.max_images;
  $("prompt").addEventListener("input", schedulePreview);
  $("large").addEventListener("change", schedulePreview);
  $("max_candidates").addEventListener("input", schedulePreview);
  $("generate").addEventListener("click", generate);
  await loadHistory();
  schedulePreview();
}

let previewTimer = null;
let previewSeq = 0;
function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, 120);
}

async function preview() {
  const seq = ++previewSeq;
  const body = { prompt: $("prompt").value, large: $("large").value || undefined };
  if ($("max_candidates").value) body.max_candidates = Number($("max_candidates").value);
  try {
    const seen = await api("/api/candidates", body);
    if (seq !== previewSeq) return;  // a newer keystroke won
    showSeen(seen);
    $("error").hidden = true;
  } catch (err) {
    if (seq !== previewSeq) return;
    $("error").textContent = err.message;
    $("error").hidden = false;
  }
}

function showSeen(seen) {
  $("n").textContent = seen.n;
  $("n2").textContent = seen.n;
  const view = $("highlighted");
  view.replaceChildren(...seen.segments.map((s) => {
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
}

function showNotice(element, text) {
  element.textContent = text || "";
  element.hidden = !text;
}

function settings() {
  const body = { prompt: $("prompt").value };
  for (const key of FIELDS) {
    const raw = $(key).value.trim();
    if (raw === "") continue;
    body[key] = NUMBERS.has(key) ? Number(raw) : raw;
  }
  return body;
}

async function generate() {
  const button = $("generate");
  button.disabled = true;
  $("progress").hidden = false;
  $("error").hidden = true;
  setProgress(0, "starting");
  try {
    const job = await api("/api/jobs", settings());
    await follow(job.events);
  } catch (err) {
    $("error").textContent = err.message;
    $("error").hidden = false;
    setProgress(0, "failed");
  } finally {
    button.disabled = false;
  }
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
      if (event.type === "phase") {
        const label = { loading: "loading models", cloud: `cloud: waiting for ${event.n} candidates`,
          device: "device steps", decode: "decoding" }[event.phase];
        setProgress($("bar").value, label + of);
      } else if (event.type === "step") {
        const offset = event.phase === "cloud" ? 0 : steps - event.total;
        const done = (event.image || 0) * steps + offset + event.done;
        setProgress(done / (steps * images), `${event.phase} step ${event.done}/${event.total}${of}`);
      } else if (event.type === "image") {
        showResult(event.entry);
        addHistory(event.entry, true);
      } else if (event.type === "done") {
        source.close();
        setProgress(1, "done");
        resolve();
      } else if (event.type === "error") {
        source.close();
        reject(new Error(event.message));
      }
    };
    source.onerror = () => { source.close(); reject(new Error("lost the connection to the app")); };
  });
}

function showResult(entry) {
  $("result").hidden = false;
  $("image").src = entry.image;
  $("download").href = entry.image;
  $("download").setAttribute("download", `obclip-${entry.settings.seed}.png`);
  $("caption").textContent = describe(entry);
  const strip = $("strip");
  const n = entry.report.num_candidates;
  strip.style.setProperty("--n", n);
  strip.onload = () => {
    const tile = strip.clientWidth / n;
    Object.assign($("yours").style, { left: `${entry.yours * tile}px`, width: `${tile}px`,
      height: `${strip.clientHeight}px` });
  };
  strip.src = entry.cloud_strip;
}

function describe(entry) {
  const s = entry.settings;
  const accel = entry.report.accelerations.length ? entry.report.accelerations.join("+") : "no acceleration";
  return `seed ${s.seed} · N=${entry.report.num_candidates} · T=${s.steps}, k=${s.switch_step} · ${s.scheduler} · ` +
    `${accel} · ${s.large}` + (s.small ? ` / ${s.small}` : "") + ` · ${entry.report.timings.total_s.toFixed(2)} s`;
}

function addHistory(entry, first) {
  const li = document.createElement("li");
  const img = document.createElement("img");
  img.src = entry.image;
  img.alt = entry.prompt;
  img.title = entry.prompt;
  img.addEventListener("click", () => showResult(entry));
  const text = document.createElement("div");
  text.textContent = `${entry.created} · ${describe(entry)}`;
  li.append(img, text);
  if (first) $("history").prepend(li); else $("history").append(li);
}

async function loadHistory() {
  const history = await api("/api/history");
  for (const entry of history.entries) addHistory(entry, false);
}

init().catch((err) => { $("error").textContent = err.message; $("error").hidden = false; });
