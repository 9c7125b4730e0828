/* Maps of the feedback app: Leaflet (vendored), the province's communes drawn from
   shipped GeoJSON, no tile server unless one is configured (FEEDBACK_TILE_URL). */
(function () {
  "use strict";

  function config(el) {
    try { return JSON.parse(el.getAttribute("data-map") || "{}"); } catch (e) { return {}; }
  }

  function create(el, cfg) {
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!cfg.tiles });
    if (cfg.tiles) {
      L.tileLayer(cfg.tiles, { attribution: cfg.tilesAttribution || "", maxZoom: 19 }).addTo(map);
    }
    map.setView([18.85, 105.5], 10);
    var ready = fetch(cfg.areas, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geojson) {
        var layer = L.geoJSON(geojson, {
          style: { color: "#0b5394", weight: 1, fillColor: "#dbe7f3", fillOpacity: cfg.tiles ? 0.1 : 0.55 },
          onEachFeature: function (feature, lyr) {
            lyr.bindTooltip(feature.properties.name, { sticky: true });
          }
        }).addTo(map);
        if (layer.getLayers().length) { map.fitBounds(layer.getBounds()); }
        map.communes = layer;
        return map;
      })
      .catch(function () { return map; });
    map.ready = ready;
    return map;
  }

  var COLORS = { open: "#d9480f", closed: "#2b8a3e" };

  function points(map, url, onClick) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var group = L.layerGroup();
        (data.points || []).forEach(function (p) {
          var marker = L.circleMarker([p[1], p[2]], {
            radius: 6, color: "#fff", weight: 1, fillColor: COLORS[p[3]] || "#555", fillOpacity: 0.9
          });
          var link = document.createElement("a");
          link.href = "/feedback/r/" + encodeURIComponent(p[0]) + "/";
          link.textContent = p[0] + " · " + p[4];
          marker.bindPopup(link);
          if (onClick) { marker.on("click", function () { onClick(p); }); }
          group.addLayer(marker);
        });
        group.addTo(map);
        return group;
      });
  }

  function heat(map, rows) {
    var max = 1;
    rows.forEach(function (r) { if (r[2] > max) { max = r[2]; } });
    var group = L.layerGroup();
    rows.forEach(function (r) {
      var t = r[2] / max;
      var color = t > 0.66 ? "#c92a2a" : t > 0.33 ? "#f08c00" : "#fab005";
      L.circle([r[0], r[1]], {
        radius: 600 + 1400 * t, stroke: false, fillColor: color, fillOpacity: 0.35 + 0.4 * t
      }).bindTooltip(String(r[2])).addTo(group);
    });
    group.addTo(map);
    return group;
  }

  window.TinhsoMap = { config: config, create: create, points: points, heat: heat };

  // Pages: <div class="feedback-map" data-map='{...}' data-points="1"> and
  // <div class="feedback-map" data-map='{...}' data-point="lat,lng">
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".feedback-map[data-auto]").forEach(function (el) {
      var cfg = config(el);
      var map = create(el, cfg);
      if (el.hasAttribute("data-points")) { points(map, cfg.points); }
      var point = el.getAttribute("data-point");
      if (point) {
        var ll = point.split(",").map(Number);
        map.ready.then(function () {
          L.circleMarker(ll, { radius: 9, color: "#fff", weight: 2, fillColor: "#d9480f", fillOpacity: 1 }).addTo(map);
          map.setView(ll, 14);
        });
      }
      if (el.hasAttribute("data-heat")) {
        var load = function () {
          fetch(el.getAttribute("data-heat"), { credentials: "same-origin" })
            .then(function (r) { return r.json(); })
            .then(function (d) {
              if (map.heatLayer) { map.removeLayer(map.heatLayer); }
              map.heatLayer = heat(map, d.heat || []);
            });
        };
        map.ready.then(load);
        setInterval(load, 60000);
      }
    });
  });
})();
