// Progressive enhancement: every [data-map] element gets a Leaflet map of the points and
// route given in its JSON data block. Without JavaScript the lists on the page carry the same
// content, so nothing here is needed to read it. Pages with the map at the top load this
// module; map-start.js loads it for maps further down once they are scrolled near; follow,
// curate and the tour editor import it.
//
// Leaflet's ES module build, minified when it is vendored (app/devtools/vendor.py): the one
// Leaflet of the site. Other modules may take it from here or import "leaflet" themselves.
import * as L from "leaflet";
import { readJson } from "/static/js/helpers.js";

export { L };

const LEAFLET_CSS = "/static/vendor/leaflet/leaflet.css";

// The stylesheet is not in the page head (it would hold up the first paint of every page);
// maps are made only once it applies: without it tiles and markers would land in the page
// flow, and Leaflet finds its marker images through it.
function leafletStylesheet() {
  // A stylesheet link in the page's own head has applied before any module runs.
  if (document.querySelector(`link[rel="stylesheet"][href^="${LEAFLET_CSS}"]`)) return null;
  // The versioned URL the page gives (preloaded or on the map), else the plain one.
  const versioned =
    document.querySelector(`link[rel="preload"][href^="${LEAFLET_CSS}"]`)?.getAttribute("href") ||
    document.querySelector("[data-leaflet-css]")?.dataset.leafletCss;
  const link = document.createElement("link");
  const loaded = new Promise((resolve) => {
    // A failed stylesheet must not keep the maps from being made.
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", resolve, { once: true });
  });
  link.rel = "stylesheet";
  link.href = versioned || LEAFLET_CSS;
  document.head.append(link);
  return loaded;
}

await leafletStylesheet();

// Maps made on this page, by element id, for other modules (follow.js) to draw on.
export const maps = new Map();

export function stopIcon(number) {
  return L.divIcon({
    className: "",
    html: `<div class="stop-marker" aria-hidden="true">${Number(number)}</div>`,
    iconSize: [28, 28],
    iconAnchor: [14, 14],
  });
}

function placeUrl(id) {
  return `/places/${encodeURIComponent(id)}`;
}

export function baseMap(el, config) {
  // No sliding and fading for people who asked their system for less motion.
  const calm = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const map = L.map(el, {
    scrollWheelZoom: false,
    keyboard: true,
    zoomAnimation: !calm,
    fadeAnimation: !calm,
    markerZoomAnimation: !calm,
  });
  // CORS tiles: the service worker can then cache them at their real size (an opaque
  // response would count as megabytes against the phone's storage quota).
  L.tileLayer(config.tileUrl, { attribution: config.attribution, maxZoom: 19, crossOrigin: "anonymous" }).addTo(map);
  return map;
}

// Lets the browser paint and answer taps between the steps of making a map (a phone may
// take a few hundred milliseconds for all of it at once).
function nextTask() {
  return globalThis.scheduler?.yield ? globalThis.scheduler.yield() : new Promise((resolve) => setTimeout(resolve));
}

export async function initMap(el, config) {
  const data = readJson(`${el.id}-data`) || {};
  const points = data.points || [];
  const map = baseMap(el, config);
  const route = data.route
    ? L.geoJSON(data.route, {
      // a leg the walking network could not route is a straight line: dashed, not a path
      style: (f) => (f?.properties?.kind === "leg"
        ? { color: "#4b5563", weight: 5, opacity: 0.9, dashArray: "8 8" }
        : { color: "#1d4e89", weight: 5, opacity: 0.8 }),
    })
    : null;

  // The view first, so the tiles are on their way while the markers are made.
  const shapes = points.length + (route ? 1 : 0);
  // A map of routes alone (tours without stops on the OGC pages) fits them, not the city centre.
  const routeOnly = route && !points.length && route.getBounds().isValid();
  if (shapes > 1 || routeOnly) {
    const bounds = L.latLngBounds(points.map((p) => [p.lat, p.lon]));
    if (route) bounds.extend(route.getBounds());
    map.fitBounds(bounds, { padding: [24, 24] });
  } else if (shapes === 1 && points.length) {
    map.setView([points[0].lat, points[0].lon], 17);
  } else {
    map.setView([config.centre[1], config.centre[0]], config.zoom);
  }
  await nextTask();

  route?.addTo(map);
  for (const p of points) {
    // Markers are for touch and mouse; keyboard and screen-reader users get the same places as
    // the list next to every map (dozens of tab stops on a map would only be in their way).
    const base = { title: p.title, alt: p.title, keyboard: false };
    const opts = data.numbered ? { ...base, icon: stopIcon(p.number) } : base;
    const marker = L.marker([p.lat, p.lon], opts).addTo(map);
    const link = document.createElement("a");
    // A point may name its own page (the OGC pages link their features' pages).
    link.href = p.url || placeUrl(p.place_id ?? p.id);
    link.textContent = data.numbered ? `${p.number}. ${p.title}` : p.title;
    marker.bindPopup(link);
  }
  el.dataset.ready = "true";
  el.dataset.markers = String(points.length);
  maps.set(el.id, { map, data });
  return map;
}

const config = readJson("map-config");
if (config) {
  for (const el of document.querySelectorAll("[data-map]")) {
    await initMap(el, config);
  }
}
