// Anonymous usage beacons from the phone: "stop 3 reached", completion, audio played.
//
// A beacon is {offering, stop, metric, day} and nothing else: no id of the phone, the
// person or the run, no time finer than the day. Deduplication is the phone's job (follow.js
// reports a stop once per follow run, kept in the follow state the offline tour keeps anyway).
//
// Sent at once when there is a connection (source "online"). When the send fails for want of
// a network the beacon goes into a queue in IndexedDB, and is sent later with source
// "offline": by the service worker when the browser fires Background Sync (where it has it),
// else at the next start of any page that loads this module, or on the "online" event.
// Entries older than 30 days (by their day) are dropped unsent.
//
// Why not workbox-background-sync: its queue stores whole requests (URL, headers, body, time
// of queuing) and replays them as they were, so a beacon queued offline would be replayed
// with the source it was sent with, and the queue would hold more than the four fields. A
// flush here is one POST of every queued entry; the entries leave the queue only once the
// server has answered (2xx taken, 4xx refused for good; network errors, 429 and 5xx stay).
// One flush at a time, across the page and the worker, through a Web Lock where there is one.
//
// This module runs in the service worker too (no DOM use outside showRetired). By path, not
// by the name "idb": a service worker has no import map.
import { openDB } from "/static/vendor/idb/index.js";

export const SYNC_TAG = "stadtspur-usage";
const DB_NAME = "stadtspur-usage";
const STORE = "beacons";
const URL_ = "/api/v1/usage";
const KEEP_DAYS = 30;
const BATCH = 100;

let dbPromise = null;
function db() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, 1, {
      upgrade(database) {
        database.createObjectStore(STORE, { autoIncrement: true });
      },
    });
  }
  return dbPromise;
}

/** The phone's local day, YYYY-MM-DD. */
export function today(now = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function tooOld(day, now = new Date()) {
  const limit = new Date(now.getFullYear(), now.getMonth(), now.getDate() - KEEP_DAYS);
  return day < today(limit);
}

async function post(source, counts) {
  return fetch(URL_, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ source, counts }),
    credentials: "omit",
    keepalive: true,
  });
}

async function enqueue(entry) {
  await (await db()).add(STORE, entry);
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register(SYNC_TAG);
  } catch {
    // No Background Sync: the next start or the "online" event sends the queue.
  }
}

/**
 * Report one thing that happened. offering: "tour:<slug>"; metric: stop_reached,
 * completion, follow_start, audio_play …; stop: the stop's number (0: the whole tour).
 */
export async function report(offering, metric, stop = 0) {
  const entry = { offering, stop, metric, day: today() };
  if (navigator.onLine === false) {
    await enqueue(entry);
    return;
  }
  try {
    const resp = await post("online", [entry]);
    if (resp.status === 429 || resp.status >= 500) await enqueue(entry);
  } catch {
    await enqueue(entry);
  }
}

async function withLock(work) {
  if (globalThis.navigator?.locks) return navigator.locks.request("stadtspur-usage-flush", work);
  return work();
}

/** Send the queued beacons; rejects while the network is down (the sync is retried). */
export async function flushBeacons() {
  return withLock(async () => {
    const database = await db();
    const keys = await database.getAllKeys(STORE);
    const entries = await database.getAll(STORE);
    const stale = keys.filter((_k, i) => tooOld(entries[i].day));
    for (const key of stale) await database.delete(STORE, key);
    const fresh = keys.map((key, i) => [key, entries[i]]).filter(([, e]) => !tooOld(e.day));
    for (let i = 0; i < fresh.length; i += BATCH) {
      const batch = fresh.slice(i, i + BATCH);
      const counts = batch.map(([, e]) => ({ offering: e.offering, stop: e.stop, metric: e.metric, day: e.day }));
      const resp = await post("offline", counts); // a network error rejects: retried later
      if (resp.status === 429 || resp.status >= 500) throw new Error(`usage: ${resp.status}`);
      const tx = database.transaction(STORE, "readwrite");
      await Promise.all([...batch.map(([key]) => tx.store.delete(key)), tx.done]);
    }
    return fresh.length;
  });
}

export async function queuedBeacons() {
  return (await db()).getAll(STORE);
}

/**
 * A saved copy of a tour that has since been retired: when the phone is online, ask the
 * server and show its suggestions at the top of the page.
 */
export async function showRetired(slug, where) {
  if (!navigator.onLine || !where) return;
  try {
    const resp = await fetch(`/api/v1/tours/${encodeURIComponent(slug)}/alternatives`, { cache: "no-cache" });
    if (!resp.ok) return;
    const state = await resp.json();
    if (state.status !== "retired" || !state.alternatives.length) return;
    const banner = document.createElement("div");
    banner.className = "notice";
    banner.setAttribute("role", "status");
    banner.dataset.retiredBanner = "";
    const text = document.createElement("p");
    text.textContent = state.message;
    const list = document.createElement("ul");
    for (const alt of state.alternatives) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = alt.url;
      a.textContent = alt.title;
      li.append(a);
      list.append(li);
    }
    banner.append(text, list);
    where.prepend(banner);
  } catch {
    // Offline after all, or the server is away: the saved copy stays as it is.
  }
}

// In a page: send what waits whenever a connection is there (the fallback for browsers
// without Background Sync, and at every start).
if (typeof window !== "undefined") {
  const flush = () => flushBeacons().catch(() => {});
  if (navigator.onLine) flush();
  window.addEventListener("online", flush);
  // A recording on a page (a place's story): one play counted per page view.
  for (const audio of document.querySelectorAll("audio[data-usage]")) {
    audio.addEventListener("play", () => report(audio.dataset.usage, "audio_play"), { once: true });
  }
}
