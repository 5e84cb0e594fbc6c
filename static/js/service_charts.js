/* The charts of the service home page. The server renders the figures into the
   #service-chart-data JSON block (labels already translated); this draws them with Chart.js. */
(function () {
  "use strict";

  const source = document.getElementById("service-chart-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const rtl = document.documentElement.dir === "rtl";
  const locale = document.documentElement.lang || undefined;
  const style = getComputedStyle(document.documentElement);
  function color(name, fallback) {
    return style.getPropertyValue("--bs-" + name).trim() || fallback;
  }
  // Bootstrap's palette, so the charts follow the theme (and its dark mode).
  const palette = [
    color("primary", "#0d6efd"),
    color("warning", "#ffc107"),
    color("danger", "#dc3545"),
    color("success", "#198754"),
    color("info", "#0dcaf0"),
    color("indigo", "#6610f2"),
    color("secondary", "#6c757d"),
    color("teal", "#20c997"),
    color("orange", "#fd7e14"),
    color("pink", "#d63384"),
  ];

  const complaintsCanvas = document.getElementById("complaints-chart");
  if (complaintsCanvas) {
    new Chart(complaintsCanvas, {
      type: "bar",
      data: {
        labels: data.complaints.labels,
        datasets: data.complaints.series.map(function (series, index) {
          return { label: series.label, data: series.values, backgroundColor: palette[index % palette.length], stack: "complaints" };
        }),
      },
      options: {
        maintainAspectRatio: false,
        locale: locale,
        scales: {
          x: { stacked: true, reverse: rtl },
          y: { stacked: true, beginAtZero: true, position: rtl ? "right" : "left", ticks: { precision: 0 } },
        },
        plugins: { legend: { position: "bottom", rtl: rtl }, tooltip: { rtl: rtl, mode: "index" } },
      },
    });
  }

  const statusCanvas = document.getElementById("status-chart");
  if (statusCanvas) {
    new Chart(statusCanvas, {
      type: "doughnut",
      data: {
        labels: data.status.labels,
        datasets: [{ label: data.status.label, data: data.status.values, backgroundColor: palette }],
      },
      options: {
        maintainAspectRatio: false,
        locale: locale,
        plugins: { legend: { position: "bottom", rtl: rtl }, tooltip: { rtl: rtl } },
      },
    });
  }
})();
