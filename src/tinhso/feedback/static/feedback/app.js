/* The citizen app (PWA) over the REST API: report a problem (offline drafts are kept in
   IndexedDB and sent when the connection returns), my reports, dossier look-up, my
   dossiers, notifications. No inline script (CSP): configuration comes from data-*. */
(function () {
  "use strict";
  var root = document.getElementById("fb-app");
  if (!root) { return; }
  var T = {};
  root.querySelectorAll("#fb-text [data-key]").forEach(function (e) { T[e.getAttribute("data-key")] = e.textContent; });
  var signedIn = root.getAttribute("data-user") === "1";
  var csrf = root.getAttribute("data-csrf") || "";
  var API = "/api/v1/";
  var state = { lat: null, lng: null, photos: [], categories: [] };

  function $(sel) { return root.querySelector(sel); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function api(path, opts) {
    opts = opts || {};
    opts.credentials = "same-origin";
    opts.headers = Object.assign({ "Accept": "application/json" }, opts.headers || {});
    if (opts.method && opts.method !== "GET") { opts.headers["X-CSRFToken"] = csrf; }
    return fetch(API + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) { var err = new Error(body.message || r.statusText); err.body = body; err.status = r.status; throw err; }
        return body;
      });
    });
  }
  function say(box, kind, text) {
    box.replaceChildren(el("div", "alert alert-" + kind + " mb-2", text));
  }
  function fmtDate(s) {
    if (!s) { return ""; }
    var d = new Date(s);
    return d.toLocaleDateString("vi-VN") + " " + d.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
  }

  // ---------------------------------------------------------------- tabs
  function show(name) {
    root.querySelectorAll("[data-tab]").forEach(function (b) {
      var on = b.getAttribute("data-tab") === name;
      b.classList.toggle("active", on);
      if (on) { b.setAttribute("aria-current", "page"); } else { b.removeAttribute("aria-current"); }
    });
    root.querySelectorAll("[data-panel]").forEach(function (p) {
      p.hidden = p.getAttribute("data-panel") !== name;
    });
    if (name === "mine") { loadMine(); }
    if (name === "dossiers") { loadDossiers(); }
    if (name === "inbox") { loadInbox(); }
    if (name === "new" && map) { setTimeout(function () { map.invalidateSize(); }, 50); }
  }
  root.querySelectorAll("[data-tab]").forEach(function (b) {
    b.addEventListener("click", function () {
      history.replaceState(null, "", "#" + b.getAttribute("data-tab"));
      show(b.getAttribute("data-tab"));
    });
  });

  // ---------------------------------------------------------------- report form
  var form = $("#fb-form");
  var notice = $("#fb-notice");
  var nearbyBox = $("#fb-nearby");
  var result = $("#fb-result");
  var placeText = $("#fb-place");
  var map = null, pin = null;

  function loadCategories() {
    return api("feedback/categories/").then(function (rows) {
      state.categories = rows;
      var select = form.elements.category;
      rows.forEach(function (c) {
        var o = el("option", null, c.name);
        o.value = c.code;
        select.appendChild(o);
      });
    }).catch(function () {});
  }
  form.elements.category.addEventListener("change", function () {
    var c = state.categories.find(function (x) { return x.code === form.elements.category.value; });
    notice.replaceChildren();
    if (c && c.notice) { notice.appendChild(el("div", "alert alert-warning py-2 mb-2", c.notice)); }
    checkNearby();
  });

  function setPlace(lat, lng, how) {
    state.lat = Math.round(lat * 1e6) / 1e6;
    state.lng = Math.round(lng * 1e6) / 1e6;
    placeText.textContent = (how ? how + ": " : "") + state.lat.toFixed(5) + ", " + state.lng.toFixed(5);
    if (map) {
      if (pin) { pin.setLatLng([state.lat, state.lng]); } else {
        pin = L.circleMarker([state.lat, state.lng], { radius: 9, color: "#fff", weight: 2, fillColor: "#d9480f", fillOpacity: 1 }).addTo(map);
      }
    }
    checkNearby();
  }

  if (window.TinhsoMap && window.L) {
    var mapEl = $("#fb-map");
    map = window.TinhsoMap.create(mapEl, window.TinhsoMap.config(mapEl));
    map.on("click", function (e) { setPlace(e.latlng.lat, e.latlng.lng, T.pin); });
  }
  $("#fb-gps").addEventListener("click", function () {
    if (!navigator.geolocation) { say(placeText, "warning", T.noGps); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPlace(pos.coords.latitude, pos.coords.longitude, "GPS");
      if (map) { map.setView([state.lat, state.lng], 15); }
    }, function () { placeText.textContent = T.noGps; }, { enableHighAccuracy: true, timeout: 10000 });
  });

  form.elements.photos.addEventListener("change", function () {
    var previews = $("#fb-previews");
    previews.replaceChildren();
    state.photos = Array.prototype.slice.call(form.elements.photos.files || []);
    state.photos.forEach(function (f) {
      var reader = new FileReader();
      reader.onload = function () {
        var img = el("img", "fb-preview");
        img.alt = f.name;
        img.src = reader.result;
        previews.appendChild(img);
      };
      reader.readAsDataURL(f);
    });
  });

  function checkNearby() {
    var code = form.elements.category.value;
    nearbyBox.replaceChildren();
    if (!code || state.lat === null || !navigator.onLine) { return; }
    api("feedback/nearby/?category=" + encodeURIComponent(code) + "&lat=" + state.lat + "&lng=" + state.lng)
      .then(function (rows) {
        if (!rows.length) { return; }
        var box = el("div", "card border-warning mb-2");
        var body = el("div", "card-body p-2");
        body.appendChild(el("p", "small fw-semibold mb-1", T.nearby));
        rows.forEach(function (r) {
          var line = el("div", "d-flex gap-2 align-items-start border-top pt-1 mt-1 fb-nearby-item");
          var text = el("div", "small flex-grow-1");
          var a = el("a", null, r.code);
          a.href = "/feedback/r/" + r.code + "/";
          text.appendChild(a);
          text.appendChild(document.createTextNode(" · " + Math.round(r.distance_m) + " m · " + r.description));
          line.appendChild(text);
          if (signedIn) {
            var b = el("button", "btn btn-sm btn-outline-primary", T.follow);
            b.type = "button";
            b.addEventListener("click", function () {
              api("feedback/reports/" + r.code + "/follow/", { method: "POST" }).then(function () {
                b.disabled = true; b.textContent = T.following;
              }).catch(function (e) { say(result, "danger", e.message); });
            });
            line.appendChild(b);
          }
          body.appendChild(line);
        });
        box.appendChild(body);
        nearbyBox.appendChild(box);
      }).catch(function () {});
  }

  // ---------------------------------------------------------------- drafts (IndexedDB)
  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("tinhso-feedback", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("drafts", { keyPath: "id", autoIncrement: true }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function store(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction("drafts", mode);
        var out = fn(tx.objectStore("drafts"));
        tx.oncomplete = function () { resolve(out && out.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function saveDraft(draft) { return store("readwrite", function (s) { return s.add(draft); }); }
  function allDrafts() { return store("readonly", function (s) { return s.getAll(); }); }
  function dropDraft(id) { return store("readwrite", function (s) { return s.delete(id); }); }

  function draftsBadge() {
    return allDrafts().then(function (rows) {
      var box = $("#fb-drafts");
      box.replaceChildren();
      if (rows && rows.length) {
        box.appendChild(el("div", "alert alert-info py-2 mb-2", T.draftsWaiting.replace("%(n)s", rows.length)));
      }
    }).catch(function () {});
  }

  function send(draft) {
    var data = new FormData();
    ["category", "description", "lat", "lng", "address", "device_id"].forEach(function (k) {
      if (draft[k] !== null && draft[k] !== undefined && draft[k] !== "") { data.append(k, draft[k]); }
    });
    (draft.photos || []).forEach(function (p) { data.append("photos", p, p.name || "anh.jpg"); });
    return api("feedback/reports/", { method: "POST", body: data });
  }

  var flushing = false;
  function flush() {
    if (flushing || !navigator.onLine) { return Promise.resolve(); }
    flushing = true;
    return allDrafts().then(function (rows) {
      var chain = Promise.resolve();
      (rows || []).forEach(function (d) {
        chain = chain.then(function () {
          return send(d).then(function (report) {
            return dropDraft(d.id).then(function () {
              say(result, "success", T.draftSent.replace("%(code)s", report.code));
              result.setAttribute("data-sent", report.code);
            });
          }).catch(function (e) {
            if (e.status && e.status >= 400 && e.status < 500 && e.status !== 429) {
              return dropDraft(d.id).then(function () { say(result, "danger", e.message); });
            }
          });
        });
      });
      return chain;
    }).catch(function () {}).then(function () { flushing = false; draftsBadge(); });
  }
  window.addEventListener("online", flush);

  function deviceId() {
    var id = localStorage.getItem("tinhso-device");
    if (!id) { id = "pwa-" + Math.random().toString(36).slice(2) + Date.now().toString(36); localStorage.setItem("tinhso-device", id); }
    return id;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!signedIn) { window.location.href = root.getAttribute("data-login"); return; }
    var draft = {
      category: form.elements.category.value,
      description: form.elements.description.value,
      lat: state.lat, lng: state.lng,
      address: form.elements.address.value,
      device_id: deviceId(),
      photos: state.photos,
      saved_at: new Date().toISOString()
    };
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var offline = function () {
      return saveDraft(draft).then(function () {
        say(result, "info", T.savedOffline);
        form.reset(); state.photos = []; $("#fb-previews").replaceChildren();
        draftsBadge();
      });
    };
    var attempt = navigator.onLine ? send(draft).then(function (report) {
      var box = el("div", "alert alert-success mb-2");
      box.appendChild(document.createTextNode(T.sent + " "));
      var a = el("a", "alert-link", report.code);
      a.href = "/feedback/r/" + report.code + "/";
      box.appendChild(a);
      result.replaceChildren(box);
      result.setAttribute("data-sent", report.code);
      form.reset(); state.photos = []; $("#fb-previews").replaceChildren(); nearbyBox.replaceChildren();
    }).catch(function (err) {
      if (!err.status) { return offline(); }  // network failure: keep it as a draft
      say(result, "danger", err.message);
    }) : offline();
    attempt.then(function () { button.disabled = false; });
  });

  // ---------------------------------------------------------------- lists
  function list(box, rows, render) {
    box.replaceChildren();
    if (!rows.length) { box.appendChild(el("p", "text-body-secondary", T.empty)); return; }
    var ul = el("ul", "list-group");
    rows.forEach(function (r) { ul.appendChild(render(r)); });
    box.appendChild(ul);
  }
  function needLogin(box) {
    if (signedIn) { return false; }
    var p = el("p");
    var a = el("a", "btn btn-primary", T.login);
    a.href = root.getAttribute("data-login");
    p.appendChild(a);
    box.replaceChildren(p);
    return true;
  }
  function loadMine() {
    var box = $("#fb-mine");
    if (needLogin(box)) { return; }
    api("feedback/reports/mine/?limit=50").then(function (page) {
      list(box, page.results || [], function (r) {
        var li = el("li", "list-group-item");
        var a = el("a", "fw-semibold", r.code);
        a.href = "/feedback/r/" + r.code + "/";
        li.appendChild(a);
        li.appendChild(el("span", "badge ms-2 fb-state fb-state-" + r.status, r.state_label));
        li.appendChild(el("div", "small", r.category_name + " · " + fmtDate(r.created_at)));
        li.appendChild(el("div", "small text-body-secondary text-truncate", r.description));
        return li;
      });
    }).catch(function (e) { say(box, "danger", e.message); });
  }
  function loadDossiers() {
    var box = $("#fb-dossiers");
    if (needLogin(box)) { return; }
    api("onestop/dossiers/?limit=50").then(function (page) {
      list(box, page.results || [], function (d) {
        var li = el("li", "list-group-item");
        li.appendChild(el("div", "fw-semibold", d.code || d.tracking_code));
        li.appendChild(el("div", "small", d.procedure_name));
        li.appendChild(el("div", "small text-body-secondary", d.status_label));
        return li;
      });
    }).catch(function (e) { say(box, "danger", e.message); });
  }
  function loadInbox() {
    var box = $("#fb-inbox");
    if (needLogin(box)) { return; }
    api("feedback/inbox/?limit=50").then(function (page) {
      list(box, page.results || [], function (m) {
        var li = el("li", "list-group-item");
        li.appendChild(el("div", "fw-semibold", m.subject || m.related_object));
        li.appendChild(el("div", "small fb-prewrap", m.body));
        li.appendChild(el("div", "small text-body-secondary", fmtDate(m.created_at)));
        return li;
      });
    }).catch(function (e) { say(box, "danger", e.message); });
  }
  $("#fb-lookup").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target, box = $("#fb-lookup-result");
    api("onestop/lookup/?code=" + encodeURIComponent(f.elements.code.value) + "&secret=" + encodeURIComponent(f.elements.secret.value))
      .then(function (d) {
        var card = el("div", "card");
        var body = el("div", "card-body");
        body.appendChild(el("div", "fw-semibold", d.code + " · " + d.procedure));
        body.appendChild(el("div", null, d.status_label));
        body.appendChild(el("div", "small text-body-secondary", d.step));
        if (d.due_at) { body.appendChild(el("div", "small", T.due + " " + fmtDate(d.due_at))); }
        card.appendChild(body);
        box.replaceChildren(card);
      }).catch(function (err) { say(box, "danger", err.message); });
  });

  // ---------------------------------------------------------------- start
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.getAttribute("data-sw"), { scope: root.getAttribute("data-scope") }).catch(function () {});
  }
  loadCategories();
  draftsBadge();
  flush();
  var first = (location.hash || "#new").slice(1);
  show(["new", "mine", "lookup", "dossiers", "inbox"].indexOf(first) >= 0 ? first : "new");
})();
