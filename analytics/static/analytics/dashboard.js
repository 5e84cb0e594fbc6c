/* The small charts of the managers' dashboard. The server renders each figure's chart into the
   #dashboard-chart-data JSON block ({key: {type, kind, labels, series: [{label, values}]}},
   amounts as exact decimal strings, rates in percent); this draws them with Chart.js into the
   canvases marked data-dashboard-chart="key". */
(function () {
  "use strict";

  const source = document.getElementById("dashboard-chart-data");
  if (!source || typeof Chart === "undefined") return;
  const charts = JSON.parse(source.textContent);
  const rtl = document.documentElement.dir === "rtl";
  const locale = document.documentElement.lang || undefined;
  const style = getComputedStyle(document.documentElement);
  function color(name, fallback) {
    return style.getPropertyValue("--bs-" + name).trim() || fallback;
  }
  const colors = [color("primary", "#0d6efd"), color("orange", "#fd7e14")];
  const numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });

  function value(raw) {
    return raw === null || raw === undefined ? null : Number(raw);
  }
  function formatted(kind, number) {
    if (number === null) return "—";
    return numbers.format(number) + (kind === "rate" ? "%" : "");
  }

  document.querySelectorAll("[data-dashboard-chart]").forEach(function (canvas) {
    const chart = charts[canvas.dataset.dashboardChart];
    if (!chart) return;
    new Chart(canvas, {
      type: chart.type,
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (series, index) {
          const shade = colors[index % colors.length];
          return {
            label: series.label,
            data: series.values.map(value),
            borderColor: shade,
            backgroundColor: chart.type === "bar" ? shade : "transparent",
            borderWidth: chart.type === "bar" ? 0 : 2,
            pointRadius: chart.type === "bar" ? 0 : 1.5,
            pointHitRadius: 6,
            tension: 0.3,
            spanGaps: false,
          };
        }),
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        locale: locale,
        scales: {
          x: { display: false, reverse: rtl },
          y: { display: false, beginAtZero: chart.type === "bar" },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            rtl: rtl,
            callbacks: {
              label: function (context) {
                return context.dataset.label + ": " + formatted(chart.kind, context.parsed.y);
              },
            },
          },
        },
      },
    });
  });
})();
