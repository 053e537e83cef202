// Draws a member's lapse probability over time from the scores the page embeds.
(function () {
  "use strict";
  var rows = JSON.parse(document.getElementById("data-history").textContent);
  new window.Chart(document.getElementById("chart-history"), {
    type: "line",
    data: { labels: rows.map(function (r) { return r.date; }),
      datasets: [{ label: "Lapse probability %", borderColor: "#1f4e8c", backgroundColor: "#1f4e8c",
        data: rows.map(function (r) { return Math.round(r.p * 1000) / 10; }) }] },
    options: { responsive: true, animation: false, plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, suggestedMax: 100 } } }
  });
})();
