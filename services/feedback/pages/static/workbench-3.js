/* The workbench's acts: each button or form sends one act to /v1/cases/{id}/acts (a photo to
   /v1/cases/{id}/photos, with the phone's location), with a fresh Idempotency-Key that a retry of
   the same tap reuses, then shows the case as it now stands. The buttons come disabled and are
   enabled here, once their handlers are attached: on a slow village connection a tap before the
   script has run would otherwise submit the form as a plain GET and lose what was typed. */
"use strict";
(function () {
  const page = document.getElementById("case");
  if (!page) return;
  const caseId = page.dataset.caseId;

  /* The months the rule looked at: power as bars, tax as a line, a missing record as a gap. */
  const data = document.getElementById("evidence-data");
  if (data && window.echarts) {
    const months = JSON.parse(data.textContent);
    const chart = echarts.init(document.getElementById("evidence-chart"));
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: ["用电（千瓦时）", "纳税（元）"], top: 0 },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: months.map((m) => m.period.slice(2)) },
      yAxis: [{ type: "value", name: "千瓦时" }, { type: "value", name: "元" }],
      series: [
        { name: "用电（千瓦时）", type: "bar", data: months.map((m) => m.kwh), itemStyle: { color: "#1f5fbf" } },
        { name: "纳税（元）", type: "line", yAxisIndex: 1, data: months.map((m) => m.tax), itemStyle: { color: "#c62828" },
          connectNulls: false },
      ],
    });
    addEventListener("resize", () => chart.resize());
  }
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());

  async function send(path, body, key) {
    try {
      await bizpulse.api(path, { method: "POST", body, headers: { "Idempotency-Key": key } });
      location.reload();
    } catch (error) {
      bizpulse.showError(error);
    }
  }

  function busy(control, on) {
    control.querySelectorAll("button").forEach((b) => { b.disabled = on; });
    if (control.tagName === "BUTTON") control.disabled = on;
  }

  document.querySelectorAll("button[data-act]").forEach((button) => {
    const key = newKey();
    button.addEventListener("click", async () => {
      busy(button, true);
      await send(`/v1/cases/${caseId}/acts`, { action: button.dataset.act }, key);
      busy(button, false);
    });
  });

  document.querySelectorAll("form[data-act]").forEach((form) => {
    const key = newKey();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { action: form.dataset.act };
      new FormData(form).forEach((value, name) => {
        if (name === "not_linked") {  // "department|source_key" of each record found not to be the entity's
          const [department, source_key] = value.split("|");
          (body.not_linked = body.not_linked || []).push({ department, source_key });
        } else if (value !== "") body[name] = value;
      });
      busy(form, true);
      await send(`/v1/cases/${caseId}/acts`, body, key);
      busy(form, false);
    });
  });

  const decision = document.getElementById("decision-form");
  if (decision) {
    const key = newKey();
    decision.addEventListener("submit", async (event) => {
      event.preventDefault();
      const usccs = decision.usccs.value.split(/[,，\s]+/).filter(Boolean);
      busy(decision, true);
      await send(`/v1/match-cases/${caseId}/decision`, { action: decision.action.value, usccs, note: decision.note.value }, key);
      busy(decision, false);
    });
  }

  /* Where the phone is, if it will say within 10 s; a photo without a location is still a photo. */
  function position() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition((p) => resolve(p.coords), () => resolve(null),
        { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }

  const photoForm = document.getElementById("photo-form");
  if (photoForm) {
    const key = newKey();
    photoForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      busy(photoForm, true);
      const where = await position();
      const note = document.getElementById("photo-location");
      if (where) {
        photoForm.latitude.value = where.latitude;
        photoForm.longitude.value = where.longitude;
        photoForm.accuracy_m.value = where.accuracy;
        note.textContent = `位置：${where.latitude.toFixed(5)}, ${where.longitude.toFixed(5)}（±${Math.round(where.accuracy)} 米）`;
      } else {
        note.textContent = "位置：未能获取（照片仍会上传）";
      }
      const body = new FormData(photoForm);
      for (const name of ["latitude", "longitude", "accuracy_m"]) if (!body.get(name)) body.delete(name);
      body.append("taken_at", new Date().toISOString());
      await send(`/v1/cases/${caseId}/photos`, body, key);
      busy(photoForm, false);
    });
  }
  document.querySelectorAll("[data-needs-script]").forEach((button) => { button.disabled = false; });
})();
