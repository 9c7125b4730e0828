/* Paperless meetings: the room screen's timers and the offline papers (service worker). */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".timer").forEach(function (el) {
      var seconds;
      if (el.dataset.ends) {
        seconds = Math.round((Date.parse(el.dataset.ends) - now) / 1000);
      } else if (el.dataset.since) {
        seconds = Math.round((now - Date.parse(el.dataset.since)) / 1000);
      } else {
        return;
      }
      var over = seconds < 0;
      var abs = Math.abs(seconds);
      el.textContent = (over ? "+" : "") + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
      el.classList.toggle("overtime", over && !!el.dataset.ends);
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);

  function setupOffline() {
    var header = document.querySelector("[data-offline-manifest]");
    if (!header || !("serviceWorker" in navigator)) { return; }
    var button = header.querySelector("[data-offline-save]");
    var status = header.querySelector("[data-offline-status]");
    navigator.serviceWorker.register(header.dataset.sw, { scope: "/meetings/" }).then(function () {
      button.hidden = false;
    }).catch(function () { /* no offline copy: the pages still work online */ });
    button.addEventListener("click", function () {
      status.textContent = "…";
      fetch(header.dataset.offlineManifest, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (manifest) {
          return navigator.serviceWorker.ready.then(function (reg) {
            return new Promise(function (resolve) {
              var channel = new MessageChannel();
              channel.port1.onmessage = function (event) { resolve(event.data); };
              reg.active.postMessage({ type: "cache-meeting", urls: manifest.urls }, [channel.port2]);
            });
          });
        })
        .then(function (result) {
          status.textContent = status.dataset.done || ("✓ " + result.cached);
          status.dataset.cached = result.cached;
        })
        .catch(function () { status.textContent = "✗"; });
    });
  }
  document.addEventListener("DOMContentLoaded", setupOffline);
})();
