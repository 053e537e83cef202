// Draws the decisions-per-day chart from the numbers the page embeds (json_script).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("decisions-data").textContent);
  var days = {};
  Object.keys(data).forEach(function (s) { Object.keys(data[s]).forEach(function (d) { days[d] = 1; }); });
  var labels = Object.keys(days).sort();
  var colours = { approved: "#1d6b3a", edited: "#1f4e8c", rejected: "#a8231f", done: "#5a6473" };
  var datasets = Object.keys(data).map(function (status) {
    return { label: status, backgroundColor: colours[status] || "#8a5a00",
             data: labels.map(function (d) { return data[status][d] || 0; }) };
  });
  new window.Chart(document.getElementById("decisions-chart"), {
    type: "bar", data: { labels: labels, datasets: datasets },
    options: { responsive: true, animation: false,
               scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
