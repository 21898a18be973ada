// Contributions waiting to be sent, and drafts being typed, kept in IndexedDB on the phone.
//
// A queued contribution is sent with its own Idempotency-Key (made once per draft), so
// however often it is retried (from the page when the connection returns, or from the
// service worker's background sync) the server creates exactly one place.
//
// For the service worker (static/sw.js, owned by the PWA work): this module runs in a
// worker too (no DOM use). A module service worker can do
//
//   import { SYNC_TAG, flushQueue } from "/static/js/offline-queue.js";
//   self.addEventListener("sync", (event) => {
//     if (event.tag === SYNC_TAG) event.waitUntil(flushQueue());
//   });
//
// flushQueue() rejects when the network is still down, which tells the browser to retry the
// sync later. Pages register the sync tag themselves when they queue something, and also
// flush on the "online" event, so browsers without Background Sync (Safari, Firefox) send
// the queue as soon as a page of the site is open with a connection.
//
// Why not workbox-background-sync's Queue: it stores a request as it was made and replays
// it as is, so the CSRF token sent would be the one of queuing time (a custom onSync could
// rebuild each request, but then nothing of its replay is left). It takes an entry out of
// IndexedDB before sending it, so a worker stopped during a photo upload loses it; it counts
// any answer, a refusal too, as sent, and drops entries after maxRetentionTime. And its
// entries can neither be changed nor removed one by one, which retry, discard and "send
// anyway" (/me/contributions) need. This queue keeps a record until the server has said yes.
// By path, not by the name "idb": a service worker has no import map (app/importmap.py).
import { openDB } from "/static/vendor/idb/index.js";

export const SYNC_TAG = "stadtspur-contributions";
const DB_NAME = "stadtspur-contribute";
const QUEUE = "queue";
const DRAFTS = "drafts";
const CSRF_URL = "/contribute/csrf";

let dbPromise = null;
function db() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, 1, {
      upgrade(database) {
        database.createObjectStore(QUEUE, { keyPath: "key" });
        database.createObjectStore(DRAFTS);
      },
    });
  }
  return dbPromise;
}

// --- the queue --------------------------------------------------------------------------

/**
 * Queue a contribution. entry = {key, apiUrl, title, fields: [[name, value]],
 * files: [{field, blob, name}]}; it is stored with status "waiting".
 */
export async function enqueue(entry) {
  const record = { ...entry, status: "waiting", error: null, createdAt: Date.now() };
  await (await db()).put(QUEUE, record);
  await registerSync();
  return record;
}

export async function listQueued() {
  const all = await (await db()).getAll(QUEUE);
  return all.sort((a, b) => a.createdAt - b.createdAt);
}

export async function removeQueued(key) {
  await (await db()).delete(QUEUE, key);
}

export async function updateQueued(key, patch) {
  const database = await db();
  const record = await database.get(QUEUE, key);
  if (!record) return null;
  Object.assign(record, patch);
  await database.put(QUEUE, record);
  return record;
}

async function registerSync() {
  try {
    const scope = typeof window === "undefined" ? self : window;
    if (!("serviceWorker" in (scope.navigator || {}))) return;
    const registration = await scope.navigator.serviceWorker.getRegistration();
    if (registration && registration.sync) await registration.sync.register(SYNC_TAG);
  } catch {
    // No Background Sync here: the pages flush on "online" instead.
  }
}

function formDataOf(record) {
  const data = new FormData();
  for (const [name, value] of record.fields) data.append(name, value);
  for (const file of record.files) data.append(file.field, file.blob, file.name);
  return data;
}

export async function freshCsrfToken() {
  const response = await fetch(CSRF_URL, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) {
    const error = new Error(response.status === 401 || response.redirected ? "login" : "csrf");
    error.status = response.status;
    throw error;
  }
  return (await response.json()).csrf_token;
}

/**
 * Send one record. Resolves {ok, status, body}; rejects on a network failure.
 */
export async function sendRecord(record, csrfToken) {
  const response = await fetch(record.apiUrl, {
    method: "POST",
    body: formDataOf(record),
    credentials: "same-origin",
    headers: {
      "Idempotency-Key": record.key,
      "X-CSRFToken": csrfToken,
      Accept: "application/json",
    },
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return { ok: response.ok, status: response.status, body };
}

let flushing = null;

/**
 * Send every waiting contribution once. Sent ones leave the queue; ones the server refused
 * (a 4xx other than timeouts and rate limits) stay with status "failed" and the server's
 * message until the person retries or discards them. Rejects if the network is down.
 */
export function flushQueue() {
  if (!flushing) {
    flushing = doFlush().finally(() => {
      flushing = null;
    });
  }
  return flushing;
}

async function doFlush() {
  const waiting = (await listQueued()).filter((r) => r.status === "waiting");
  const result = { sent: [], failed: [], remaining: 0 };
  if (!waiting.length) return result;
  let token;
  try {
    token = await freshCsrfToken();
  } catch (error) {
    if (error.message === "login") {
      for (const record of waiting) {
        await updateQueued(record.key, { status: "failed", error: "login", errorCode: "login" });
      }
      result.failed.push(...waiting.map((r) => r.key));
      return result;
    }
    throw error;
  }
  for (const record of waiting) {
    const answer = await sendRecord(record, token); // a network error rejects: try later
    if (answer.ok) {
      await removeQueued(record.key);
      result.sent.push({ key: record.key, id: answer.body && answer.body.id });
    } else if ([408, 425, 429].includes(answer.status) || answer.status >= 500) {
      result.remaining += 1;
    } else {
      const error = (answer.body && answer.body.error) || {};
      await updateQueued(record.key, {
        status: "failed",
        error: error.message || `HTTP ${answer.status}`,
        errorCode: error.code || String(answer.status),
        candidates: error.candidates || null,
      });
      result.failed.push(record.key);
    }
  }
  return result;
}

// --- drafts -------------------------------------------------------------------------------

export async function saveDraft(name, value) {
  await (await db()).put(DRAFTS, value, name);
}

export async function loadDraft(name) {
  return (await db()).get(DRAFTS, name);
}

export async function clearDraft(name) {
  await (await db()).delete(DRAFTS, name);
}
