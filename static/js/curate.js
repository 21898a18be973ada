// Curator pages: maps of the queue and of one item (its position, the 100 m circle and the
// public places in it as possible duplicates), decisions sent with fetch so the next item
// opens without a full page reload, reply templates and keyboard shortcuts
// (a approve, r reject, c ask for changes, j next, k previous). Every form works without
// this script: the server answers a plain form post with a redirect to the next item.
import { readJson } from "/static/js/helpers.js";
import { L, baseMap } from "/static/js/map.js";

document.documentElement.classList.add("js");

const STRINGS = readJson("curate-strings") || {};
const COLOURS = { item: "#1d4e89", old: "#6b6b6b", similar: "#a4161a", near: "#b35c00" };

function circlePoint(latlng, colour, radius = 9) {
  return L.circleMarker(latlng, { radius, color: colour, weight: 3, fillColor: colour, fillOpacity: 0.5 });
}

function queueMap(el, config) {
  const data = readJson(`${el.id}-data`) || { items: [] };
  const map = baseMap(el, config);
  // A view first: vector layers need the map's projection when they are added.
  map.setView([config.centre[1], config.centre[0]], config.zoom);
  const layers = [];
  for (const item of data.items) {
    const marker = circlePoint([item.lat, item.lon], item.kind === "flag" ? COLOURS.similar : COLOURS.item);
    const link = document.createElement("a");
    link.href = item.url;
    link.textContent = item.title;
    marker.bindPopup(link).addTo(map);
    layers.push(marker);
  }
  if (layers.length) {
    map.fitBounds(L.featureGroup(layers).getBounds(), { padding: [24, 24], maxZoom: 17 });
  }
  el.dataset.ready = "true";
  el.dataset.markers = String(layers.length);
}

function itemMap(el, config) {
  const data = readJson(`${el.id}-data`) || {};
  const map = baseMap(el, config);
  const here = [data.item.lat, data.item.lon];
  map.setView(here, 17);
  const layers = [];
  if (data.radius) {
    layers.push(L.circle(here, { radius: data.radius, color: COLOURS.item, weight: 1, fill: false }).addTo(map));
  }
  if (data.old) {
    const old = [data.old.lat, data.old.lon];
    layers.push(circlePoint(old, COLOURS.old, 7).bindTooltip(STRINGS.publicPosition || "").addTo(map));
    layers.push(L.polyline([old, here], { color: COLOURS.old, dashArray: "4 6" }).addTo(map));
  }
  let nearbyCount = 0;
  for (const n of data.nearby || []) {
    const marker = circlePoint([n.lat, n.lon], n.similar ? COLOURS.similar : COLOURS.near, 7);
    marker.bindTooltip(`${n.title} (${Math.round(n.distance_m)} m)`).addTo(map);
    marker.getElement()?.classList.add(n.similar ? "dupe-similar" : "dupe-near");
    layers.push(marker);
    nearbyCount += 1;
  }
  const item = circlePoint(here, COLOURS.item, 11).bindTooltip(data.item.title).addTo(map);
  layers.push(item);
  map.fitBounds(L.featureGroup(layers).getBounds(), { padding: [24, 24], maxZoom: 18 });

  // A click moves the position in the form next to the map (correct before approving, edit).
  const lat = document.querySelector("[data-pos=lat]");
  const lon = document.querySelector("[data-pos=lon]");
  if (lat && lon) {
    map.on("click", (event) => {
      item.setLatLng(event.latlng);
      lat.value = event.latlng.lat.toFixed(7);
      lon.value = event.latlng.lng.toFixed(7);
      const box = lat.closest("details");
      if (box) box.open = true;
    });
  }
  el.dataset.ready = "true";
  el.dataset.nearby = String(nearbyCount);
}

function initMaps(root) {
  const config = readJson("map-config");
  if (!config) return;
  for (const el of root.querySelectorAll("[data-curate-map]")) {
    if (el.dataset.ready) continue;
    if (el.dataset.curateMap === "queue") queueMap(el, config);
    else itemMap(el, config);
  }
}

// --- decisions without a reload -------------------------------------------------------------

function liveRegion() {
  let region = document.getElementById("curate-live");
  if (!region) {
    region = document.createElement("p");
    region.id = "curate-live";
    region.className = "decision-status";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    document.querySelector("main").prepend(region);
  }
  return region;
}

function announce(text) {
  liveRegion().textContent = text || "";
}

function updateCounts(counts) {
  if (!counts) return;
  for (const el of document.querySelectorAll("[data-count]")) {
    const value = counts[el.dataset.count];
    if (value !== undefined) el.textContent = String(value);
  }
}

async function openItem(url, push = true) {
  const root = document.getElementById("curate-item");
  if (!url) {
    window.location.assign(root?.dataset.queueUrl || "/curate");
    return;
  }
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = doc.getElementById("curate-item");
  if (!response.ok || !fresh) {
    window.location.assign(response.url || url);
    return;
  }
  const adopted = document.importNode(fresh, true);
  root.replaceWith(adopted);
  document.title = doc.title;
  if (push) history.pushState({ url: response.url }, "", response.url);
  bindItem(adopted);
  const heading = adopted.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

function setBusy(form, busy) {
  for (const button of form.querySelectorAll("button")) button.disabled = busy;
}

// A refused decision comes back as problem+json (RFC 9457): `detail` says why, `fields` names
// each refused field with its message, and a stale one (409) carries the `current` version.
async function refused(form, status, problem) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const fields = problem.error?.fields || {};
  const named = problem.error?.field ? { [problem.error.field]: problem.detail } : {};
  for (const name of Object.keys({ ...named, ...fields })) {
    form.elements.namedItem(name)?.setAttribute?.("aria-invalid", "true");
  }
  const messages = Object.values(fields);
  const text = (messages.length ? messages.join(" ") : problem.detail) || STRINGS.failed;
  if (status === 409 && problem.error?.current) {
    // Someone else changed the place meanwhile: show what is there now (and its version),
    // so the next decision is made on the current state, never on the one seen before.
    await openItem(window.location.href, false);
  } else {
    setBusy(form, false);
  }
  announce(text);
}

async function sendDecision(form, submitter) {
  const body = new FormData(form, submitter);
  setBusy(form, true);
  announce(STRINGS.sending);
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": body.get("csrf_token") },
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      await refused(form, response.status, answer);
      return;
    }
    announce(answer.message);
    updateCounts(answer.counts);
    if (answer.full_page) {
      window.location.assign(answer.next_url);
      return;
    }
    await openItem(answer.next_url);
  } catch (error) {
    announce(error.message || STRINGS.failed);
    setBusy(form, false);
  }
}

function bindItem(root) {
  initMaps(root);
  const templates = readJson("reply-templates") || {};
  for (const select of root.querySelectorAll("[data-template-for]")) {
    select.addEventListener("change", () => {
      const target = document.getElementById(select.dataset.templateFor);
      if (target && templates[select.value]) target.value = templates[select.value];
    });
  }
  for (const form of root.querySelectorAll("form.decision-form, form[data-decision=merge]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      sendDecision(form, event.submitter);
    });
  }
}

function openBox(id, focusSelector) {
  const box = document.getElementById(id);
  if (!box) return false;
  box.open = true;
  box.querySelector(focusSelector)?.focus();
  return true;
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  if (event.target.closest?.("input, textarea, select, [contenteditable]")) return;
  const root = document.getElementById("curate-item");
  if (!root) return;
  const key = event.key.toLowerCase();
  if (key === "a") {
    const button = root.querySelector("#approve-button, [data-key=a]");
    if (button) {
      event.preventDefault();
      button.click();
    }
  } else if (key === "r") {
    event.preventDefault();
    if (!openBox("reject-box", "select, textarea")) root.querySelector("[data-key=r]")?.focus();
  } else if (key === "c") {
    event.preventDefault();
    openBox("changes-box", "textarea");
  } else if (key === "j" || key === "k") {
    const url = key === "j" ? root.dataset.nextUrl : root.dataset.prevUrl;
    if (url) {
      event.preventDefault();
      openItem(url);
    }
  }
});

window.addEventListener("popstate", (event) => {
  if (event.state?.url && document.getElementById("curate-item")) openItem(event.state.url, false);
});

const itemRoot = document.getElementById("curate-item");
if (itemRoot) {
  history.replaceState({ url: window.location.href }, "", window.location.href);
  bindItem(itemRoot);
} else {
  initMaps(document);
}
