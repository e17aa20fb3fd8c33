/* 企业信息多维分析's chart: a stacked bar per row of the pivot, a stack per column, drawn from the
   data the page carries (<script type="application/json" id="dashboard-data">); clicking a piece
   opens the list behind that cell, as the table's figures do. A count at each month's end
   (登记在业主体 by 月份, data.stack false) is not stacked: the months' bars stand side by side. */
"use strict";
(function () {
  const source = document.getElementById("dashboard-data");
  const element = document.getElementById("pivot-chart");
  if (!source || !element || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const narrow = () => window.innerWidth < 768;
  const digits = data.money ? 2 : 0;
  const fmt = (v) => (v === null || v === undefined ? "—"
    : Number(v).toLocaleString("zh-CN", { maximumFractionDigits: digits, minimumFractionDigits: digits }));
  const names = data.rows.slice().reverse(); // the first row at the top
  const stacked = data.series.length > 1;
  const band = data.stack ? 28 : 10 * data.series.length + 18; // a row's height: one bar, or one per month
  element.style.height = `${Math.max(200, names.length * band + (stacked ? (narrow() ? 110 : 70) : 40))}px`;
  const chart = echarts.init(element);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true, valueFormatter: fmt },
    legend: stacked ? { top: 0, type: "scroll", itemWidth: 14 } : undefined,
    grid: { left: 8, right: 24, top: stacked ? (narrow() ? 64 : 36) : 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: data.money ? 0 : 1, axisLabel: { hideOverlap: true } },
    yAxis: { type: "category", data: names, axisLabel: { width: narrow() ? 84 : 180, overflow: "truncate" } },
    series: data.series.map((s) => ({
      name: s.name, type: "bar", stack: data.stack ? "pivot" : undefined, barMaxWidth: 18,
      data: s.values.slice().reverse().map((v) => ({ value: v.value, url: v.url })),
    })),
  });
  chart.on("click", (event) => {
    const url = event.data && event.data.url;
    if (url) location.assign(url);
  });
  addEventListener("resize", () => chart.resize());
})();
