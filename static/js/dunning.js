// Draws the dunning steps filed and messages sent per day from the series the page embeds.
(function () {
  "use strict";
  var s = JSON.parse(document.getElementById("data-dunning").textContent);
  new window.Chart(document.getElementById("chart-dunning"), {
    type: "bar",
    data: { labels: s.labels, datasets: [
      { label: "Steps filed", backgroundColor: "#1f4e8c", data: s.filed },
      { label: "Messages sent", backgroundColor: "#6aa84f", data: s.sent }] },
    options: { responsive: true, animation: false, scales: { y: { beginAtZero: true } } }
  });
})();
