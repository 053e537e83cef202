// Draft log: drafts per drafter (template or model), split into clean, blocked and fallen back.
(function () {
  "use strict";
  var rows = JSON.parse(document.getElementById("draft-summary-data").textContent);
  if (!rows.length) return;
  var labels = rows.map(function (r) { return r.model || "template (no model)"; });
  function series(label, colour, pick) {
    return { label: label, backgroundColor: colour, data: rows.map(pick) };
  }
  new window.Chart(document.getElementById("draft-chart"), {
    type: "bar",
    data: { labels: labels, datasets: [
      series("clean", "#1d6b3a", function (r) { return r.n - r.blocked_only - r.fallbacks; }),
      series("blocked by a guardrail", "#a8231f", function (r) { return r.blocked_only; }),
      series("fell back to the template", "#8a5a00", function (r) { return r.fallbacks; })
    ] },
    options: { indexAxis: "y", responsive: true, animation: false,
               scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } }
  });
})();
