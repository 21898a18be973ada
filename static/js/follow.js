// Follow mode: the live position on the tour map, the next stop with its distance and
// direction, and each stop opening when the visitor arrives. Everything it needs is in the
// page (the follow-data block), so a saved tour works with no connection at all.
//
// Progress lives on the phone (localStorage), so closing the browser and coming back resumes
// at the same stop. The buttons always work, with or without a position (indoors, no GPS).
import { fmt, readJson } from "/static/js/helpers.js";
import { L, baseMap, stopIcon } from "/static/js/map.js";
import { report, showRetired } from "/static/js/beacon.js";

const data = readJson("follow-data");
const S = readJson("follow-strings");
const config = readJson("map-config");
const root = document.querySelector("[data-follow]");
const LOCALE = document.documentElement.lang || "de";
const KEY = `stadtspur-follow:${data.slug}`;
const AUDIO_KEY = "stadtspur-follow-audio";
const stops = data.stops;

const $ = (name) => root.querySelector(`[data-${name}]`);
const panel = $("follow-panel");
const ui = {
  heading: $("next-heading"),
  title: $("next-title"),
  distance: $("next-distance"),
  arrow: $("bearing-arrow"),
  position: $("position-status"),
  offRoute: $("off-route"),
  locate: $("follow-locate"),
  prev: $("follow-prev"),
  next: $("follow-next"),
  audioChoice: $("follow-audio"),
  progress: $("progress"),
  stop: $("stop-open"),
  stopNumber: $("stop-number"),
  stopTitle: $("stop-title"),
  stopPhoto: $("stop-photo"),
  stopPhotoCredit: $("stop-photo-credit"),
  stopSummary: $("stop-summary"),
  stopAudio: $("stop-audio"),
  stopAudioCredit: $("stop-audio-credit"),
  stopAudioTranscript: $("stop-audio-transcript"),
  stopAudioTranscriptText: $("stop-audio-transcript-text"),
  stopLink: $("stop-link"),
  stopStories: $("stop-stories"),
  stopStoriesHeading: $("stop-stories-heading"),
  stopStoryList: $("stop-story-list"),
  stopNote: $("stop-note"),
  announcer: $("announcer"),
};

// --- geometry (metres on a small local scale: plenty for a walk) ---------------------------
const R = 6371008.8;
const rad = (d) => (d * Math.PI) / 180;

export function haversine(a, b) {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function bearing(a, b) {
  const y = Math.sin(rad(b.lon - a.lon)) * Math.cos(rad(b.lat));
  const x = Math.cos(rad(a.lat)) * Math.sin(rad(b.lat)) - Math.sin(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.cos(rad(b.lon - a.lon));
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

function routeCoords() {
  const g = data.route;
  if (!g) return stops.map((s) => [s.lon, s.lat]);
  if (g.type === "LineString") return g.coordinates;
  if (g.type === "MultiLineString") return g.coordinates.flat();
  return stops.map((s) => [s.lon, s.lat]);
}
const ROUTE = routeCoords();

/** Distance in metres from a position to the route, and where on it (segment, fraction). */
function nearestOnRoute(pos) {
  const kx = Math.cos(rad(pos.lat)) * (Math.PI / 180) * R;
  const ky = (Math.PI / 180) * R;
  let best = { distance: Infinity, segment: 0, point: ROUTE[0] };
  for (let i = 0; i < ROUTE.length - 1; i += 1) {
    const [ax, ay] = [(ROUTE[i][0] - pos.lon) * kx, (ROUTE[i][1] - pos.lat) * ky];
    const [bx, by] = [(ROUTE[i + 1][0] - pos.lon) * kx, (ROUTE[i + 1][1] - pos.lat) * ky];
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const t = len2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2)) : 0;
    const px = ax + t * dx;
    const py = ay + t * dy;
    const d = Math.hypot(px, py);
    if (d < best.distance) {
      best = { distance: d, segment: i, point: [pos.lon + px / kx, pos.lat + py / ky] };
    }
  }
  if (ROUTE.length === 1) best = { distance: haversine(pos, { lon: ROUTE[0][0], lat: ROUTE[0][1] }), segment: 0, point: ROUTE[0] };
  return best;
}

/**
 * Metres to walk along a network route to stop ``target``: from where the position meets the
 * leg that ends there (data.stopIndexes: each stop's index in the line) to its end; null when
 * the route is not on the network or the position is off that leg.
 */
function distanceAlong(pos, target) {
  const ends = data.stopIndexes;
  if (!ends || target < 1 || target >= ends.length) return null;
  const first = ends[target - 1];
  const last = ends[target];
  const kx = Math.cos(rad(pos.lat)) * (Math.PI / 180) * R;
  const ky = (Math.PI / 180) * R;
  const seg = (i) => Math.hypot((ROUTE[i + 1][0] - ROUTE[i][0]) * kx, (ROUTE[i + 1][1] - ROUTE[i][1]) * ky);
  let best = { d: Infinity, i: first, t: 0 };
  for (let i = first; i < last; i += 1) {
    const [ax, ay] = [(ROUTE[i][0] - pos.lon) * kx, (ROUTE[i][1] - pos.lat) * ky];
    const [dx, dy] = [(ROUTE[i + 1][0] - ROUTE[i][0]) * kx, (ROUTE[i + 1][1] - ROUTE[i][1]) * ky];
    const len2 = dx * dx + dy * dy;
    const t = len2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2)) : 0;
    const d = Math.hypot(ax + t * dx, ay + t * dy);
    if (d < best.d) best = { d, i, t };
  }
  if (best.d > data.offRoute) return null;
  let metres = (1 - best.t) * seg(best.i);
  for (let i = best.i + 1; i < last; i += 1) metres += seg(i);
  return metres;
}

function formatDistance(m) {
  if (m < 1000) {
    return new Intl.NumberFormat(LOCALE, { style: "unit", unit: "meter", maximumFractionDigits: 0 }).format(Math.max(10, Math.round(m / 10) * 10));
  }
  return new Intl.NumberFormat(LOCALE, { style: "unit", unit: "kilometer", maximumFractionDigits: 1 }).format(m / 1000);
}

// --- progress kept on the phone ---------------------------------------------------------------
function loadState() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || "null");
    if (saved && Number.isInteger(saved.current) && saved.current >= -1 && saved.current < stops.length) {
      if (!saved.run || !Array.isArray(saved.run.reached) || !Array.isArray(saved.run.played)) saved.run = null;
      return saved;
    }
  } catch {
    // A damaged entry means: start again.
  }
  return { current: -1, run: null };
}
const state = loadState();
function saveState() {
  try {
    localStorage.setItem(KEY, JSON.stringify({ current: state.current, run: state.run, updatedAt: Date.now() }));
  } catch {
    // Private mode without storage: progress lasts as long as the page.
  }
}

// --- the map ----------------------------------------------------------------------------------
const mapEl = document.getElementById("follow-map");
const map = baseMap(mapEl, config);
const routeLine = L.polyline(ROUTE.map(([lon, lat]) => [lat, lon]), { color: "#6b7280", weight: 5, opacity: 0.7 }).addTo(map);
// Legs the walking network could not route (a stop off the mapped ways, or no way between two
// stops) are straight lines: drawn dashed over the route, so nobody takes them for a path.
for (const [from, to] of data.gaps || []) {
  const part = ROUTE.slice(from, to + 1).map(([lon, lat]) => [lat, lon]);
  L.polyline(part, { color: "#ffffff", weight: 6, opacity: 1 }).addTo(map);
  L.polyline(part, { color: "#6b7280", weight: 5, dashArray: "8 8", className: "route-gap" }).addTo(map);
}
const aheadLine = L.polyline([], { color: "#1d4e89", weight: 6, opacity: 0.95 }).addTo(map);
const markers = stops.map((s) => L.marker([s.lat, s.lon], { icon: stopIcon(s.number), title: s.title, alt: s.title, keyboard: false }).addTo(map));
markers.forEach((marker, i) => marker.on("click", () => openStop(i, { by: "hand" })));
map.fitBounds(routeLine.getBounds(), { padding: [24, 24] });
let youMarker = null;
let youCircle = null;
mapEl.dataset.ready = "true";

// --- what the panel says ------------------------------------------------------------------------
let position = null;

function announce(text) {
  ui.announcer.textContent = "";
  // A fresh text node so screen readers announce the same sentence twice in a row too.
  window.setTimeout(() => {
    ui.announcer.textContent = text;
  }, 50);
}

function nextIndex() {
  for (let i = state.current + 1; i < stops.length; i += 1) if (stops[i].available) return i;
  return -1;
}

function drawAhead() {
  const target = nextIndex();
  if (target < 0) {
    aheadLine.setLatLngs([]);
    return;
  }
  const from = position || (state.current >= 0 ? stops[state.current] : null);
  let coords = ROUTE;
  if (from) {
    const near = nearestOnRoute(from);
    coords = [near.point, ...ROUTE.slice(near.segment + 1)];
  }
  aheadLine.setLatLngs(coords.map(([lon, lat]) => [lat, lon]));
}

function render() {
  const target = nextIndex();
  root.dataset.current = String(state.current);
  root.dataset.target = String(target);
  ui.prev.disabled = state.current <= 0;
  ui.next.disabled = state.current >= stops.length - 1;
  ui.progress.textContent = state.current >= 0 ? fmt(S.progress, { n: stops[state.current].number, total: stops.length }) : S.notStarted;
  if (target < 0) {
    ui.heading.textContent = S.done;
    ui.title.textContent = "";
    ui.distance.textContent = "";
    ui.arrow.hidden = true;
  } else {
    const stop = stops[target];
    ui.heading.textContent = fmt(S.next, { n: stop.number, total: stops.length });
    ui.title.textContent = stop.title;
    if (position) {
      const along = distanceAlong(position, target);
      const metres = along ?? haversine(position, stop);
      const deg = bearing(position, stop);
      ui.distance.textContent = along === null
        ? fmt(S.distance, { distance: formatDistance(metres), direction: S.directions[Math.round(deg / 45) % 8] })
        : fmt(S.along, { distance: formatDistance(metres) });
      root.dataset.along = along === null ? "" : String(Math.round(along));
      ui.arrow.hidden = false;
      ui.arrow.style.transform = `rotate(${Math.round(deg)}deg)`;
      root.dataset.distance = String(Math.round(metres));
      root.dataset.bearing = String(Math.round(deg));
    } else {
      ui.distance.textContent = "";
      ui.arrow.hidden = true;
    }
  }
  document.querySelectorAll("#follow-stops [data-stop-index]").forEach((li) => {
    const i = Number(li.dataset.stopIndex);
    li.classList.toggle("is-current", i === state.current);
    li.classList.toggle("is-done", i < state.current);
    if (i === state.current) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
  });
  drawAhead();
}

// "© Name · Licence" under a photo or recording, the licence linked as on the place page.
function showCredit(el, credit, code) {
  el.replaceChildren();
  el.hidden = !code;
  if (!code) return;
  const [name, url] = (S.licences || {})[code] || [code, null];
  const small = document.createElement("small");
  if (credit) small.append(`© ${credit} · `);
  if (url) {
    const link = document.createElement("a");
    link.href = url;
    link.rel = "license";
    link.textContent = name;
    small.append(link);
  } else {
    small.append(name);
  }
  el.append(small);
}

// --- anonymous counts (static/js/beacon.js): once per follow run, kept in the state above ----
// A run starts with the first stop opened and ends when the last is reached; after that,
// opening the first stop again starts a new run. A resumed page counts nothing again.
const OFFERING = `tour:${data.slug}`;
function countRun(i) {
  if (!state.run || (state.run.completed && i === 0)) {
    state.run = { reached: [], played: [], completed: false };
    report(OFFERING, "follow_start");
  }
  const run = state.run;
  if (run.completed) return;
  const number = stops[i].number;
  if (!run.reached.includes(number)) {
    run.reached.push(number);
    report(OFFERING, "stop_reached", number);
  }
  if (i === stops.length - 1) {
    run.completed = true;
    report(OFFERING, "completion");
  }
}

// The stories a stop shows: the ones the tour's author featured there, else the place's
// newest (the server decides; a withdrawn or hidden story is no longer in the data).
function showStories(stop) {
  const stories = stop.available ? stop.stories || [] : [];
  ui.stopStories.hidden = stories.length === 0;
  ui.stopStoriesHeading.textContent = stop.featured ? S.featuredStories : S.moreStories;
  ui.stopStoryList.replaceChildren(...stories.map((story) => {
    const item = document.createElement("li");
    item.lang = story.language;
    const title = document.createElement("h4");
    title.textContent = story.title;
    item.append(title);
    if (story.credit) {
      const credit = document.createElement("p");
      credit.className = "meta";
      credit.textContent = fmt(S.toldBy, { name: story.credit });
      item.append(credit);
    }
    const excerpt = document.createElement("p");
    excerpt.textContent = story.excerpt;
    item.append(excerpt);
    if (story.url) {
      const link = document.createElement("a");
      link.href = story.url;
      link.textContent = S.readStory;
      item.append(link);
    }
    return item;
  }));
}

function openStop(i, { by }) {
  if (i < 0 || i >= stops.length) return;
  state.current = i;
  if (by !== "resume") countRun(i);
  saveState();
  const stop = stops[i];
  ui.stop.hidden = false;
  ui.stop.dataset.index = String(i);
  ui.stopNumber.textContent = `${stop.number}.`;
  ui.stopTitle.textContent = stop.available ? stop.title : "";
  ui.stopSummary.textContent = stop.summary;
  ui.stopNote.textContent = i < stops.length - 1 ? stop.note : "";
  ui.stopLink.hidden = !stop.url;
  if (stop.url) ui.stopLink.href = stop.url;
  showStories(stop);
  ui.stopPhoto.hidden = !stop.photo;
  if (stop.photo) {
    ui.stopPhoto.src = stop.photo;
    ui.stopPhoto.alt = stop.photoAlt || "";
  }
  showCredit(ui.stopPhotoCredit, stop.photoCredit, stop.photo ? stop.photoLicence : null);
  ui.stopAudio.hidden = !stop.audio;
  showCredit(ui.stopAudioCredit, stop.audioCredit, stop.audio ? stop.audioLicence : null);
  // The recording's text alternative (WCAG 1.2.1), also offline: it travels in the pack.
  const transcript = stop.audio ? stop.audioTranscript || "" : "";
  ui.stopAudioTranscript.hidden = !transcript;
  ui.stopAudioTranscript.open = false;
  ui.stopAudioTranscriptText.textContent = transcript;
  ui.stopAudio.pause();
  if (stop.audio) {
    ui.stopAudio.src = stop.audio;
  } else {
    ui.stopAudio.removeAttribute("src");
  }
  render();
  if (by === "arrival") {
    if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
    announce(fmt(S.arrived, { n: stop.number, title: stop.title }));
    if (stop.audio && ui.audioChoice.checked) {
      ui.stopAudio.play().catch(() => {
        // The browser wants a tap first: the player is there to press.
      });
    }
  }
}

// --- position -------------------------------------------------------------------------------
let watchId = null;
let wakeLock = null;

async function keepAwake() {
  if (!("wakeLock" in navigator) || watchId === null || document.visibilityState !== "visible") return;
  try {
    wakeLock = await navigator.wakeLock.request("screen");
  } catch {
    // Battery saver or an old browser: the screen may dim, following still works.
  }
}
document.addEventListener("visibilitychange", () => {
  // The browser releases the lock when the page is hidden; take it again on return.
  if (document.visibilityState === "visible" && watchId !== null) keepAwake();
});

function arrivalRadius(accuracy) {
  // Within 25 m, or within what the GPS can tell at all (capped, so a poor fix does not
  // open a stop from across the square).
  return Math.max(data.arrivalRadius, Math.min(accuracy || 0, 75));
}

function onPosition(pos) {
  const { longitude: lon, latitude: lat, accuracy } = pos.coords;
  position = { lon, lat, accuracy };
  const latlng = [lat, lon];
  if (!youMarker) {
    youCircle = L.circle(latlng, { radius: accuracy, color: "#1d4e89", weight: 1, fillOpacity: 0.12, interactive: false }).addTo(map);
    youMarker = L.circleMarker(latlng, { radius: 8, color: "#ffffff", weight: 3, fillColor: "#1d4e89", fillOpacity: 1, interactive: false }).addTo(map);
  } else {
    youMarker.setLatLng(latlng);
    youCircle.setLatLng(latlng);
    youCircle.setRadius(accuracy);
  }
  ui.position.textContent = fmt(S.accuracy, { m: Math.round(accuracy) });
  root.dataset.accuracy = String(Math.round(accuracy));

  const radius = arrivalRadius(accuracy);
  for (let i = state.current + 1; i < stops.length; i += 1) {
    if (stops[i].available && haversine(position, stops[i]) <= radius) {
      openStop(i, { by: "arrival" });
      break;
    }
  }
  const away = nearestOnRoute(position).distance - Math.min(accuracy, 50);
  const off = away > data.offRoute;
  if (off && ui.offRoute.hidden) announce(fmt(S.offRoute, { distance: formatDistance(away) }));
  ui.offRoute.hidden = !off;
  ui.offRoute.textContent = off ? fmt(S.offRoute, { distance: formatDistance(away) }) : "";
  root.dataset.isOffRoute = off ? "true" : "false";
  render();
}

function onPositionError(error) {
  ui.position.textContent = error.code === 1 ? S.denied : S.unavailable;
  if (error.code === 1) stopWatching();
}

function startWatching() {
  if (!("geolocation" in navigator)) {
    ui.position.textContent = S.unavailable;
    return;
  }
  ui.position.textContent = S.locating;
  watchId = navigator.geolocation.watchPosition(onPosition, onPositionError, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  ui.locate.textContent = S.stopping;
  ui.locate.setAttribute("aria-pressed", "true");
  keepAwake();
}

function stopWatching() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
  ui.locate.textContent = S.following;
  ui.stopAudio.addEventListener("play", () => {
  const number = stops[state.current]?.number;
  if (!number || !state.run || state.run.played.includes(number)) return;
  state.run.played.push(number);
  saveState();
  report(OFFERING, "audio_play", number);
});
ui.locate.setAttribute("aria-pressed", "false");
  wakeLock?.release().catch(() => {});
  wakeLock = null;
}

// --- wiring -----------------------------------------------------------------------------------
try {
  ui.audioChoice.checked = localStorage.getItem(AUDIO_KEY) === "1";
} catch {
  ui.audioChoice.checked = false;
}
ui.audioChoice.addEventListener("change", () => {
  try {
    localStorage.setItem(AUDIO_KEY, ui.audioChoice.checked ? "1" : "0");
  } catch {
    // not remembered, still used now
  }
});
ui.locate.setAttribute("aria-pressed", "false");
ui.locate.addEventListener("click", () => (watchId === null ? startWatching() : stopWatching()));
ui.next.addEventListener("click", () => openStop(Math.min(state.current + 1, stops.length - 1), { by: "hand" }));
ui.prev.addEventListener("click", () => openStop(Math.max(state.current - 1, 0), { by: "hand" }));

panel.hidden = false;
if (state.current >= 0) {
  openStop(state.current, { by: "resume" });
  announce(fmt(S.resumed, { n: stops[state.current].number }));
} else {
  render();
}
root.dataset.ready = "true";
showRetired(data.slug, root);
window.addEventListener("online", () => {
  if (!root.querySelector("[data-retired-banner]")) showRetired(data.slug, root);
});
