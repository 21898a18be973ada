// /contribute (and the edit page): map, GPS, photo positions, voice recording, a draft that
// survives a reload, and the offline queue. Without this script the form still posts.
import * as L from "leaflet";
import { gps as exifGps } from "exifr";
import { fmt, readJson } from "/static/js/helpers.js";
import {
  clearDraft, enqueue, flushQueue, freshCsrfToken, listQueued, loadDraft, saveDraft, sendRecord,
} from "/static/js/offline-queue.js";
import { Recorder, extensionFor, recordingSupported } from "/static/js/recorder.js";

document.documentElement.classList.add("js");

const config = readJson("contribute-config") || { messages: {} };
const mapConfig = readJson("map-config");
const M = config.messages;
const $ = (id) => document.getElementById(id);

const form = $("contribute-form") || $("edit-form");
const DRAFT = "contribute";
const isNew = form && form.id === "contribute-form";

// --- position -------------------------------------------------------------------------------

function insideArea(lon, lat, area) {
  if (!area) return true;
  const polygons = area.type === "MultiPolygon" ? area.coordinates : [area.coordinates];
  const inRing = (ring) => {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
  return polygons.some((rings) => inRing(rings[0]) && !rings.slice(1).some(inRing));
}

const position = {
  map: null,
  marker: null,
  circle: null,
  status: $("position-status"),
  set(lat, lon, source, { accuracy = null, message = null } = {}) {
    $("lat").value = lat.toFixed(7);
    $("lon").value = lon.toFixed(7);
    $("position_source").value = source;
    $("accuracy").value = accuracy == null ? "" : String(Math.round(accuracy));
    this.show(lat, lon, accuracy);
    const outside = !insideArea(lon, lat, config.serviceArea);
    this.say(outside ? M.outside : message, outside);
    changed();
    checkSimilar();
  },
  say(text, warn = false) {
    if (!this.status) return;
    this.status.textContent = text || "";
    this.status.classList.toggle("warn", !!warn);
  },
  show(lat, lon, accuracy) {
    if (!this.map) return;
    const at = [lat, lon];
    if (!this.marker) {
      this.marker = L.marker(at, { draggable: true, autoPan: true, title: "", alt: "" }).addTo(this.map);
      this.marker.on("dragend", () => {
        const p = this.marker.getLatLng();
        this.set(p.lat, p.lng, "map", { message: M.mapChosen });
      });
    } else {
      this.marker.setLatLng(at);
    }
    if (this.circle) this.circle.remove();
    this.circle = accuracy ? L.circle(at, { radius: accuracy, weight: 1 }).addTo(this.map) : null;
    this.map.setView(at, Math.max(this.map.getZoom(), 17));
  },
  init() {
    const el = $("contribute-map");
    if (el && mapConfig) {
      el.hidden = false;
      this.map = L.map(el, { scrollWheelZoom: false });
      L.tileLayer(mapConfig.tileUrl, { attribution: mapConfig.attribution, maxZoom: 19 }).addTo(this.map);
      this.map.setView([mapConfig.centre[1], mapConfig.centre[0]], mapConfig.zoom);
      this.map.on("click", (e) => this.set(e.latlng.lat, e.latlng.lng, "map", { message: M.mapChosen }));
      el.dataset.ready = "true";
    }
    const lat = parseFloat($("lat").value);
    const lon = parseFloat($("lon").value);
    if (Number.isFinite(lat) && Number.isFinite(lon)) this.show(lat, lon, null);
    else this.say(M.noPosition);
    for (const id of ["lat", "lon"]) {
      $(id).addEventListener("change", () => {
        const la = parseFloat($("lat").value);
        const lo = parseFloat($("lon").value);
        if (Number.isFinite(la) && Number.isFinite(lo)) this.set(la, lo, "map", { message: M.mapChosen });
      });
    }
    const button = $("use-gps");
    if (button && "geolocation" in navigator) {
      button.hidden = false;
      button.addEventListener("click", () => this.locate());
    }
  },
  locate() {
    this.say(M.gpsWaiting);
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const { latitude, longitude, accuracy } = pos.coords;
        this.set(latitude, longitude, "gps", {
          accuracy,
          message: fmt(M.gpsOk, { m: Math.round(accuracy) }),
        });
      },
      (err) => this.say(err.code === err.PERMISSION_DENIED ? M.gpsDenied : M.gpsFailed, true),
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 },
    );
  },
};

// --- the draft ------------------------------------------------------------------------------

const state = { photos: [], recording: null };
const TEXT_FIELDS = [
  "title", "body", "lat", "lon", "accuracy", "position_source", "era", "language",
  "credit_name", "photo_caption", "photo_licence", "audio_licence", "author_name",
  "consent_method", "consent_date", "idempotency_key",
];

function collectDraft() {
  const values = {};
  for (const name of TEXT_FIELDS) if (form.elements[name]) values[name] = form.elements[name].value;
  values.themes = [...form.querySelectorAll("input[name=themes]:checked")].map((i) => i.value);
  values.licence_consent = !!$("licence_consent")?.checked;
  values.not_duplicate = !!$("not_duplicate")?.checked;
  return {
    values,
    photos: state.photos.map((p) => ({
      blob: p.file, name: p.file.name, type: p.file.type, licence: p.licence,
    })),
    recording: state.recording,
    savedAt: Date.now(),
  };
}

let draftTimer = null;
function changed() {
  if (!isNew) return;
  clearTimeout(draftTimer);
  draftTimer = setTimeout(() => saveDraft(DRAFT, collectDraft()).catch(() => {}), 400);
}

async function restoreDraft() {
  const draft = await loadDraft(DRAFT).catch(() => null);
  if (!draft) return false;
  const v = draft.values || {};
  for (const name of TEXT_FIELDS) {
    if (form.elements[name] && v[name] != null && v[name] !== "") form.elements[name].value = v[name];
  }
  for (const input of form.querySelectorAll("input[name=themes]")) input.checked = (v.themes || []).includes(input.value);
  if ($("licence_consent")) $("licence_consent").checked = !!v.licence_consent;
  if ($("not_duplicate")) $("not_duplicate").checked = !!v.not_duplicate;
  for (const p of draft.photos || []) {
    addPhoto(new File([p.blob], p.name, { type: p.type || p.blob.type }), {
      quiet: true, licence: p.licence || null,
    });
  }
  if (draft.recording) setRecording(draft.recording);
  return true;
}

// --- photos ---------------------------------------------------------------------------------

// Each photo has its own licence select (name "photo_licences", in the order of the photos,
// so the API and the offline queue get one value per photo). A photo whose licence was not
// chosen by hand (licence null) follows the general "photo_licence" select.
const generalLicence = () => form.elements.photo_licence?.value || "";

function licenceField(entry, index) {
  const wrap = document.createElement("div");
  wrap.className = "field photo-licence";
  const label = document.createElement("label");
  const select = document.createElement("select");
  select.id = `photo-licence-${index}`;
  select.name = "photo_licences";
  select.setAttribute("aria-label", fmt(M.photoLicence, { name: entry.file.name }));
  label.htmlFor = select.id;
  label.textContent = M.licence;
  for (const { code, name } of config.licences || []) select.append(new Option(name, code));
  select.value = entry.licence || generalLicence();
  select.addEventListener("change", () => {
    entry.licence = select.value;
    changed();
  });
  entry.select = select;
  wrap.append(label, select);
  return wrap;
}

function followGeneralLicence() {
  const list = isNew ? state.photos : editPhotos;
  for (const entry of list) {
    if (!entry.licence && entry.select) entry.select.value = generalLicence();
  }
}

function initLicences() {
  if (!(config.licences || []).length) return;
  const hint = $("photo-licence-hint");
  if (hint) hint.hidden = false;
  form.elements.photo_licence?.addEventListener("change", followGeneralLicence);
}

function renderPhotos() {
  const list = $("photo-list");
  if (!list) return;
  list.replaceChildren();
  state.photos.forEach((p, index) => {
    const li = document.createElement("li");
    const img = document.createElement("img");
    img.alt = p.file.name;
    img.src = p.url;
    img.addEventListener("error", () => img.replaceWith(document.createTextNode(p.file.name)));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button small";
    remove.textContent = M.removePhoto;
    remove.setAttribute("aria-label", `${M.removePhoto}: ${p.file.name}`);
    remove.addEventListener("click", () => {
      URL.revokeObjectURL(p.url);
      state.photos.splice(index, 1);
      renderPhotos();
      changed();
    });
    li.append(img, licenceField(p, index), remove);
    list.append(li);
  });
}

async function addPhoto(file, { quiet = false, licence = null } = {}) {
  const max = config.limits?.maxPhotos || 8;
  if (state.photos.length >= max) return;
  const entry = { file, url: URL.createObjectURL(file), gps: null, licence };
  state.photos.push(entry);
  renderPhotos();
  try {
    const found = await exifGps(file);
    if (found && Number.isFinite(found.latitude) && Number.isFinite(found.longitude)
        && !(found.latitude === 0 && found.longitude === 0)) {
      entry.gps = { lat: found.latitude, lon: found.longitude };
    }
  } catch {
    entry.gps = null;
  }
  if (!quiet) photoPositionHint(entry);
}

function photoPositionHint(entry) {
  const status = $("photo-gps-status");
  const button = $("use-photo-position");
  if (!status || !button) return;
  if (entry.gps) {
    status.textContent = M.photoHasGps;
    status.classList.remove("warn");
    button.hidden = false;
    button.onclick = () => {
      position.set(entry.gps.lat, entry.gps.lon, "photo", { message: M.photoPosition });
      button.hidden = true;
    };
  } else {
    status.textContent = M.photoNoGps;
    status.classList.add("warn");
    button.hidden = true;
  }
}

// The edit page posts the form itself: the files stay in their input, and one licence
// select per chosen file follows it in the same order.
let editPhotos = [];

function initEditPhotos() {
  const input = $("photo");
  const list = $("photo-list");
  if (!input || !list) return;
  input.addEventListener("change", () => {
    editPhotos = [...input.files].map((file) => ({ file, licence: null }));
    list.replaceChildren(...editPhotos.map((entry, index) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = entry.file.name;
      li.append(name, licenceField(entry, index));
      return li;
    }));
  });
}

function initPhotos() {
  for (const id of ["photo", "photo-camera"]) {
    const input = $(id);
    if (!input) continue;
    input.addEventListener("change", async () => {
      for (const file of input.files) await addPhoto(file);
      // The files now live in `state`; the input is emptied so nothing is sent twice.
      input.value = "";
      changed();
    });
  }
}

// --- recording ------------------------------------------------------------------------------

function setRecording(rec) {
  state.recording = rec;
  const preview = $("rec-preview");
  const discard = $("rec-discard");
  if (!preview) return;
  if (rec) {
    preview.src = URL.createObjectURL(rec.blob);
    preview.hidden = false;
    discard.hidden = false;
    $("rec-status").textContent = fmt(M.recorded, { s: rec.seconds });
  } else {
    preview.removeAttribute("src");
    preview.hidden = true;
    discard.hidden = true;
    $("rec-status").textContent = "";
  }
}

function initRecorder() {
  const box = $("recorder");
  if (!box) return;
  if (!recordingSupported()) {
    $("rec-status").textContent = M.recUnavailable;
    return;
  }
  box.hidden = false;
  let recorder = null;
  const start = $("rec-start");
  const stop = $("rec-stop");
  start.addEventListener("click", async () => {
    recorder = new Recorder({
      maxSeconds: config.limits?.maxAudioSeconds || 600,
      onTick: (s) => { $("rec-status").textContent = fmt(M.recording, { s: Math.floor(s) }); },
    });
    try {
      await recorder.start();
    } catch {
      $("rec-status").textContent = M.micDenied;
      return;
    }
    start.disabled = true;
    stop.disabled = false;
    stop.focus();
  });
  stop.addEventListener("click", async () => {
    const result = await recorder.stop();
    start.disabled = false;
    stop.disabled = true;
    const name = `recording.${extensionFor(result.blob.type)}`;
    setRecording({ blob: result.blob, name, seconds: result.seconds });
    changed();
  });
  $("rec-discard").addEventListener("click", () => {
    setRecording(null);
    changed();
  });
}

// --- "is it one of these?" --------------------------------------------------------------------
// As soon as a position is chosen (and again as the title is typed), the public places near it
// are offered first: each with a button that takes the text typed so far to that place's
// add-a-story form. A new place is made only with "It is a different place".

let similarTimer = null;
function checkSimilar() {
  if (!isNew) return;
  clearTimeout(similarTimer);
  similarTimer = setTimeout(async () => {
    const title = $("title").value.trim();
    const lat = $("lat").value;
    const lon = $("lon").value;
    if (!lat || !lon || !navigator.onLine) return;
    const url = `${form.dataset.similar}?${new URLSearchParams({ title, lat, lon })}`;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok) showCandidates((await response.json()).candidates);
    } catch {
      // offline: the server asks again when the story is sent
    }
  }, 400);
}

function showCandidates(candidates) {
  const box = $("duplicate-hint");
  const list = $("duplicate-list");
  list.replaceChildren();
  for (const c of candidates || []) {
    const id = encodeURIComponent(c.id);
    const li = document.createElement("li");
    li.dataset.place = String(c.id);
    const a = document.createElement("a");
    a.href = c.url || `/places/${id}`;
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = c.title;
    const meta = document.createElement("span");
    meta.className = "meta";
    const stories = c.story_count === 1 ? M.oneStory : fmt(M.manyStories, { n: c.story_count ?? 0 });
    meta.textContent = ` (${c.distance_m} m · ${stories}) `;
    const carry = document.createElement("button");
    carry.type = "submit";
    carry.className = "button small";
    carry.formAction = c.add_story_url || `/places/${id}/stories/new`;
    carry.formMethod = "post";
    carry.formEnctype = "application/x-www-form-urlencoded";
    carry.formNoValidate = true;
    carry.dataset.carry = "";
    carry.textContent = fmt(M.addStoryTo, { place: c.title });
    li.append(a, meta, carry);
    list.append(li);
  }
  box.hidden = !(candidates && candidates.length);
}

// "Add my story to …": the form itself goes to that place's add-a-story page with the text
// (the browser posts it; files stay behind). The draft here is done with.
let carrying = false;
async function carryOver(event) {
  if (carrying) return true;
  event.preventDefault();
  carrying = true;
  clearTimeout(draftTimer);
  await clearDraft(DRAFT).catch(() => {});
  form.requestSubmit(event.submitter);
  return true;
}

async function askAboutQueued() {
  // A story queued offline that the server answered with places nearby waits for the
  // contributor's answer on "My contributions": say so here, never drop it silently.
  const records = await listQueued().catch(() => []);
  if (!records.some((r) => r.status === "failed" && r.errorCode === "possible_duplicate")) return;
  const notice = $("queue-status");
  const link = document.createElement("a");
  link.href = form.dataset.mine;
  link.textContent = M.queuedAsks;
  notice.replaceChildren(link);
  notice.hidden = false;
  notice.dataset.asks = "true";
}

// --- sending --------------------------------------------------------------------------------

function clearErrors() {
  for (const el of form.querySelectorAll(".error.js-error")) el.remove();
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

const FIELD_TARGETS = {
  position: "position", photo: "photos", photo_licences: "photos", audio: "recording",
  licence_consent: "licence_consent", idempotency_key: "submit",
};

function showError(field, message) {
  const targetId = FIELD_TARGETS[field] || field;
  const target = $(targetId) || $("submit");
  const p = document.createElement("p");
  p.className = "error js-error";
  p.id = `${targetId}-js-error`;
  p.setAttribute("role", "alert");
  p.textContent = message;
  if (target.matches("input, textarea, select")) {
    target.setAttribute("aria-invalid", "true");
    target.setAttribute("aria-describedby", p.id);
    (target.closest(".field, label, fieldset") || target).after(p);
  } else {
    target.append(p);
  }
  return target;
}

function buildRecord() {
  const fields = [];
  for (const el of form.elements) {
    if (!el.name || el.type === "file" || el.name === "csrf_token") continue;
    if ((el.type === "checkbox" || el.type === "radio") && !el.checked) continue;
    fields.push([el.name, el.value]);
  }
  const files = state.photos.map((p) => ({ field: "photo", blob: p.file, name: p.file.name }));
  if (state.recording) {
    files.push({ field: "audio", blob: state.recording.blob, name: state.recording.name });
  } else if ($("audio")?.files[0]) {
    const f = $("audio").files[0];
    files.push({ field: "audio", blob: f, name: f.name });
  }
  if ($("consent_scan")?.files[0]) {
    const f = $("consent_scan").files[0];
    files.push({ field: "consent_scan", blob: f, name: f.name });
  }
  return {
    key: $("idempotency_key").value,
    apiUrl: form.dataset.api,
    title: $("title").value.trim(),
    fields,
    files,
  };
}

function checkBeforeSending() {
  const problems = [];
  if (!$("title").value.trim()) problems.push(["title", M.titleMissing]);
  const lat = parseFloat($("lat").value);
  const lon = parseFloat($("lon").value);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) {
    if (!state.photos.some((p) => p.gps)) problems.push(["position", M.noPosition]);
  } else if (!insideArea(lon, lat, config.serviceArea)) {
    // The server refuses it too; saying so here spares a round trip on a slow network.
    problems.push(["position", M.outside]);
  }
  if (!$("licence_consent").checked) problems.push(["licence_consent", M.consentMissing]);
  return problems;
}

async function queueIt(record, message) {
  await enqueue(record);
  await clearDraft(DRAFT);
  const notice = $("queue-status");
  notice.hidden = false;
  notice.textContent = message;
  resetForm();
}

function resetForm() {
  form.reset();
  state.photos = [];
  renderPhotos();
  setRecording(null);
  $("idempotency_key").value = crypto.randomUUID().replaceAll("-", "");
  for (const id of ["lat", "lon", "accuracy", "position_source"]) $(id).value = "";
  position.say(M.noPosition);
}

async function submit(event) {
  if (event.submitter?.hasAttribute("data-carry")) {
    await carryOver(event);
    return;
  }
  event.preventDefault();
  clearErrors();
  const status = $("form-status");
  const problems = checkBeforeSending();
  if (problems.length) {
    let first = null;
    for (const [field, message] of problems) first = first || showError(field, message);
    first.focus?.();
    return;
  }
  const record = buildRecord();
  if (!record.fields.some(([name]) => name === "lat") || !$("lat").value) {
    record.fields.push(["position_from_photo", "1"]);
  }
  const size = record.files.reduce((sum, f) => sum + f.blob.size, 0);
  if (config.limits?.maxRequestBytes && size > config.limits.maxRequestBytes) {
    showError("photo", M.tooLarge);
    return;
  }
  if (!navigator.onLine) {
    await queueIt(record, M.queued);
    return;
  }
  status.textContent = M.sending;
  $("submit").disabled = true;
  let answer;
  try {
    answer = await sendWithToken(record);
  } catch {
    $("submit").disabled = false;
    status.textContent = "";
    await queueIt(record, M.queuedError);
    return;
  }
  $("submit").disabled = false;
  status.textContent = "";
  if (answer.ok) {
    await clearDraft(DRAFT);
    window.location.assign(`${form.dataset.mine}?sent=${answer.body.id}#place-${answer.body.id}`);
    return;
  }
  if (answer.status >= 500 || answer.status === 429) {
    await queueIt(record, M.queuedError);
    return;
  }
  const error = answer.body?.error || {};
  if (error.code === "possible_duplicate") {
    showCandidates(error.candidates);
    $("duplicate-hint").scrollIntoView({ block: "start" });
  }
  const fields = error.fields || { [error.field || "submit"]: error.message || fmt(M.failed, { msg: answer.status }) };
  let first = null;
  for (const [field, message] of Object.entries(fields)) first = first || showError(field, message);
  first?.focus?.();
}

async function sendWithToken(record) {
  // A fresh token rather than the one in the page: the page may be old (restored from a
  // cache, or the session changed in another tab).
  let token = form.elements.csrf_token.value;
  try {
    token = await freshCsrfToken();
  } catch (error) {
    if (error.message === "login") throw error;
  }
  return sendRecord(record, token);
}

// --- start ----------------------------------------------------------------------------------

async function main() {
  if (!form) return;
  position.init();
  initLicences();
  if (!isNew) {
    initEditPhotos(); // the edit page posts itself: map and per-photo licences only
    return;
  }
  initPhotos();
  initRecorder();
  if (await restoreDraft()) {
    const notice = $("queue-status");
    notice.hidden = false;
    notice.textContent = M.draftRestored;
    const lat = parseFloat($("lat").value);
    const lon = parseFloat($("lon").value);
    if (Number.isFinite(lat) && Number.isFinite(lon)) position.show(lat, lon, null);
  }
  if ($("lat").value && $("lon").value) checkSimilar();
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  $("title").addEventListener("input", checkSimilar);
  form.addEventListener("submit", submit);
  // Anything queued earlier goes out as soon as there is a connection.
  const flush = () => flushQueue().catch(() => {}).then(askAboutQueued);
  window.addEventListener("online", flush);
  if (navigator.onLine) flush();
  else askAboutQueued();
  form.dataset.ready = "true";
}

main();
