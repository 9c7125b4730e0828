/* The service centre's devices: kiosk (offline retry, print), screen (chime), recovery. */
(function () {
  "use strict";

  // Kiosk: the clicked group travels in a hidden field so that a form re-sent after a
  // network hiccup (same request key: the server answers with the same ticket) keeps it.
  document.querySelectorAll("[data-kiosk-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      var hidden = form.querySelector("[data-kiosk-group]");
      if (hidden && submitter && submitter.dataset.group) hidden.value = submitter.dataset.group;
      if (form.dataset.sending === "1") { event.preventDefault(); return; }  // double tap
      if (!navigator.onLine) {
        event.preventDefault();
        showOffline(true);
        window.addEventListener("online", function () { showOffline(false); form.requestSubmit(); }, { once: true });
        return;
      }
      form.dataset.sending = "1";
      window.setTimeout(function () { form.dataset.sending = ""; }, 4000);
    });
  });

  function showOffline(on) {
    document.querySelectorAll("[data-offline]").forEach(function (el) { el.classList.toggle("d-none", !on); });
  }

  // A device page that loses the network reloads itself once it is back.
  if (document.body.classList.contains("counter-device")) {
    window.addEventListener("offline", function () { showOffline(true); });
    window.addEventListener("online", function () { showOffline(false); });
    document.body.addEventListener("htmx:sendError", function () { showOffline(true); });
    document.body.addEventListener("htmx:afterSwap", function () { showOffline(false); });
    if (document.querySelector("[data-kiosk]")) {
      window.setTimeout(function () { window.location.reload(); }, 10 * 60 * 1000);
    }
  }

  // The ticket: printed at once on the kiosk, then back to the kiosk.
  var receipt = document.querySelector("[data-autoprint]");
  document.querySelectorAll("[data-print]").forEach(function (b) { b.addEventListener("click", function () { window.print(); }); });
  if (receipt) {
    window.setTimeout(function () { window.print(); }, 200);
    window.setTimeout(function () { window.location.replace(receipt.dataset.return); }, 12000);
  }

  // Waiting-room screen: a chime when a number is called (or called again).
  var chimeOn = false;
  var lastCall = null;
  var toggle = document.querySelector("[data-chime-toggle]");
  if (toggle) {
    toggle.addEventListener("click", function () {
      chimeOn = !chimeOn;
      toggle.setAttribute("aria-pressed", chimeOn ? "true" : "false");
      toggle.classList.toggle("active", chimeOn);
      if (chimeOn) chime();
    });
    var board = document.getElementById("board");
    if (board) lastCall = board.dataset.latestCall;
    document.body.addEventListener("htmx:afterSwap", function () {
      var b = document.getElementById("board");
      if (!b) return;
      if (b.dataset.latestCall && b.dataset.latestCall !== lastCall) {
        b.classList.add("board-flash");
        if (chimeOn) chime();
      }
      lastCall = b.dataset.latestCall;
    });
  }

  var audio = null;
  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [[880, 0], [660, 0.35]].forEach(function (tone) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.frequency.value = tone[0];
        gain.gain.setValueAtTime(0.0001, audio.currentTime + tone[1]);
        gain.gain.exponentialRampToValueAtTime(0.4, audio.currentTime + tone[1] + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + tone[1] + 0.6);
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + tone[1]);
        osc.stop(audio.currentTime + tone[1] + 0.65);
      });
    } catch (e) { /* no audio device: the flash is enough */ }
  }
})();
