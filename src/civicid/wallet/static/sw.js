// The citizen's app's service worker (scope /app/): the app opens without signal.
//
// - At install it caches everything the app is made of (/app/precache.json lists it) in a cache named by
//   the release's version (the ?v= it was registered with); at activation older caches go.
// - The shell (/app/, whatever its query) comes from the network when the network answers within a few
//   seconds, and from the cache otherwise; each fresh copy replaces the cached one.
// - The app's assets come from the cache first: the version in the cache's name changes with them.
// - The API is never cached here: what the app keeps of it lies in IndexedDB (store.js), where the app
//   can say how old it is.

const VERSION = new URL(self.location.href).searchParams.get("v") || "dev";
const CACHE = `civicid-app-${VERSION}`;
const SHELL = "/app/";
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const listing = await fetch("/app/precache.json", { cache: "no-store" });
      const { urls } = await listing.json();
      const cache = await caches.open(CACHE);
      await cache.addAll(urls.map((url) => new Request(url, { cache: "reload", credentials: "same-origin" })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("civicid-app-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

async function shellFromNetwork(request) {
  const cache = await caches.open(CACHE);
  const fresh = fetch(request).then((response) => {
    if (response.ok) cache.put(SHELL, response.clone());
    return response;
  });
  fresh.catch(() => {}); // answered from the cache below
  const late = new Promise((resolve) => setTimeout(resolve, NETWORK_WAIT_MS, null));
  try {
    const answer = await Promise.race([fresh, late]);
    if (answer) return answer;
  } catch {
    // No network: the cached shell.
  }
  const cached = await cache.match(SHELL);
  return cached || fresh;
}

async function fromCacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(CACHE)).put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/app/")) return;
  if (url.pathname === SHELL) {
    if (request.mode === "navigate") event.respondWith(shellFromNetwork(request));
    return; // the language switch's background call goes to the server as it is
  }
  if (url.pathname === "/app/sw.js" || url.pathname === "/app/precache.json") return;
  event.respondWith(fromCacheFirst(request));
});
