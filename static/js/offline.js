// On every page: register the service worker, offer its updates, and run "save for offline"
// (tour page) and the list of saved tours (offline page). Without JavaScript or a service
// worker the site simply stays online-only.
import { Workbox } from "workbox-window";
import { fmt, readJson } from "/static/js/helpers.js";
import { CACHES, recordKey, savedRecords } from "/static/js/sw-caches.js";

const STRINGS = readJson("offline-strings") || {};
const LOCALE = document.documentElement.lang || "de";

export function formatBytes(bytes) {
  const mb = bytes / (1024 * 1024);
  const unit = mb >= 1 ? "megabyte" : "kilobyte";
  const value = mb >= 1 ? mb : Math.max(1, bytes / 1024);
  return new Intl.NumberFormat(LOCALE, { style: "unit", unit, maximumFractionDigits: mb >= 1 ? 1 : 0 }).format(value);
}

function formatDate(ms) {
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium" }).format(new Date(ms));
}

// --- service worker and updates --------------------------------------------------------------
let updateAccepted = false;

function showUpdate(wb) {
  if (document.querySelector("[data-update-banner]")) return;
  const banner = document.createElement("div");
  banner.className = "update-banner";
  banner.dataset.updateBanner = "";
  banner.setAttribute("role", "status");
  const text = document.createElement("span");
  text.textContent = STRINGS.update;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button";
  button.textContent = STRINGS.reload;
  button.addEventListener("click", () => {
    // The waiting worker takes over only now; the page reloads as soon as it has, so no
    // page ever runs with files from two versions.
    updateAccepted = true;
    wb.messageSkipWaiting();
  });
  banner.append(text, " ", button);
  document.body.prepend(banner);
}

// Workbox's window module does the lifecycle bookkeeping: "waiting" fires for a new version
// found now or already waiting from an earlier visit (another tab too), "controlling" when a
// worker takes over the page.
async function registerWorker() {
  if (!("serviceWorker" in navigator)) return null;
  const wb = new Workbox("/sw.js", { type: "module", scope: "/" });
  let reloading = false;
  wb.addEventListener("controlling", () => {
    // Only an accepted update reloads; the first install just starts controlling the page.
    if (updateAccepted && !reloading) {
      reloading = true;
      window.location.reload();
    }
  });
  wb.addEventListener("waiting", () => {
    // Only an update waits for this page: a first install has no older version to replace.
    if (navigator.serviceWorker.controller) showUpdate(wb);
  });
  const tell = (worker) => worker?.postMessage({ type: "LOCALE", locale: LOCALE });
  tell(navigator.serviceWorker.controller);
  wb.active.then(tell);
  // At once, not after the page's load event (Workbox's default): as before, a first visit
  // is ready for offline use as early as possible.
  return wb.register({ immediate: true });
}

// --- save for offline (tour page) ------------------------------------------------------------

async function fetchOk(url) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
  if (!response.ok) throw new Error(`${response.status} ${new URL(url, location.href).pathname}`);
  return response;
}

/** Store every file of a tour's offline manifest; all or nothing. Returns the record. */
export async function saveTour(manifestUrl, onProgress = () => {}) {
  const manifest = await (await fetchOk(manifestUrl)).json();
  const urls = [...manifest.pages, ...manifest.media.map((m) => m.url), ...manifest.tiles];
  const cache = await caches.open(CACHES.saved);
  const before = new Set((await cache.keys()).map((r) => r.url));
  const stored = [];
  let bytes = 0;
  try {
    for (const [i, url] of urls.entries()) {
      const response = await fetchOk(url);
      bytes += (await response.clone().blob()).size;
      await cache.put(url, response);
      stored.push(url);
      onProgress(i + 1, urls.length);
    }
  } catch (error) {
    // Nothing half saved: drop what this attempt added (files other saved tours share stay).
    await Promise.all(stored.filter((u) => !before.has(new URL(u, location.href).href)).map((u) => cache.delete(u)));
    throw error;
  }
  const alternates = {};
  for (const m of manifest.media) for (const alt of m.alternates) alternates[alt] = m.url;
  const record = {
    slug: manifest.slug,
    title: manifest.title,
    url: manifest.url,
    followUrl: manifest.pages[1],
    savedAt: Date.now(),
    bytes,
    entries: urls,
    alternates,
  };
  await cache.put(recordKey(manifest.slug), new Response(JSON.stringify(record), { headers: { "Content-Type": "application/json" } }));
  return record;
}

/** Remove a saved tour; files another saved tour also uses stay. */
export async function removeTour(slug) {
  const cache = await caches.open(CACHES.saved);
  const records = await savedRecords();
  const mine = records.find((r) => r.slug === slug);
  if (!mine) return;
  const keep = new Set(records.filter((r) => r.slug !== slug).flatMap((r) => r.entries));
  await Promise.all(mine.entries.filter((u) => !keep.has(u)).map((u) => cache.delete(u)));
  await cache.delete(recordKey(slug));
}

async function setupSaveBox(box) {
  if (!("caches" in window) || !("serviceWorker" in navigator)) return;
  box.hidden = false;
  const slug = box.dataset.slug;
  const state = box.querySelector("[data-offline-state]");
  const status = box.querySelector("[data-offline-status]");
  const progress = box.querySelector("[data-offline-progress]");
  const save = box.querySelector('[data-offline-action="save"]');
  const remove = box.querySelector('[data-offline-action="remove"]');

  async function refresh() {
    const record = (await savedRecords()).find((r) => r.slug === slug);
    box.dataset.saved = record ? "true" : "false";
    save.hidden = Boolean(record);
    remove.hidden = !record;
    state.textContent = record
      ? fmt(STRINGS.savedAt, { size: formatBytes(record.bytes), date: formatDate(record.savedAt) })
      : fmt(STRINGS.notSaved, { size: formatBytes(Number(box.dataset.approxBytes || 0)) });
  }

  save.addEventListener("click", async () => {
    save.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    status.textContent = "";
    try {
      await navigator.serviceWorker.ready;
      const record = await saveTour(box.dataset.manifest, (done, total) => {
        progress.value = Math.round((done / total) * 100);
        status.textContent = fmt(STRINGS.saving, { done, total });
      });
      status.textContent = fmt(STRINGS.saved, { size: formatBytes(record.bytes) });
    } catch (error) {
      status.textContent = fmt(STRINGS.failed, { reason: navigator.onLine ? error.message : STRINGS.offline });
    } finally {
      save.disabled = false;
      progress.hidden = true;
      await refresh();
    }
  });
  remove.addEventListener("click", async () => {
    await removeTour(slug);
    status.textContent = STRINGS.removed;
    await refresh();
    save.focus();
  });
  await refresh();
}

// --- saved tours list (offline page) --------------------------------------------------------

async function renderSavedList(list) {
  if (!("caches" in window)) return;
  const empty = document.querySelector("[data-saved-empty]");
  const records = await savedRecords();
  list.replaceChildren();
  for (const record of records) {
    const item = document.createElement("li");
    item.className = "card";
    const title = document.createElement("h3");
    const link = document.createElement("a");
    link.href = record.url;
    link.textContent = record.title;
    title.append(link);
    const meta = document.createElement("p");
    meta.className = "meta";
    meta.textContent = fmt(STRINGS.savedAt, { size: formatBytes(record.bytes), date: formatDate(record.savedAt) });
    const actions = document.createElement("p");
    const follow = document.createElement("a");
    follow.href = record.followUrl;
    follow.className = "button primary";
    follow.textContent = STRINGS.follow;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button";
    remove.textContent = STRINGS.remove;
    remove.setAttribute("aria-label", `${STRINGS.remove}: ${record.title}`);
    remove.addEventListener("click", async () => {
      await removeTour(record.slug);
      await renderSavedList(list);
    });
    actions.append(follow, " ", remove);
    item.append(title, meta, actions);
    list.append(item);
  }
  list.hidden = records.length === 0;
  if (empty) empty.hidden = records.length > 0;
}

registerWorker().catch(() => {
  // No service worker (private mode, old browser): the site works online as before.
});
for (const box of document.querySelectorAll("[data-offline-save]")) setupSaveBox(box);
for (const list of document.querySelectorAll("[data-saved-list]")) renderSavedList(list);
