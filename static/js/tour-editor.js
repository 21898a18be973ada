// Tour editor (templates/tours/edit.html). The page is one ordinary form that works without
// JavaScript (each stop's Move up / Move down / Remove buttons post it); this adds: picking
// places on a map or by search, reordering stops in the page by dragging their handle (touch,
// pen or mouse, with SortableJS) or with the same buttons from the keyboard, every move
// announced to screen readers; the order proposal; and drawing the route with leaflet-geoman.
import Sortable from "sortablejs";
import { readJson } from "/static/js/helpers.js";
import { L, baseMap, stopIcon } from "/static/js/map.js";

document.documentElement.classList.add("js");

const data = readJson("tour-editor-data") || {};
const config = readJson("map-config");
const strings = document.getElementById("editor-strings")?.dataset || {};
const rows = document.getElementById("stop-rows");
const status = document.getElementById("stop-status");
const template = document.getElementById("stop-template");

function fill(text, values) {
  return String(text || "").replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}

function announce(text) {
  // Cleared first so the same sentence twice is read twice.
  status.textContent = "";
  window.setTimeout(() => { status.textContent = text; }, 30);
}

function fold(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

const placesById = new Map((data.places || []).map((p) => [p.id, p]));
for (const s of data.stops || []) {
  if (!placesById.has(s.place_id)) placesById.set(s.place_id, { id: s.place_id, title: s.title, lon: s.lon, lat: s.lat });
}

function stopRows() {
  return [...rows.querySelectorAll(".stop-row")];
}

function titleOf(row) {
  return row.querySelector(".stop-title").textContent;
}

function renumber() {
  const all = stopRows();
  all.forEach((row, i) => {
    const n = i + 1;
    row.querySelector(".stop-number").textContent = String(n);
    for (const [name, prefix] of [["stop_note", "stop-note"], ["stop_access", "stop-access"], ["stop_dwell", "stop-dwell"]]) {
      const input = row.querySelector(`[name="${name}"]`);
      input.id = `${prefix}-${n}`;
      const label = input.closest(".field").querySelector("label");
      label.htmlFor = input.id;
    }
    row.querySelector('[data-move="up"]').disabled = i === 0;
    row.querySelector('[data-move="down"]').disabled = i === all.length - 1;
  });
  const none = document.getElementById("no-stops");
  if (none) none.hidden = all.length > 0;
  document.dispatchEvent(new CustomEvent("stops-changed"));
}

// A row added here gets what the server gives its own rows: button values for posting
// without the script, and names that say which stop a button moves.
function nameButtons(row) {
  const title = titleOf(row);
  const place = row.dataset.place;
  for (const [selector, kind, text] of [['[data-move="up"]', "up", strings.nameUp], ['[data-move="down"]', "down", strings.nameDown], ["[data-remove]", "remove", strings.nameRemove]]) {
    const button = row.querySelector(selector);
    button.value = `${kind}:${place}`;
    button.setAttribute("aria-label", fill(text, { title }));
  }
}

function addStop(place) {
  if (stopRows().some((r) => Number(r.dataset.place) === place.id)) {
    announce(fill(strings.already, { title: place.title }));
    return;
  }
  const row = template.content.firstElementChild.cloneNode(true);
  row.dataset.place = String(place.id);
  row.querySelector('[name="stop_place"]').value = String(place.id);
  row.id = `stop-${place.id}`;
  row.querySelector(".stop-title").textContent = place.title;
  rows.append(row);
  nameButtons(row);
  renumber();
  announce(fill(strings.added, { title: place.title, n: stopRows().length }));
}

function move(row, delta) {
  const all = stopRows();
  const index = all.indexOf(row);
  const target = index + delta;
  if (target < 0 || target >= all.length) return;
  if (delta < 0) rows.insertBefore(row, all[target]);
  else rows.insertBefore(row, all[target].nextSibling);
  renumber();
  announce(fill(strings.moved, { title: titleOf(row), n: target + 1, total: all.length }));
  row.querySelector(`[data-move="${delta < 0 ? "up" : "down"}"]`).focus();
  if (row.querySelector(`[data-move="${delta < 0 ? "up" : "down"}"]`).disabled) {
    row.querySelector(`[data-move="${delta < 0 ? "down" : "up"}"]`).focus();
  }
}

rows.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  const row = button.closest(".stop-row");
  // In the page the move is immediate; Save stores it with everything else.
  if (button.dataset.move || button.hasAttribute("data-remove")) event.preventDefault();
  if (button.dataset.move) move(row, button.dataset.move === "up" ? -1 : 1);
  if (button.hasAttribute("data-remove")) {
    const title = titleOf(row);
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    renumber();
    announce(fill(strings.removed, { title }));
    (next?.querySelector("[data-remove]") || document.getElementById("place-search"))?.focus();
  }
});

// Dragging by the handle. SortableJS follows the finger itself (pointer and touch events), so
// this works on phones, where the HTML drag-and-drop API does not.
rows.addEventListener("pointerdown", (event) => {
  // Grabbing a handle ends typing, as tapping anywhere else would: with a text field still
  // focused, the selection SortableJS clears at the start of a drag makes the browser scroll
  // that field back into view, away from the finger.
  if (event.target.closest(".drag-handle")) document.activeElement?.blur?.();
}, true);
Sortable.create(rows, {
  draggable: ".stop-row",
  handle: ".drag-handle",
  animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? 0 : 150,
  onEnd(event) {
    if (event.oldIndex === event.newIndex) return;
    renumber();
    const all = stopRows();
    announce(fill(strings.moved, { title: titleOf(event.item), n: all.indexOf(event.item) + 1, total: all.length }));
  },
});

renumber();

// --- picking places: map and search ------------------------------------------------------------
const picker = document.getElementById("picker");
picker.hidden = false;
const pickerMap = baseMap(document.getElementById("picker-map"), config);
const placeMarkers = [];
for (const place of data.places || []) {
  const marker = L.marker([place.lat, place.lon], { title: place.title, alt: place.title, keyboard: true });
  marker.on("click", () => addStop(place));
  marker.addTo(pickerMap);
  placeMarkers.push(marker);
}
if (placeMarkers.length > 1) {
  pickerMap.fitBounds(L.featureGroup(placeMarkers).getBounds(), { padding: [16, 16] });
} else {
  pickerMap.setView([config.centre[1], config.centre[0]], config.zoom);
}
document.getElementById("picker-map").dataset.ready = "true";

const search = document.getElementById("place-search");
const results = document.getElementById("place-results");
search.addEventListener("input", () => {
  const q = fold(search.value.trim());
  results.replaceChildren();
  if (!q) return;
  const found = (data.places || []).filter((p) => fold(p.title).includes(q)).slice(0, 10);
  if (!found.length) {
    const li = document.createElement("li");
    li.textContent = strings.none;
    results.append(li);
    return;
  }
  for (const place of found) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button small";
    button.textContent = fill(strings.add, { title: place.title });
    button.addEventListener("click", () => { addStop(place); search.focus(); });
    li.append(button);
    results.append(li);
  }
});
search.addEventListener("keydown", (event) => {
  // Enter adds the first match instead of submitting the whole form.
  if (event.key !== "Enter") return;
  event.preventDefault();
  results.querySelector("button")?.click();
});

// --- suggested order -----------------------------------------------------------------------------
const suggestForm = document.getElementById("suggest-form");
const proposal = document.getElementById("proposal");

function formatMetres(m) {
  return m >= 1000 ? `${(m / 1000).toLocaleString(document.documentElement.lang, { maximumFractionDigits: 1 })} km` : `${Math.round(m / 10) * 10} m`;
}

suggestForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = new FormData(suggestForm);
  for (const row of stopRows()) body.append("place", row.dataset.place);
  let answer;
  try {
    const resp = await fetch(suggestForm.action, { method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!resp.ok) throw new Error(String(resp.status));
    answer = await resp.json();
  } catch {
    proposal.hidden = false;
    proposal.textContent = strings.failed;
    return;
  }
  proposal.replaceChildren();
  proposal.hidden = false;
  const p = document.createElement("p");
  if (answer.unreachable?.length) {
    // the walking network does not join these stops: the order is left as it is
    p.textContent = strings.unreachable;
    const missing = document.createElement("ul");
    missing.id = "proposal-unreachable";
    for (const stop of answer.unreachable) {
      const li = document.createElement("li");
      li.textContent = fill(strings.stop, { n: stop.number, title: stop.title });
      missing.append(li);
    }
    proposal.append(p, missing);
    return;
  }
  if (!answer.changed) {
    p.textContent = strings.same;
    proposal.append(p);
    return;
  }
  p.textContent = fill(answer.measure === "network" ? strings.shorterNetwork : strings.shorter, { after: formatMetres(answer.length_after_m), before: formatMetres(answer.length_before_m) });
  const list = document.createElement("ol");
  list.id = "proposal-list";
  for (const id of answer.order) {
    const li = document.createElement("li");
    li.textContent = placesById.get(id)?.title || String(id);
    list.append(li);
  }
  const buttons = document.createElement("p");
  buttons.className = "button-row";
  const accept = document.createElement("button");
  accept.type = "button";
  accept.className = "button primary";
  accept.id = "accept-order";
  accept.textContent = strings.accept;
  const keep = document.createElement("button");
  keep.type = "button";
  keep.className = "button";
  keep.textContent = strings.keep;
  buttons.append(accept, keep);
  proposal.append(p, list, buttons);
  accept.addEventListener("click", () => {
    const byId = new Map(stopRows().map((r) => [Number(r.dataset.place), r]));
    for (const id of answer.order) rows.append(byId.get(id));
    renumber();
    proposal.hidden = true;
    announce(strings.accepted);
    document.getElementById("save-tour").focus();
  });
  keep.addEventListener("click", () => { proposal.hidden = true; suggestForm.querySelector("button").focus(); });
  accept.focus();
});

// --- drawing the route -----------------------------------------------------------------------
const draw = document.getElementById("draw");
if (draw) {
  draw.hidden = false;
  // leaflet-geoman is a classic script that extends a global L; the ES module namespace is
  // read-only, so it gets a copy whose classes are the same objects the maps use. It must run
  // before the map is made: it adds itself to maps in a constructor hook.
  window.L = { ...L };
  await import("@geoman-io/leaflet-geoman-free");
  const routeMap = baseMap(document.getElementById("route-map"), config);
  const drawn = document.getElementById("drawn-route");
  const save = document.getElementById("draw-save");
  const drawStatus = document.getElementById("draw-status");
  let routeLayer = null;
  const stopLayer = L.featureGroup().addTo(routeMap);

  const drawStops = () => {
    stopLayer.clearLayers();
    stopRows().forEach((row, i) => {
      const place = placesById.get(Number(row.dataset.place));
      if (place?.lat != null) L.marker([place.lat, place.lon], { icon: stopIcon(i + 1), title: place.title, alt: place.title, interactive: false }).addTo(stopLayer);
    });
  };
  drawStops();
  document.addEventListener("stops-changed", drawStops);

  const remember = (layer) => {
    const geometry = layer.toGeoJSON().geometry;
    drawn.value = JSON.stringify(geometry);
    save.disabled = false;
    drawStatus.textContent = fill(strings.drawn, { n: geometry.coordinates.length });
  };

  routeMap.pm.setLang(document.documentElement.lang === "de" ? "de" : "en");

  if (data.route) {
    routeLayer = L.geoJSON(data.route, { style: { color: "#1d4e89", weight: 5 } }).getLayers()[0];
    routeLayer.addTo(routeMap);
    routeLayer.pm.enable({ allowSelfIntersection: true });
    routeLayer.on("pm:edit", () => remember(routeLayer));
    routeMap.fitBounds(routeLayer.getBounds(), { padding: [24, 24] });
  } else if (stopLayer.getLayers().length > 1) {
    routeMap.fitBounds(stopLayer.getBounds(), { padding: [24, 24] });
  } else {
    routeMap.setView([config.centre[1], config.centre[0]], config.zoom);
  }

  routeMap.on("pm:create", (event) => {
    if (routeLayer) routeLayer.remove();
    routeLayer = event.layer;
    routeLayer.pm.enable({ allowSelfIntersection: true });
    routeLayer.on("pm:edit", () => remember(routeLayer));
    remember(routeLayer);
  });
  document.getElementById("draw-start").addEventListener("click", () => {
    routeMap.pm.enableDraw("Line", { finishOn: null });
    drawStatus.textContent = strings.drawing;
  });
  document.getElementById("route-map").dataset.ready = "true";
}
