// Stadtspur service worker (an ES module, served at /sw.js so its scope is the whole site).
//
// Built with Workbox from npm (vendored by app/devtools/vendor.py, no bundler). The server
// replaces the two placeholders below when it serves this file (app/web/pwa.py): the precache
// manifest (every app-shell file with a content hash, so a changed file changes this script and
// the browser installs a new worker) and the site's settings.
//
// Updates never leave a page on a mix of old and new files: a new worker installs its precache
// next to the old one (Workbox keys entries by revision) and then WAITS. The page shows "new
// version, reload"; only when the visitor agrees (or every tab is closed) does it take over,
// and the page reloads at once. So a page is served by one worker version from start to end,
// and someone following a tour is never switched mid-walk.
import { clientsClaim } from "/static/vendor/workbox/workbox-core/index.js";
import {
  addPlugins,
  cleanupOutdatedCaches,
  matchPrecache,
  precacheAndRoute,
} from "/static/vendor/workbox/workbox-precaching/index.js";
import { registerRoute, setCatchHandler } from "/static/vendor/workbox/workbox-routing/index.js";
import {
  CacheFirst,
  NetworkFirst,
  StaleWhileRevalidate,
} from "/static/vendor/workbox/workbox-strategies/index.js";
import { ExpirationPlugin } from "/static/vendor/workbox/workbox-expiration/index.js";
import { CacheableResponsePlugin } from "/static/vendor/workbox/workbox-cacheable-response/index.js";
import { RangeRequestsPlugin } from "/static/vendor/workbox/workbox-range-requests/index.js";
import { CACHES, META_LOCALE, findSavedAlternate, isSavedRecord } from "/static/js/sw-caches.js";
// Contributions queued offline (issue: contribute) are sent by the module that queued them;
// the worker only wakes it up when the browser says the connection is back.
import { SYNC_TAG, flushQueue } from "/static/js/offline-queue.js";
// Usage beacons queued offline (static/js/beacon.js): sent when the connection is back.
import { SYNC_TAG as USAGE_SYNC_TAG, flushBeacons } from "/static/js/beacon.js";

const PRECACHE = self.__WB_MANIFEST;
const CONFIG = self.__STADTSPUR_CONFIG;

// Pages worth keeping for offline reading: visitor pages and the contribution form.
const PAGE_PATHS = /^\/(?:$|places\/\d+|tours\/[^/]+(?:\/follow)?$|themes\/[^/]+$|search$|contribute$|offline$)/;
const TILE = new RegExp(CONFIG.tilePattern);

// Pages ask for static files with ?v=<content hash> (app/web/assets.py) so that browsers can
// keep them for a year; the precache keys them by path and revision, so "v" is not part of the
// key. A page is still served the files of the worker that installed it, as before.
//
// The precached files are the same for everyone, so they are fetched without cookies: the
// worker installs while the visitor goes on (logs in, say), and a late answer carrying the
// session of before would otherwise be a chance to disturb theirs.
addPlugins([{
  requestWillFetch: async ({ request }) => new Request(request, { credentials: "omit" }),
}]);
precacheAndRoute(PRECACHE, { ignoreURLParametersMatching: [/^utm_/, /^fbclid$/, /^v$/] });
cleanupOutdatedCaches();

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "SKIP_WAITING") self.skipWaiting();
  if (data.type === "LOCALE" && CONFIG.locales.includes(data.locale)) {
    event.waitUntil(rememberLocale(data.locale));
  }
});

self.addEventListener("activate", (event) => {
  // Caches of earlier formats go; the saved tours stay (their cache name is stable).
  event.waitUntil(
    caches.keys().then((names) =>
      Promise.all(
        names
          .filter((n) => n.startsWith("stadtspur-") && !Object.values(CACHES).includes(n))
          .map((n) => caches.delete(n)),
      ),
    ),
  );
});
// The very first worker controls the open page at once (nothing older to mix with); later
// versions only take over after SKIP_WAITING, and the page then reloads.
clientsClaim();

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(flushQueue());
  if (event.tag === USAGE_SYNC_TAG) event.waitUntil(flushBeacons());
});

async function rememberLocale(locale) {
  const cache = await caches.open(CACHES.meta);
  await cache.put(META_LOCALE, new Response(locale));
}

async function currentLocale() {
  const cache = await caches.open(CACHES.meta);
  const hit = await cache.match(META_LOCALE);
  const locale = hit ? await hit.text() : CONFIG.defaultLocale;
  return CONFIG.locales.includes(locale) ? locale : CONFIG.defaultLocale;
}

async function offlinePage() {
  return (await matchPrecache(`/offline?lang=${await currentLocale()}`)) || Response.error();
}

// Responses the server marks as not for storing (accounts, forms with secrets) stay uncached.
const respectNoStore = {
  cacheWillUpdate: async ({ response }) =>
    response && response.status === 200 && !/no-store/.test(response.headers.get("Cache-Control") || "")
      ? response
      : null,
};

// Content that curators hide, remove or merge leaves the phone with the server's next answer:
// a page or API read that is now gone (404, 410) or elsewhere (a redirect) is dropped from
// every cache that could serve it later, and a saved-tour page seen again online is replaced
// by the fresh copy (a hidden stop then leaves the saved tour too).
const FORGETFUL = [CACHES.pages, CACHES.saved, CACHES.api];
const followServer = {
  fetchDidSucceed: async ({ request, response }) => {
    const moved = response.type === "opaqueredirect" || response.redirected;
    if (response.status === 404 || response.status === 410 || moved) {
      await Promise.all(
        FORGETFUL.map(async (name) => (await caches.open(name)).delete(request.url, { ignoreVary: true })),
      );
    } else if (request.mode === "navigate" && (await respectNoStore.cacheWillUpdate({ response }))) {
      const saved = await caches.open(CACHES.saved);
      if (await saved.match(request.url, { ignoreVary: true })) await saved.put(request.url, response.clone());
    }
    return response;
  },
};

// --- pages: fresh when the network answers within a few seconds, else the saved copy -----
const pages = new NetworkFirst({
  cacheName: CACHES.pages,
  networkTimeoutSeconds: 4,
  matchOptions: { ignoreVary: true },
  plugins: [
    respectNoStore,
    followServer,
    new ExpirationPlugin({ maxEntries: 80, maxAgeSeconds: 30 * 24 * 3600, purgeOnQuotaError: true }),
  ],
});

async function fromSaved(request) {
  const cache = await caches.open(CACHES.saved);
  return cache.match(request, { ignoreVary: true });
}

registerRoute(
  ({ request, url }) =>
    request.mode === "navigate" && url.origin === self.location.origin && PAGE_PATHS.test(url.pathname),
  async (options) => {
    try {
      const response = await pages.handle(options);
      if (response) return response;
    } catch {
      // offline and not in the visited-pages cache: try the saved tours next
    }
    return (await fromSaved(options.request)) || offlinePage();
  },
);

// --- API reads: the network whenever there is one, the last answer only when offline --------
// No timeout, and the browser's HTTP cache must revalidate (the API's max-age would let it
// answer alone for a minute), so an online reader never gets what was just hidden. Only
// answers marked public are kept: never one that depends on who asked.
const apiReads = new NetworkFirst({
  cacheName: CACHES.api,
  fetchOptions: { cache: "no-cache" },
  plugins: [
    {
      cacheWillUpdate: async ({ response }) =>
        response && response.status === 200 && /\bpublic\b/.test(response.headers.get("Cache-Control") || "")
          ? response
          : null,
    },
    followServer,
    new ExpirationPlugin({ maxEntries: 60, maxAgeSeconds: 7 * 24 * 3600, purgeOnQuotaError: true }),
  ],
});
registerRoute(
  ({ request, url }) =>
    request.mode !== "navigate" && url.origin === self.location.origin && url.pathname.startsWith("/api/"),
  apiReads,
);

// Any other page: the network, and the offline page when there is none.
setCatchHandler(async ({ request }) => {
  if (request.destination === "document") return offlinePage();
  if (request.destination === "image") return blankTile();
  return Response.error();
});

// --- photos and recordings ---------------------------------------------------------------
const media = new CacheFirst({
  cacheName: CACHES.media,
  plugins: [
    new CacheableResponsePlugin({ statuses: [200] }),
    // A photo still waiting for review is sent no-store to its author or a curator: kept
    // here, it would outlive a rejection and show to the next person using this phone.
    respectNoStore,
    new ExpirationPlugin({ maxEntries: 120, maxAgeSeconds: 60 * 24 * 3600, purgeOnQuotaError: true }),
    // <audio> asks for byte ranges; answer them from the cached whole file.
    new RangeRequestsPlugin(),
  ],
});
const savedRanges = new RangeRequestsPlugin();

registerRoute(
  ({ url }) => url.href.startsWith(new URL(CONFIG.mediaUrl, self.location.href).href),
  async (options) => {
    const { request } = options;
    const saved = (await fromSaved(request)) || (await findSavedAlternate(request.url));
    if (saved) {
      return (await savedRanges.cachedResponseWillBeUsed({ request, cachedResponse: saved })) || saved;
    }
    return media.handle(options);
  },
);

// --- map tiles: cached as they are viewed, never fetched ahead unless our own server --------
// (OpenStreetMap's tile policy forbids bulk prefetching from its servers.)
const tiles = new CacheFirst({
  cacheName: CACHES.tiles,
  plugins: [
    new CacheableResponsePlugin({ statuses: [200] }),
    new ExpirationPlugin({ maxEntries: 1500, maxAgeSeconds: 30 * 24 * 3600, purgeOnQuotaError: true }),
  ],
});
registerRoute(
  ({ url }) => TILE.test(url.href),
  async (options) => {
    try {
      return (await tiles.handle(options)) || blankTile();
    } catch {
      return blankTile();
    }
  },
);

// A tile that was never viewed cannot be shown offline: an empty grey square instead of an error.
const BLANK_TILE = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGPo6OgAAAMEAYFL09IQAAAAAElFTkSuQmCC",
  ),
  (c) => c.charCodeAt(0),
);
function blankTile() {
  return new Response(BLANK_TILE, {
    status: 200,
    headers: { "Content-Type": "image/png", "Cache-Control": "no-store" },
  });
}

// --- other static files (not in the precache, e.g. API docs): quick, refreshed behind -------
registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith("/static/"),
  new StaleWhileRevalidate({
    cacheName: CACHES.static,
    plugins: [new ExpirationPlugin({ maxEntries: 60, purgeOnQuotaError: true })],
  }),
);

// Saved-tour records are internal: never answered from the network.
registerRoute(
  ({ url }) => url.origin === self.location.origin && isSavedRecord(url.pathname),
  async ({ request }) => (await fromSaved(request)) || new Response("null", { status: 404 }),
);
