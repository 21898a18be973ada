// Cache names and the saved-tour records, shared by the service worker (static/sw.js) and the
// pages (static/js/offline.js). No DOM use: this module runs in both.
//
// A saved tour is a set of responses in the "saved" cache (its pages, photos, recordings and
// the follow-mode page) plus one record, stored in the same cache under
// /__offline/tours/<slug>, that lists them: {slug, title, url, savedAt, bytes, entries,
// alternates}. "alternates" maps photo sizes that were not stored to the one that was, so a
// saved page shows its photos offline whichever size the phone's screen asks for.

export const CACHES = {
  pages: "stadtspur-pages-v1",
  media: "stadtspur-media-v1",
  tiles: "stadtspur-tiles-v1",
  static: "stadtspur-static-v1",
  saved: "stadtspur-saved-v1",
  meta: "stadtspur-meta-v1",
  api: "stadtspur-api-v1",
};
export const SAVED_PREFIX = "/__offline/tours/";
export const META_LOCALE = "/__offline/meta/locale";

export function isSavedRecord(pathname) {
  return pathname.startsWith(SAVED_PREFIX);
}

export function recordKey(slug) {
  return SAVED_PREFIX + encodeURIComponent(slug);
}

/** Every saved-tour record, newest first. */
export async function savedRecords() {
  const cache = await caches.open(CACHES.saved);
  const keys = (await cache.keys()).filter((req) => isSavedRecord(new URL(req.url).pathname));
  const records = [];
  for (const key of keys) {
    const hit = await cache.match(key);
    if (hit) records.push(await hit.json());
  }
  return records.sort((a, b) => b.savedAt - a.savedAt);
}

/** The stored response standing in for another size of the same photo, if a saved tour has one. */
export async function findSavedAlternate(url) {
  const path = new URL(url).pathname;
  for (const record of await savedRecords()) {
    const stored = record.alternates && record.alternates[path];
    if (stored) {
      const cache = await caches.open(CACHES.saved);
      const hit = await cache.match(stored);
      if (hit) return hit;
    }
  }
  return null;
}
