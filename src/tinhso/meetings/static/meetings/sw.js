/* Service worker of the meeting pages: keeps a meeting's page and papers readable when
   the tablet loses the network. Network first (papers and votes change); the cached copy
   only when the network fails. Only GET requests under /meetings/ are handled. */
"use strict";
var CACHE = "tinhso-meetings-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "cache-meeting" || !Array.isArray(data.urls)) { return; }
  var urls = data.urls.filter(function (u) { return typeof u === "string" && u.indexOf("/meetings/") === 0; });
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all(urls.map(function (u) {
        return fetch(u, { credentials: "same-origin" }).then(function (r) {
          if (r.ok) { return cache.put(u, r).then(function () { return 1; }); }
          return 0;
        }).catch(function () { return 0; });
      }));
    }).then(function (done) {
      var cached = done.reduce(function (a, b) { return a + b; }, 0);
      if (event.ports && event.ports[0]) { event.ports[0].postMessage({ cached: cached }); }
    })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.indexOf("/meetings/") !== 0) {
    return;
  }
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok && url.pathname.indexOf("/screen/panel/") < 0) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) {
          return cache.match(url.pathname).then(function (hit) { if (hit) { cache.put(url.pathname, copy); } });
        });
      }
      return response;
    }).catch(function () {
      return caches.match(url.pathname).then(function (hit) {
        return hit || new Response("Không có kết nối mạng và tài liệu chưa được lưu ngoại tuyến.", {
          status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" }
        });
      });
    })
  );
});
