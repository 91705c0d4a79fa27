// Off-line support at app start: the service worker, the outbox, and forgetting the person's
// cached data when they sign out.

import { currentPerson } from "../auth.js";
import { startOutbox } from "./outbox.js";

/** Everything this page loaded from our origin (modules, styles, bundles), for the SW cache. */
function loadedFiles() {
  const urls = new Set(["/", "/index.html"]);
  for (const entry of performance.getEntriesByType("resource")) {
    const url = new URL(entry.name);
    if (url.origin === window.location.origin && !url.pathname.startsWith("/api/")) {
      urls.add(url.pathname);
    }
  }
  return [...urls];
}

export function startOffline() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        // Files loaded before the worker took control did not pass through it: hand them over.
        registration.active?.postMessage({ type: "cache", urls: loadedFiles() });
      })
      .catch(() => null);
  }
  let signedIn = Boolean(currentPerson());
  window.addEventListener("sabaq:auth", (event) => {
    if (signedIn && !event.detail && "caches" in window) caches.delete("sabaq-api");
    signedIn = Boolean(event.detail);
  });
  startOutbox();
}
