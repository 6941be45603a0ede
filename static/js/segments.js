// Segment shares as bars with the seed's reference shares (9 % / 25 % / 29 %) as markers.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("segment-share-chart");
    var dataEl = document.getElementById("segment-chart-data");
    if (!el || !dataEl || !window.echarts) return;
    var d = JSON.parse(dataEl.textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: d.series, bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 56 },
      xAxis: { type: "category", data: d.labels, axisLabel: { interval: 0 } },
      yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
      series: [
        { name: d.series[0], type: "bar", data: d.shares, itemStyle: { color: "#137a9a" }, label: { show: true, position: "insideTop", color: "#fff", formatter: "{c}%" } },
        { name: d.series[1], type: "line", data: d.reference, symbol: "diamond", symbolSize: 14, lineStyle: { opacity: 0 },
          itemStyle: { color: "#c0392b" }, label: { show: true, position: "right", formatter: function (p) { return p.value == null ? "" : p.value + "%"; } } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });

  // Complaints per 100 households by segment (the table beside it is the accessible view).
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("segment-complaint-chart");
    var dataEl = document.getElementById("segment-complaint-chart-data");
    if (!el || !dataEl || !window.echarts) return;
    var d = JSON.parse(dataEl.textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [d.series], bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 56 },
      xAxis: { type: "category", data: d.labels, axisLabel: { interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: d.series, type: "bar", data: d.values, itemStyle: { color: "#b9770e" },
          label: { show: true, position: "top", formatter: function (p) { return p.value == null ? "—" : p.value; } } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
