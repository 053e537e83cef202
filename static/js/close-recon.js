// Draws a month's differences by cause (amount and count) from the numbers the page embeds.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("causes-data").textContent);
  new window.Chart(document.getElementById("causes-chart"), {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: "Amount ($)", backgroundColor: "#1f4e8c", data: data.amounts, yAxisID: "y" },
        { label: "Differences", backgroundColor: "#b0641c", data: data.counts, yAxisID: "n" }
      ]
    },
    options: { responsive: true, animation: false,
               scales: { y: { beginAtZero: true, position: "left" },
                         n: { beginAtZero: true, position: "right", ticks: { precision: 0 },
                              grid: { drawOnChartArea: false } } } }
  });
})();
