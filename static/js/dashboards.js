// Dashboard charts (ECharts, served locally). Each <div data-chart="ID"> reads its spec from the
// <script type="application/json" id="ID"> that json_script wrote; the table view beside it holds
// the same numbers for screen readers and print. No inline script anywhere (CSP).
(function () {
  "use strict";
  var FONT = '"PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", "Source Han Sans SC", sans-serif';
  var PALETTE = ["#137a9a", "#e07b39", "#3a9d5d", "#c0392b", "#8e6bbf", "#d4a72c", "#5c7080"];
  var charts = [];

  function axisLabel(categories, horizontal) {
    var long = categories.some(function (c) { return c.length > 5; });
    return { interval: horizontal || categories.length <= 10 ? 0 : "auto", fontFamily: FONT,
             rotate: !horizontal && long && categories.length > 4 ? 30 : 0,
             formatter: function (v) { return v.length > 16 ? v.slice(0, 15) + "…" : v; } };
  }

  function option(spec) {
    var horizontal = spec.kind === "hbar";
    var unit = spec.unit || "";
    if (spec.kind === "heatmap") {
      var data = [], max = 0;
      spec.series.forEach(function (s, y) { s.data.forEach(function (v, x) { data.push([x, y, v]); if (v > max) max = v; }); });
      return {
        textStyle: { fontFamily: FONT }, tooltip: { position: "top" },
        grid: { left: 120, right: 20, top: 10, bottom: 80 },
        xAxis: { type: "category", data: spec.categories, axisLabel: axisLabel(spec.categories, false) },
        yAxis: { type: "category", data: spec.series.map(function (s) { return s.name; }) },
        visualMap: { min: 0, max: Math.max(max, 1), calculable: false, orient: "horizontal", left: "center", bottom: 0,
                     inRange: { color: ["#f4f9fb", "#f6c36b", "#e07b39", "#c0392b"] } },
        series: [{ type: "heatmap", data: data, label: { show: true } }]
      };
    }
    var catAxis = { type: "category", data: spec.categories, axisLabel: axisLabel(spec.categories, horizontal), axisTick: { alignWithLabel: true } };
    var valAxis = { type: "value", axisLabel: { formatter: "{value}" + unit }, splitLine: { lineStyle: { color: "#edf2f7" } } };
    if (unit === "%" && spec.band == null) { valAxis.min = 0; valAxis.max = 100; }
    var series = spec.series.map(function (s, i) {
      var out = { name: s.name, type: spec.kind === "line" ? "line" : "bar", data: s.data, barMaxWidth: 38,
                  label: { show: spec.series.length === 1 && spec.categories.length <= 12, position: horizontal ? "right" : "top",
                           formatter: function (p) { return p.value == null ? "" : p.value + unit; } } };
      if (spec.kind === "stacked") { out.stack = "total"; out.label.show = false; }
      if (spec.kind === "line") { out.symbolSize = 6; out.connectNulls = true; }
      if (i === 0 && spec.target != null) {
        out.markLine = { symbol: "none", lineStyle: { type: "dashed", color: "#c0392b" }, label: { formatter: "目标 {c}" + unit },
                         data: [horizontal ? { xAxis: spec.target } : { yAxis: spec.target }] };
      }
      if (i === 0 && spec.band != null) {
        var b = spec.band;
        out.markArea = { silent: true, itemStyle: { color: "rgba(58,157,93,0.08)" },
                         data: [[horizontal ? { xAxis: -b } : { yAxis: -b }, horizontal ? { xAxis: b } : { yAxis: b }]] };
        out.itemStyle = { color: function (p) { return Math.abs(p.value) > b ? "#c0392b" : "#3a9d5d"; } };
      }
      return out;
    });
    return {
      color: PALETTE, textStyle: { fontFamily: FONT }, animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: spec.series.length > 1 ? { top: 0, textStyle: { fontFamily: FONT } } : undefined,
      grid: { left: horizontal ? 110 : 48, right: 28, top: spec.series.length > 1 ? 34 : 18, bottom: 8, containLabel: true },
      xAxis: horizontal ? valAxis : catAxis,
      yAxis: horizontal ? Object.assign({ inverse: true }, catAxis) : valAxis,
      series: series
    };
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source || !window.echarts) return;
    var spec = JSON.parse(source.textContent);
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option(spec));
    if (spec.links) {
      el.classList.add("clickable");
      chart.on("click", function (p) {
        var link = spec.links[p.dataIndex];
        if (link) window.location.href = link;
      });
    }
    charts.push(chart);
  }

  function resizeAll() { charts.forEach(function (c) { c.resize(); }); }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(draw);
    window.addEventListener("resize", resizeAll);
    window.addEventListener("beforeprint", resizeAll);
    // Project switcher: <select data-nav> whose option values are URLs.
    document.querySelectorAll("select[data-nav]").forEach(function (sel) {
      sel.addEventListener("change", function () { if (sel.value) window.location.href = sel.value; });
    });
  });
})();
