// The verifier's service worker (scope /verify): the page, its scripts and its manifest are cached at install,
// so that /verify opens without signal. The trust bundle is not cached here: the page keeps it (localStorage)
// and shows its age.
const VERSION = new URL(self.location.href).searchParams.get("v") || "dev";
const CACHE = `civicid-verify-${VERSION}`;
const URLS = ["/verify", "/verify/manifest.webmanifest", "/verify/static/page.js", "/verify/static/verifier.js", "/verify/static/vendor/jsQR.js", "/verify/static/verify.css", "/verify/static/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(URLS.map((url) => new Request(url, { cache: "reload" })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith("civicid-verify-") && name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/verify")) return;
  if (url.pathname === "/verify/sw.js") return;
  const key = url.pathname === "/verify" ? "/verify" : url.pathname;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const response = await fetch(event.request);
        if (response.ok) cache.put(key, response.clone());
        return response;
      } catch {
        const cached = await cache.match(key);
        if (cached) return cached;
        throw new Error("offline and not cached");
      }
    })(),
  );
});
