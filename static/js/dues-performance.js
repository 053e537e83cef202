// Draws precision and auto-apply rate per confidence band from the numbers the page embeds.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("performance-data").textContent);
  var pct = function (v) { return v === null ? null : Math.round(v * 1000) / 10; };
  new window.Chart(document.getElementById("performance-chart"), {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: "Precision (%)", backgroundColor: "#1d6b3a", data: data.precision.map(pct) },
        { label: "Applied automatically (%)", backgroundColor: "#1f4e8c", data: data.auto_rate.map(pct) }
      ]
    },
    options: { responsive: true, animation: false,
               scales: { y: { beginAtZero: true, max: 100, ticks: { precision: 0 } } } }
  });
})();
