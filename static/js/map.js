// Progressive enhancement: every [data-map] element gets a Leaflet map of the points and
// route given in its JSON data block. Without JavaScript the lists on the page carry the same
// content, so nothing here is needed to read it.
import * as L from "/static/vendor/leaflet/leaflet-src.esm.js";

export { L };

// Maps made on this page, by element id, for other modules (follow.js) to draw on.
export const maps = new Map();

export function readJson(id) {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent) : null;
}

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

export function initMap(el, config) {
  const data = readJson(`${el.id}-data`) || {};
  const map = baseMap(el, config);

  const layers = [];
  if (data.route) {
    const route = L.geoJSON(data.route, { style: { color: "#1d4e89", weight: 5, opacity: 0.8 } });
    route.addTo(map);
    layers.push(route);
  }
  for (const p of data.points || []) {
    // Markers are for touch and mouse; keyboard and screen-reader users get the same places as
    // the list next to every map (dozens of tab stops on a map would only be in their way).
    const base = { title: p.title, alt: p.title, keyboard: false };
    const opts = data.numbered ? { ...base, icon: stopIcon(p.number) } : base;
    const marker = L.marker([p.lat, p.lon], opts).addTo(map);
    const link = document.createElement("a");
    link.href = placeUrl(p.place_id ?? p.id);
    link.textContent = data.numbered ? `${p.number}. ${p.title}` : p.title;
    marker.bindPopup(link);
    layers.push(marker);
  }
  const group = L.featureGroup(layers);
  if (layers.length > 1) {
    map.fitBounds(group.getBounds(), { padding: [24, 24] });
  } else if (layers.length === 1 && data.points?.length) {
    map.setView([data.points[0].lat, data.points[0].lon], 17);
  } else {
    map.setView([config.centre[1], config.centre[0]], config.zoom);
  }
  el.dataset.ready = "true";
  el.dataset.markers = String((data.points || []).length);
  maps.set(el.id, { map, data });
  return map;
}

const config = readJson("map-config");
if (config) {
  for (const el of document.querySelectorAll("[data-map]")) {
    initMap(el, config);
  }
}
