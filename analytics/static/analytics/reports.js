/* The charts of the analytics report pages. Each page renders its figures into a JSON block
   (labels already translated, money as exact decimal strings); this draws whichever of the
   charts the page has with Chart.js. */
(function () {
  "use strict";

  if (typeof Chart === "undefined") return;
  const rtl = document.documentElement.dir === "rtl";
  const locale = document.documentElement.lang || undefined;
  const style = getComputedStyle(document.documentElement);
  function color(name, fallback) {
    return style.getPropertyValue("--bs-" + name).trim() || fallback;
  }
  function read(id) {
    const source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }
  function numbers(values) {
    return values.map(function (value) { return value === null ? null : Number(value); });
  }
  const percentFormat = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
  const moneyFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });

  // Pareto: the Lorenz curve against the diagonal of perfect equality.
  const pareto = read("pareto-chart-data");
  const lorenzCanvas = document.getElementById("lorenz-chart");
  if (pareto && lorenzCanvas) {
    const lorenz = pareto.lorenz;
    const curve = lorenz.x.map(function (x, index) { return { x: x, y: lorenz.y[index] }; });
    new Chart(lorenzCanvas, {
      type: "scatter",
      data: {
        datasets: [
          {
            label: lorenz.label,
            data: curve,
            showLine: true,
            pointRadius: 0,
            borderWidth: 2,
            borderColor: color("primary", "#0d6efd"),
            backgroundColor: "rgba(13, 110, 253, 0.12)",
            fill: "origin",
          },
          {
            label: lorenz.equality,
            data: [{ x: 0, y: 0 }, { x: 1, y: 1 }],
            showLine: true,
            pointRadius: 0,
            borderWidth: 1,
            borderDash: [6, 4],
            borderColor: color("secondary", "#6c757d"),
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        locale: locale,
        scales: {
          x: {
            min: 0, max: 1, reverse: rtl,
            title: { display: true, text: lorenz.xTitle },
            ticks: { callback: function (value) { return percentFormat.format(value); } },
          },
          y: {
            min: 0, max: 1, position: rtl ? "right" : "left",
            title: { display: true, text: lorenz.yTitle },
            ticks: { callback: function (value) { return percentFormat.format(value); } },
          },
        },
        plugins: {
          legend: { position: "bottom", rtl: rtl },
          tooltip: {
            rtl: rtl,
            callbacks: {
              label: function (item) {
                return percentFormat.format(item.parsed.x) + " → " + percentFormat.format(item.parsed.y);
              },
            },
          },
        },
      },
    });
  }

  // Forecast: repeat revenue history, the backtest's predictions, the forecast and the pipeline.
  const forecast = read("forecast-chart-data");
  const forecastCanvas = document.getElementById("forecast-chart");
  if (forecast && forecastCanvas) {
    new Chart(forecastCanvas, {
      data: {
        labels: forecast.labels,
        datasets: [
          {
            type: "bar",
            label: forecast.pipeline.label,
            data: numbers(forecast.pipeline.values),
            backgroundColor: "rgba(25, 135, 84, 0.35)",
            borderColor: color("success", "#198754"),
            order: 4,
          },
          {
            type: "line",
            label: forecast.history.label,
            data: numbers(forecast.history.values),
            borderColor: color("primary", "#0d6efd"),
            backgroundColor: color("primary", "#0d6efd"),
            pointRadius: 2,
            tension: 0.2,
            order: 1,
          },
          {
            type: "line",
            label: forecast.backtest.label,
            data: numbers(forecast.backtest.values),
            borderColor: color("warning", "#ffc107"),
            backgroundColor: color("warning", "#ffc107"),
            borderDash: [4, 3],
            pointRadius: 3,
            order: 2,
          },
          {
            type: "line",
            label: forecast.forecast.label,
            data: numbers(forecast.forecast.values),
            borderColor: color("orange", "#fd7e14"),
            backgroundColor: color("orange", "#fd7e14"),
            borderDash: [6, 4],
            pointRadius: 3,
            order: 3,
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        locale: locale,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { reverse: rtl },
          y: {
            beginAtZero: true,
            position: rtl ? "right" : "left",
            ticks: { callback: function (value) { return moneyFormat.format(value); } },
          },
        },
        plugins: { legend: { position: "bottom", rtl: rtl }, tooltip: { rtl: rtl } },
      },
    });
  }

  // Churn: customers lost by reason.
  const churn = read("churn-chart-data");
  const churnCanvas = document.getElementById("lost-chart");
  if (churn && churnCanvas) {
    new Chart(churnCanvas, {
      type: "bar",
      data: {
        labels: churn.labels,
        datasets: [{ label: churn.label, data: churn.values, backgroundColor: color("danger", "#dc3545") }],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        locale: locale,
        scales: {
          x: { beginAtZero: true, reverse: rtl, ticks: { precision: 0 } },
          y: { position: rtl ? "right" : "left" },
        },
        plugins: { legend: { display: false }, tooltip: { rtl: rtl } },
      },
    });
  }
})();
