// The service worker: the app shell and the person's schedule, assignments and inbox stay
// readable without a connection. Served from / so its scope is the whole app.
//
// - App shell (HTML, JS modules, CSS, i18n bundles, icons): network first, then the cache, so a
//   new deployment is picked up as soon as the server answers, and the last copy works off-line.
// - The JSON the pages read (GET /api/me, schedule, courses, groups, assignments, inbox lists):
//   network first with the cached copy as the fallback.
// - Everything else (POST/PUT/PATCH, the SSE stream, uploads, downloads, WebSockets) is not
//   touched: the page's IndexedDB outbox handles sending.

const VERSION = "v1";
const SHELL = `sabaq-shell-${VERSION}`;
const DATA = "sabaq-api";
const PRECACHE = [
  "/",
  "/index.html",
  "/css/app.css",
  "/css/room.css",
  "/css/offline.css",
  "/js/app.js",
  "/js/api.js",
  "/js/auth.js",
  "/js/dom.js",
  "/js/i18n.js",
  "/js/router.js",
  "/js/sessions.js",
  "/js/prefs.js",
  "/js/media.js",
  "/js/offline/idb.js",
  "/js/offline/net.js",
  "/js/offline/outbox.js",
  "/js/offline/register.js",
  "/js/offline/ui.js",
  "/js/offline/zone.js",
  "/js/components/app-header.js",
  "/js/components/app-nav.js",
  "/js/components/inbox-view.js",
  "/js/components/assignments-view.js",
  "/js/components/assignments-tutor.js",
  "/js/components/assignments-student.js",
  "/i18n/kk.json",
  "/i18n/ru.json",
  "/i18n/en.json",
];
// API reads kept for off-line use (never the event stream, files or archives).
const CACHED_API = [
  /^\/api\/me$/,
  /^\/api\/schedule$/,
  /^\/api\/courses(\/\d+)?$/,
  /^\/api\/groups(\/\d+)?$/,
  /^\/api\/assignments(\/\d+(\/(submission|submissions))?)?$/,
  /^\/api\/inbox\/(conversations(\/\d+\/messages)?|unread)$/,
  /^\/api\/uploads\/\d+$/,
];

self.addEventListener("install", (event) => {
  // One missing file must not fail the install: cache what can be fetched.
  event.waitUntil(caches.open(SHELL).then((cache) => Promise.all(PRECACHE.map(
    (url) => cache.add(new Request(url, { cache: "reload" })).catch(() => null))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names
      .filter((name) => name.startsWith("sabaq-shell-") && name !== SHELL)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

function isCachedApi(url) {
  return CACHED_API.some((pattern) => pattern.test(url.pathname));
}

async function networkFirst(request, cacheName, fallbackUrl) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok && response.status === 200) {
      await cache.put(request, response.clone()).catch(() => null);
    }
    return response;
  } catch (error) {
    const cached = await cache.match(request, { ignoreVary: true })
      ?? (fallbackUrl ? await cache.match(fallbackUrl) : undefined);
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET" || request.headers.has("range")) return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) {
    if (isCachedApi(url)) event.respondWith(networkFirst(request, DATA));
    return;
  }
  if (url.pathname.startsWith("/rooms/") || url.pathname === "/healthz") return;
  const fallback = request.mode === "navigate" ? "/index.html" : null;
  event.respondWith(networkFirst(request, SHELL, fallback));
});

// The page lists the files it loaded before this worker controlled it, to be cached too.
self.addEventListener("message", (event) => {
  if (event.data?.type !== "cache" || !Array.isArray(event.data.urls)) return;
  const urls = event.data.urls.filter((url) => typeof url === "string" && url.startsWith("/")
    && !url.startsWith("/api/"));
  event.waitUntil(caches.open(SHELL).then((cache) => Promise.all(urls.map(
    (url) => cache.match(url).then((hit) => hit ?? cache.add(url)).catch(() => null)))));
});
