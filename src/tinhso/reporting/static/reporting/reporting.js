/* Charts of the reporting pages, drawn with the vendored Chart.js from data blocks
   (json_script) — no inline script, no CDN. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var NAMES = {
    online_full: "Trực tuyến toàn trình (%)",
    on_time: "Đúng hạn (%)",
    satisfaction: "Hài lòng (%)",
    payments: "Thanh toán trực tuyến (%)"
  };
  var COLORS = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545"];
  function trend(canvasId, source) {
    var canvas = document.getElementById(canvasId);
    if (!canvas || !source) { return; }
    var datasets = Object.keys(source.trend).map(function (key, i) {
      return { label: NAMES[key] || key, data: source.trend[key], borderColor: COLORS[i % 5],
               backgroundColor: COLORS[i % 5], spanGaps: true, tension: 0.2 };
    });
    new Chart(canvas, { type: "line", data: { labels: source.labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false,
                 scales: { y: { min: 0, max: 100 } } } });
  }
  var leader = data("leader-data");
  var kpi = data("kpi-trend-data");
  trend("kpi-trend", leader || kpi);
  if (leader) {
    var groups = document.getElementById("index-groups");
    if (groups) {
      new Chart(groups, { type: "bar", data: {
        labels: leader.groups.map(function (g) { return g.name; }),
        datasets: [
          { label: "Điểm đạt", data: leader.groups.map(function (g) { return g.points; }), backgroundColor: "#0d6efd" },
          { label: "Điểm tính được", data: leader.groups.map(function (g) { return g.computable; }), backgroundColor: "#adb5bd" },
          { label: "Điểm tối đa", data: leader.groups.map(function (g) { return g.max; }), backgroundColor: "#dee2e6" }
        ] }, options: { responsive: true, maintainAspectRatio: false, indexAxis: "y" } });
    }
    var overdue = document.getElementById("overdue");
    if (overdue && leader.overdue.labels.length) {
      new Chart(overdue, { type: "bar", data: { labels: leader.overdue.labels, datasets: [
        { label: "Hồ sơ TTHC quá hạn", data: leader.overdue.dossiers, backgroundColor: "#dc3545" },
        { label: "Văn bản đến quá hạn", data: leader.overdue.documents, backgroundColor: "#fd7e14" }
      ] }, options: { responsive: true, maintainAspectRatio: false } });
    }
  }
}());
