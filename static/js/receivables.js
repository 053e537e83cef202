// Draws the receivables page's charts (aging by segment, DSO by month) from the embedded numbers.
(function () {
  "use strict";
  var segment = document.getElementById("f-segment");
  if (segment) { segment.addEventListener("change", function () { segment.form.submit(); }); }
  var data = JSON.parse(document.getElementById("receivables-data").textContent);
  var colours = ["#1f4e8c", "#1d6b3a", "#b7791f", "#a8231f", "#6b4c9a", "#2a7f8f", "#8a94a6"];
  var num = function (v) { return v === null ? null : Number(v); };
  new window.Chart(document.getElementById("chart-aging"), {
    type: "bar",
    data: {
      labels: data.buckets,
      datasets: data.series.map(function (s, i) {
        return { label: s.label, backgroundColor: colours[i % colours.length], data: s.data.map(num) };
      })
    },
    options: { responsive: true, animation: false,
               scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: "Open balance" } } } }
  });
  new window.Chart(document.getElementById("chart-dso"), {
    type: "line",
    data: {
      labels: data.dso.months,
      datasets: [{ label: "DSO (days)", borderColor: "#1f4e8c", backgroundColor: "#1f4e8c", data: data.dso.days.map(num) }]
    },
    options: { responsive: true, animation: false, spanGaps: true,
               scales: { y: { beginAtZero: true, title: { display: true, text: "days" } } } }
  });
})();
