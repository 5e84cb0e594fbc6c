/* The charts of the marketing home page. The server renders the figures into the
   #marketing-chart-data JSON block (labels already translated); this draws them with Chart.js. */
(function () {
  "use strict";

  const source = document.getElementById("marketing-chart-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const rtl = document.documentElement.dir === "rtl";
  const locale = document.documentElement.lang || undefined;
  const style = getComputedStyle(document.documentElement);
  function color(name, fallback) {
    return style.getPropertyValue("--bs-" + name).trim() || fallback;
  }
  const palette = [
    color("secondary", "#6c757d"),
    color("orange", "#fd7e14"),
    color("info", "#0dcaf0"),
    color("warning", "#ffc107"),
    color("indigo", "#6610f2"),
    color("success", "#198754"),
    color("pink", "#d63384"),
  ];

  const segmentsCanvas = document.getElementById("segments-chart");
  if (segmentsCanvas) {
    new Chart(segmentsCanvas, {
      type: "bar",
      data: {
        labels: data.segments.labels,
        datasets: [{ label: data.segments.label, data: data.segments.values, backgroundColor: color("primary", "#0d6efd") }],
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

  const tiersCanvas = document.getElementById("tiers-chart");
  if (tiersCanvas) {
    new Chart(tiersCanvas, {
      type: "doughnut",
      data: {
        labels: data.tiers.labels,
        datasets: [{ label: data.tiers.label, data: data.tiers.values, backgroundColor: palette }],
      },
      options: {
        maintainAspectRatio: false,
        locale: locale,
        plugins: { legend: { position: "bottom", rtl: rtl }, tooltip: { rtl: rtl } },
      },
    });
  }
})();
