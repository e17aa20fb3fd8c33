/* The dashboard's charts, drawn from the data the page carries (<script type="application/json"
   id="dashboard-data">, computed by the server: this script only draws). Clicking a region, bar or
   point opens the page behind it (its `url`), as every figure in the tables does. */
"use strict";
(function () {
  const source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const charts = [];
  const BLUE = "#1f5fbf", RED = "#c62828";
  const fmt = (v, digits = 0) => (v === null || v === undefined ? "无数据"
    : Number(v).toLocaleString("zh-CN", { maximumFractionDigits: digits, minimumFractionDigits: digits }));

  function draw(id, option, height, renderer = "canvas") {
    const element = document.getElementById(id);
    if (!element) return null;
    if (height) element.style.height = `${height}px`;
    const chart = echarts.init(element, null, { renderer });
    chart.setOption({ animation: false, ...option });
    chart.on("click", (event) => {
      const url = event.data && event.data.url;
      if (url) location.assign(url);
    });
    charts.push(chart);
    return chart;
  }

  const narrow = () => window.innerWidth < 768;
  /* 揭东区 wraps around 榕城区: their centres almost meet, so their names are moved apart */
  const LABEL_OFFSETS = { "榕城区": [-18, 10], "揭东区": [-4, -40] };

  function overview() {
    const m = data.measure;
    const show = (v) => (m.unit === "%" ? (v === null ? "无数据" : `${fmt(v, 1)}%`) : `${fmt(v)} ${m.unit}`);
    draw("map-chart", {
      tooltip: { trigger: "item", formatter: (p) => `${p.name}<br>${m.label}：${show(p.data ? p.data.value : null)}` },
      series: [{
        type: "map", map: "揭阳", roam: false, selectedMode: false, layoutCenter: ["50%", "50%"], layoutSize: "100%",
        label: { show: true, fontSize: narrow() ? 11 : 13, color: "#1d2733", textBorderColor: "#fff", textBorderWidth: 2 },
        emphasis: { label: { color: "#000" }, itemStyle: { areaColor: "#ffd54f" } },
        itemStyle: { borderColor: "#fff", borderWidth: 1, areaColor: "#eeeeee" },
        data: data.divisions.map((d) => ({ name: d.name, value: d.value, url: d.url, itemStyle: { areaColor: d.colour },
          label: { offset: LABEL_OFFSETS[d.name] || [0, 0] } })),
      }],
    });
    const legend = document.getElementById("map-legend");
    if (legend) {
      const range = (s) => (m.unit === "%" ? `${fmt(s.low, 1)}–${fmt(s.high, 1)}%` : s.low === s.high ? fmt(s.low) : `${fmt(s.low)}–${fmt(s.high)}`);
      legend.replaceChildren(...data.steps.map((s) => {
        const item = document.createElement("li");
        const swatch = document.createElement("i");
        swatch.style.background = s.colour;
        item.append(swatch, range(s));
        return item;
      }));
    }
    const rows = data.townships.slice().reverse(); // the largest at the top
    draw("rank-chart", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: show },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: m.unit === "%" ? 0 : 1, axisLabel: { show: !narrow() } },
      yAxis: { type: "category", data: rows.map((t) => t.name), axisLabel: { fontSize: 12 } },
      series: [{ type: "bar", barMaxWidth: 22, itemStyle: { color: BLUE }, label: { show: true, position: "right", formatter: (p) => show(p.value) },
        data: rows.map((t) => ({ value: t.value, url: t.url })) }],
    }, Math.max(120, rows.length * 26 + 40));
  }

  /* Each 门类's share of the area's tax and power: one scale for both (their amounts differ by orders
     of magnitude); the amounts are in the tooltip and the table. */
  function industries() {
    const rows = data.rows.slice().reverse();
    const amount = { "纳税占比": (r) => `${fmt(r.tax, 2)} 元`, "用电占比": (r) => `${fmt(r.kwh)} 千瓦时` };
    draw("industries-chart", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true,
        formatter: (items) => [items[0].name, ...items.map((i) => `${i.marker}${i.seriesName} ${fmt(i.value, 1)}%（${amount[i.seriesName](rows[i.dataIndex])}）`)].join("<br>") },
      legend: { data: ["纳税占比", "用电占比"], top: 0 },
      grid: { left: 8, right: 40, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: rows.map((r) => r.name), axisLabel: { width: narrow() ? 96 : 200, overflow: "truncate" } },
      series: [
        { name: "纳税占比", type: "bar", barMaxWidth: 18, itemStyle: { color: RED }, data: rows.map((r) => ({ value: r.tax_share, url: r.url })) },
        { name: "用电占比", type: "bar", barMaxWidth: 18, itemStyle: { color: BLUE }, data: rows.map((r) => ({ value: r.kwh_share, url: r.url })) },
      ],
    }, Math.max(200, rows.length * 44 + 70));
  }

  function trend() {
    draw("trend-chart", {
      tooltip: { trigger: "axis", confine: true, valueFormatter: (v) => `${fmt(v)} 千瓦时` },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.months.map((p) => (narrow() ? p.slice(2) : p)) },
      yAxis: { type: "value", name: "千瓦时" },
      series: data.series.map((s) => ({
        name: s.name, type: "line", connectNulls: false, symbolSize: 6,
        data: s.kwh.map((v, i) => ({ value: v, url: s.urls[i] })),
      })),
    });
    /* 用电景气: average daily use YoY (bars, festival-aligned) and the share of entities below last year (line) */
    const pct = (v) => (v === null || v === undefined ? "无数据" : `${fmt(v, 1)}%`);
    draw("climate-chart", {
      tooltip: { trigger: "axis", confine: true, valueFormatter: pct },
      legend: { bottom: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 32, containLabel: true },
      xAxis: { type: "category", data: data.climate.map((p) => (narrow() ? p.period.slice(2) : p.period)) },
      yAxis: [{ type: "value", name: "日均同比 %" }, { type: "value", name: "低于上年 %", min: 0, max: 100 }],
      series: [
        { name: "日均用电同比", type: "bar", barMaxWidth: 36,
          data: data.climate.map((p) => ({ value: p.daily_yoy, url: p.url,
            itemStyle: { color: p.daily_yoy !== null && p.daily_yoy < 0 ? RED : BLUE } })) },
        { name: "低于上年同期的主体占比", type: "line", yAxisIndex: 1, connectNulls: false, symbolSize: 6, itemStyle: { color: "#e08a00" },
          data: data.climate.map((p) => ({ value: p.below_share, url: p.url })) },
      ],
    });
  }

  function entity() {
    const months = data.months;
    draw("entity-chart", {
      tooltip: { trigger: "axis", confine: true },
      legend: { data: ["用电（千瓦时）", "纳税（元）"], bottom: 0 },
      grid: { left: 8, right: 8, top: 32, bottom: 32, containLabel: true },
      xAxis: { type: "category", data: months.map((m) => m.period.slice(2)) },
      yAxis: [{ type: "value", name: "千瓦时" }, { type: "value", name: "元" }],
      series: [
        { name: "用电（千瓦时）", type: "bar", barMaxWidth: 40, data: months.map((m) => m.kwh), itemStyle: { color: BLUE } },
        { name: "纳税（元）", type: "line", yAxisIndex: 1, data: months.map((m) => m.tax), itemStyle: { color: RED }, connectNulls: false },
      ],
    });
  }

  /* the monthly report: the township's 13 months, tax as bars and power as a line; a month opens
     its entity list. SVG, so that the printed report is sharp; sized to the A4 page when printed. */
  function report() {
    const months = data.months;
    const chart = draw("report-chart", {
      tooltip: { trigger: "axis", confine: true },
      legend: { data: ["纳税（元）", "用电（千瓦时）"], bottom: 0 },
      grid: { left: 8, right: 8, top: 32, bottom: 32, containLabel: true },
      xAxis: { type: "category", data: months.map((m) => (narrow() ? m.period.slice(2) : m.period)) },
      yAxis: [{ type: "value", name: "元" }, { type: "value", name: "千瓦时" }],
      series: [
        { name: "纳税（元）", type: "bar", barMaxWidth: 32, itemStyle: { color: BLUE },
          data: months.map((m) => ({ value: m.tax, url: m.url })) },
        { name: "用电（千瓦时）", type: "line", yAxisIndex: 1, connectNulls: false, symbolSize: 6, itemStyle: { color: "#e08a00" },
          data: months.map((m) => ({ value: m.kwh, url: m.url })) },
      ],
    }, null, "svg");
    if (!chart) return;
    const element = chart.getDom();
    addEventListener("beforeprint", () => chart.resize({ width: Math.min(element.clientWidth, 680) }));
    addEventListener("afterprint", () => chart.resize());
  }

  /* 经济管理监管分析: each month's alerts stacked by handling state; a bar opens its alerts */
  const STATE_COLOURS = { open: RED, acknowledged: "#e08a00", resolved: "#2e7d32" };
  function supervision() {
    draw("supervision-chart", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.months.map((m) => (narrow() ? m.slice(2) : m)) },
      yAxis: { type: "value", minInterval: 1, name: "条" },
      series: data.series.map((s) => ({
        name: s.name, type: "bar", stack: "alerts", barMaxWidth: 36, itemStyle: { color: STATE_COLOURS[s.state] }, data: s.values,
      })),
    });
  }

  /* 锁定分析 and 异常纳税: entities listed per township, one bar per rule; a bar opens the township's list */
  function rule_lists() {
    draw("rule-lists-chart", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true, valueFormatter: (v) => `${fmt(v)} 户` },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.townships, axisLabel: { width: narrow() ? 80 : 160, overflow: "truncate" } },
      series: data.series.map((s) => ({ name: s.name, type: "bar", barMaxWidth: 18, data: s.values })),
    }, Math.max(160, data.townships.length * data.series.length * 22 + 80));
  }

  /* 公共信息对比分析: per township, each department's records as linked / unlinked / pending shares,
     one stacked bar per department side by side; a bar opens the township's entities with that
     department's figure. The lowest coverage at the top. */
  const SHARE_COLOURS = { "税务": { linked: "#2e7d32", unlinked: RED, pending: "#e08a00" },
    "供电": { linked: "#81c784", unlinked: "#ef9a9a", pending: "#ffcc80" } };
  function comparison() {
    const names = data.townships.slice().reverse();
    draw("comparison-chart", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true,
        formatter: (items) => [items[0].name, ...items.map((i) => `${i.marker}${i.seriesName} ${i.value === null || i.value === undefined ? "无记录" : `${fmt(i.value, 1)}%`}（${fmt(i.data.count)} 条）`)].join("<br>") },
      legend: { top: 0, itemWidth: 14 },
      grid: { left: 8, right: 24, top: narrow() ? 64 : 40, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: names, axisLabel: { width: narrow() ? 96 : 180, overflow: "truncate" } },
      series: data.series.map((s) => ({
        name: s.name, type: "bar", stack: s.department, barMaxWidth: 14, itemStyle: { color: SHARE_COLOURS[s.department][s.share] },
        data: s.values.slice().reverse(),
      })),
    }, Math.max(180, names.length * 40 + 90));
  }

  ({ overview, industries, trend, entity, supervision, rule_lists, comparison, report })[data.chart]();
  addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
