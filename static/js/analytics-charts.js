/* Charts of the analytics pages (Chart.js, vendored). No inline script (CSP): each
   <canvas data-chart="ID"> reads its figures from <script type="application/json" id="ID">
   written by Django's json_script, so the numbers are the page's own. */
(function () {
  "use strict";
  var PALETTE = ["#1f5fa8", "#c0392b", "#2e7d32", "#8e44ad", "#d35400", "#16a085", "#7f8c8d",
    "#b7950b", "#5dade2", "#f1948a", "#82e0aa", "#34495e"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var datasets = spec.datasets.map(function (d, i) {
      var color = d.color || PALETTE[i % PALETTE.length];
      return {
        label: d.label, data: d.data, borderColor: color, backgroundColor: color,
        tension: 0.2, spanGaps: true, pointRadius: 3, borderWidth: 2
      };
    });
    var scales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
    if (spec.stacked) { scales.x = { stacked: true }; scales.y.stacked = true; }
    if (spec.percent) { scales.y.max = 100; scales.y.title = { display: true, text: "%" }; }
    new Chart(canvas, {
      type: spec.type || "line",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 10, font: { size: 11 } } } },
        scales: scales
      }
    });
  }

  function init() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
