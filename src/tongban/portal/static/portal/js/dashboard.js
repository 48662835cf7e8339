/* Tongban dashboards: draws the ECharts of the public and the internal indicator pages.
 *
 * Each chart is a <div class="chart" data-chart="ID"> whose data is the JSON of
 * <script type="application/json" id="ID"> (Django's json_script), so no inline script
 * runs. Every chart has a table beside it with the same numbers; the chart is decoration
 * for sighted readers and is hidden from assistive technology (aria-hidden on the div).
 *
 * A chart spec: {type: "bar" | "line" | "pie" | "funnel", categories: [...],
 * series: [{name, data: [...], axis?: 0 | 1, kind?: "bar" | "line"}], unit: "percent" |
 * "days" | "count", unit2?: ..., horizontal?: bool, labels: {...}}.
 */
(function () {
  "use strict";

  var PALETTE = ["#0f4c9c", "#c8102e", "#e0a100", "#146c2e", "#6b4fa3", "#0a8a8a", "#98a2b3"];
  var charts = [];

  function english() {
    return (document.documentElement.lang || "").slice(0, 2) === "en";
  }

  function formatter(unit) {
    return function (value) {
      if (value === null || value === undefined || value === "") {
        return "—";
      }
      if (unit === "percent") {
        return (Math.round(value * 1000) / 10).toFixed(1) + "%";
      }
      if (unit === "days") {
        return (Math.round(value * 10) / 10).toString();
      }
      return String(value);
    };
  }

  function narrow(el) {
    return el.clientWidth < 480;
  }

  function tooltipFormatter(spec) {
    var formats = [formatter(spec.unit), formatter(spec.unit2 || spec.unit)];
    return function (params) {
      var list = Array.isArray(params) ? params : [params];
      if (!list.length) {
        return "";
      }
      var lines = [escapeHtml(list[0].name)];
      list.forEach(function (p) {
        var series = spec.series[p.seriesIndex] || {};
        var value = Array.isArray(p.value) ? p.value[p.value.length - 1] : p.value;
        lines.push(p.marker + escapeHtml(p.seriesName) + "：" + formats[series.axis || 0](value));
      });
      return lines.join("<br>");
    };
  }

  function escapeHtml(text) {
    return String(text === undefined || text === null ? "" : text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }

  function axisOption(spec, el) {
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      axisLabel: { hideOverlap: true, width: spec.horizontal ? (narrow(el) ? 96 : 160) : 90, overflow: "truncate" },
      axisTick: { alignWithLabel: true },
      inverse: Boolean(spec.horizontal)
    };
    var valueAxes = [
      { type: "value", axisLabel: { formatter: formatter(spec.unit) }, splitLine: { lineStyle: { color: "#e4e8ef" } } }
    ];
    if (spec.unit2) {
      valueAxes.push({ type: "value", axisLabel: { formatter: formatter(spec.unit2) }, splitLine: { show: false } });
    }
    valueAxes.forEach(function (axis, i) {
      // Counts and whole days have no halves on their axis.
      if ((i === 0 ? spec.unit : spec.unit2) !== "percent") {
        axis.minInterval = 1;
      } else {
        axis.max = 1;
      }
    });
    var series = spec.series.map(function (s) {
      var kind = s.kind || spec.type;
      var item = {
        name: s.name,
        type: kind,
        data: s.data,
        barMaxWidth: 28,
        emphasis: { focus: "series" }
      };
      if (spec.horizontal) {
        item.xAxisIndex = s.axis || 0;
      } else {
        item.yAxisIndex = s.axis || 0;
      }
      if (kind === "line") {
        item.smooth = false;
        item.symbolSize = 6;
        item.connectNulls = true;
      }
      if (spec.series.length === 1 && kind === "bar") {
        item.label = {
          show: true,
          position: spec.horizontal ? "right" : "top",
          formatter: function (p) { return formatter(spec.unit)(p.value); },
          fontSize: 11,
          color: "#4a5566"
        };
      }
      return item;
    });
    var option = {
      grid: { left: 8, right: spec.horizontal ? 48 : 16, top: spec.series.length > 1 ? 36 : 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltipFormatter(spec), confine: true },
      legend: spec.series.length > 1 ? { top: 0, type: "scroll" } : { show: false },
      series: series
    };
    if (spec.horizontal) {
      option.yAxis = categoryAxis;
      option.xAxis = valueAxes;
    } else {
      option.xAxis = categoryAxis;
      option.yAxis = valueAxes;
    }
    return option;
  }

  function pieOption(spec, el) {
    var values = spec.series[0].data;
    var data = spec.categories.map(function (name, i) {
      return { name: name, value: values[i] };
    });
    var small = narrow(el);
    return {
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）", confine: true },
      legend: { bottom: 0, type: "scroll" },
      series: [
        {
          name: spec.series[0].name,
          type: spec.type,
          radius: spec.type === "pie" ? (small ? ["32%", "58%"] : ["38%", "66%"]) : undefined,
          center: spec.type === "pie" ? ["50%", "45%"] : undefined,
          top: 8,
          bottom: 40,
          left: "10%",
          width: "80%",
          sort: spec.type === "funnel" ? "none" : undefined,
          minSize: spec.type === "funnel" ? "12%" : undefined,
          label: spec.type === "pie"
            ? { formatter: small ? "{d}%" : "{b}\n{d}%" }
            : { position: "inside", formatter: "{b}：{c}", color: "#fff" },
          data: data
        }
      ]
    };
  }

  function draw(el) {
    var source = document.getElementById(el.dataset.chart);
    if (!source || !window.echarts) {
      return;
    }
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (err) {
      return;
    }
    if (!spec || !spec.categories || !spec.categories.length) {
      el.hidden = true;
      return;
    }
    if (el.dataset.height) {
      el.style.height = Math.max(200, parseInt(el.dataset.height, 10) || 0) + "px";
    }
    var chart = window.echarts.init(el, null, { renderer: "svg", locale: english() ? "EN" : "ZH" });
    var option = spec.type === "pie" || spec.type === "funnel" ? pieOption(spec, el) : axisOption(spec, el);
    option.color = PALETTE;
    option.textStyle = { fontFamily: getComputedStyle(document.body).fontFamily };
    option.animation = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    chart.setOption(option);
    el.classList.add("is-drawn");
    charts.push(chart);
  }

  function resizeAll() {
    charts.forEach(function (chart) {
      chart.resize();
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) {
        window.clearTimeout(pending);
      }
      pending = window.setTimeout(resizeAll, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
