// Satisfaction results charts (ECharts, served locally). Data comes from json_script, never inline JS.
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("sat-chart-data");
    if (!holder || !window.echarts) return;
    var data = JSON.parse(holder.textContent), L = data.labels;
    function labels(rows) { return rows.map(function (r) { return r.label; }); }
    function pick(rows, key, scale) { return rows.map(function (r) { return r[key] === null ? null : Math.round(r[key] * (scale || 1) * 10) / 10; }); }
    var specs = {
      wave: function (rows) {
        return { tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 44, right: 20, top: 40, bottom: 80 },
          xAxis: { type: "category", data: labels(rows), axisLabel: { rotate: 30 } }, yAxis: { type: "value", min: -100, max: 100 },
          series: [{ name: L.index, type: "bar", data: pick(rows, "satisfaction_index") },
                   { name: L.recommend, type: "bar", data: pick(rows, "recommend_score") },
                   { name: L.rate, type: "line", symbolSize: 9, data: pick(rows, "response_rate", 100) }] };
      },
      dimension: function (rows) {
        return { tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 44, right: 20, top: 40, bottom: 40 },
          xAxis: { type: "category", data: labels(rows) }, yAxis: { type: "value", min: 0, max: 100 },
          series: [{ name: L.index, type: "bar", data: pick(rows, "satisfaction_index") },
                   { name: L.satisfied, type: "bar", data: pick(rows, "share_satisfied", 100) }] };
      },
      period: function (rows) {
        return { tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 44, right: 20, top: 40, bottom: 40 },
          xAxis: { type: "category", data: labels(rows) }, yAxis: { type: "value", min: -100, max: 100 },
          series: [{ name: L.index, type: rows.length > 2 ? "line" : "bar", symbolSize: 9, data: pick(rows, "satisfaction_index") },
                   { name: L.recommend, type: rows.length > 2 ? "line" : "bar", symbolSize: 9, data: pick(rows, "recommend_score") }] };
      }
    };
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var key = el.getAttribute("data-chart"), rows = data[key] || [];
      var chart = window.echarts.init(el);
      chart.setOption(specs[key](rows));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
