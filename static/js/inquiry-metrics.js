// Draws inquiries received and answered per week from the numbers the page embeds (json_script).
(function () {
  "use strict";
  var node = document.getElementById("inquiry-data");
  if (!node || !window.Chart) { return; }
  var data = JSON.parse(node.textContent);
  var weeks = {};
  Object.keys(data).forEach(function (s) { Object.keys(data[s]).forEach(function (w) { weeks[w] = 1; }); });
  var labels = Object.keys(weeks).sort();
  var colours = { received: "#1f4e8c", answered: "#1d6b3a" };
  new window.Chart(document.getElementById("inquiry-chart"), {
    type: "line",
    data: { labels: labels, datasets: Object.keys(data).map(function (s) {
      return { label: s, borderColor: colours[s], backgroundColor: colours[s],
               data: labels.map(function (w) { return data[s][w] || 0; }) };
    }) },
    options: { responsive: true, animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
