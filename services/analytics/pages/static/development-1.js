/* 企业发展 (区域企业发展概况)'s chart, drawn from the data the page carries (<script type="application/json"
   id="dashboard-data">): each month's new entities against those deregistered or revoked (bars) and
   the entities active at its end (a line). Clicking a bar or a point opens that month's list. */
"use strict";
(function () {
  const source = document.getElementById("dashboard-data");
  const element = document.getElementById("development-chart");
  if (!source || !element || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const narrow = () => window.innerWidth < 768;
  const fmt = (v) => (v === null || v === undefined ? "无数据" : Number(v).toLocaleString("zh-CN"));
  const chart = echarts.init(element);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", confine: true, valueFormatter: (v) => `${fmt(v)} 户` },
    legend: { data: ["当月成立", "当月注销、吊销", "月末存续"], top: 0 },
    grid: { left: 8, right: 8, top: narrow() ? 56 : 40, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.months.map((m) => (narrow() ? m.slice(2) : m)) },
    /* the bars count a month's entities, the line all those of the area: each its own scale */
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", minInterval: 1, scale: true, splitLine: { show: false } }],
    series: [
      { name: "当月成立", type: "bar", barMaxWidth: 24, itemStyle: { color: "#2e7d32" }, data: data.new },
      { name: "当月注销、吊销", type: "bar", barMaxWidth: 24, itemStyle: { color: "#c62828" }, data: data.ended },
      { name: "月末存续", type: "line", yAxisIndex: 1, symbolSize: 7, itemStyle: { color: "#1f5fbf" }, data: data.active },
    ],
  });
  chart.on("click", (event) => {
    const url = event.data && event.data.url;
    if (url) location.assign(url);
  });
  addEventListener("resize", () => chart.resize());
})();
