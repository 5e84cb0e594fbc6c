/* The charts of the sales home page. The server renders the figures into the
   #sales-chart-data JSON block (amounts as exact decimal strings); this draws them with Chart.js. */
(function () {
  "use strict";

  const source = document.getElementById("sales-chart-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const rtl = document.documentElement.dir === "rtl";
  const style = getComputedStyle(document.documentElement);
  const primary = style.getPropertyValue("--bs-primary").trim() || "#0d6efd";
  const subtle = style.getPropertyValue("--bs-primary-border-subtle").trim() || "#9ec5fe";
  const success = style.getPropertyValue("--bs-success").trim() || "#198754";
  const money = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 0 });

  function number(value) {
    return Number(value) || 0;
  }

  const forecastCanvas = document.getElementById("forecast-chart");
  if (forecastCanvas) {
    const weighted = data.forecast.weighted.map(number);
    // Stacked: the weighted part of each month, and the rest of its pipeline value on top, so
    // each bar's full height is the month's total.
    const rest = data.forecast.total.map(function (total, index) {
      return Math.max(number(total) - weighted[index], 0);
    });
    new Chart(forecastCanvas, {
      type: "bar",
      data: {
        labels: data.forecast.labels,
        datasets: [
          { label: data.forecast.weightedLabel, data: weighted, backgroundColor: primary, stack: "pipeline" },
          { label: data.forecast.restLabel, data: rest, backgroundColor: subtle, stack: "pipeline" },
        ],
      },
      options: {
        maintainAspectRatio: false,
        locale: document.documentElement.lang || undefined,
        scales: {
          x: { stacked: true, reverse: rtl },
          y: { stacked: true, beginAtZero: true, position: rtl ? "right" : "left", ticks: { callback: (v) => money.format(v) } },
        },
        plugins: {
          legend: { position: "bottom", rtl: rtl },
          tooltip: {
            rtl: rtl,
            callbacks: { label: (ctx) => ctx.dataset.label + ": " + money.format(ctx.parsed.y) },
          },
        },
      },
    });
  }

  const funnelCanvas = document.getElementById("funnel-chart");
  if (funnelCanvas) {
    new Chart(funnelCanvas, {
      type: "bar",
      data: {
        labels: data.funnel.labels,
        datasets: [
          {
            label: data.funnel.label,
            data: data.funnel.values,
            backgroundColor: [subtle, primary, success],
          },
        ],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, reverse: rtl, ticks: { precision: 0 } }, y: { position: rtl ? "right" : "left" } },
        plugins: { legend: { display: false }, tooltip: { rtl: rtl } },
      },
    });
  }
})();
