// Draws the renewal dashboard's charts from the numbers the page embeds (json_script).
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var red = "#a8231f", amber = "#b7791f", green = "#1d6b3a", blue = "#1f4e8c", grey = "#8a94a6";
  var base = { responsive: true, animation: false };
  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { new window.Chart(canvas, config); }
  }
  function percent(v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; }

  var upcoming = data("data-upcoming") || [];
  chart("chart-upcoming", {
    type: "bar",
    data: {
      labels: upcoming.map(function (r) { return r.month; }),
      datasets: [
        { label: "High", backgroundColor: red, data: upcoming.map(function (r) { return r.high; }) },
        { label: "Medium", backgroundColor: amber, data: upcoming.map(function (r) { return r.medium; }) },
        { label: "Low", backgroundColor: green, data: upcoming.map(function (r) { return r.low; }) }
      ]
    },
    options: Object.assign({}, base, { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } })
  });

  var rate = data("data-rate") || {};
  var months = (rate.this && rate.this.months) || [];
  chart("chart-rate", {
    type: "line",
    data: {
      labels: months.map(function (r) { return "Month " + r.month; }),
      datasets: [
        { label: "This cycle", borderColor: blue, backgroundColor: blue, data: months.map(function (r) { return percent(r.rate); }) },
        { label: "Last cycle", borderColor: grey, backgroundColor: grey, borderDash: [6, 4],
          data: ((rate.last && rate.last.months) || []).map(function (r) { return percent(r.rate); }) }
      ]
    },
    options: Object.assign({}, base, { spanGaps: true, scales: { y: { suggestedMin: 70, suggestedMax: 100, title: { display: true, text: "% renewed" } } } })
  });

  var lift = data("data-lift") || {};
  chart("chart-lift", {
    type: "bar",
    data: {
      labels: ["Outreach", "Hold-out"],
      datasets: [{ label: "% renewed", backgroundColor: [blue, grey],
        data: [percent(lift.outreach && lift.outreach.rate), percent(lift.holdout && lift.holdout.rate)] }]
    },
    options: Object.assign({}, base, { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, max: 100 } } })
  });

  var funnel = data("data-funnel") || [];
  chart("chart-funnel", {
    type: "bar",
    data: { labels: funnel.map(function (r) { return r.stage; }),
      datasets: [{ label: "Members", backgroundColor: blue, data: funnel.map(function (r) { return r.count; }) }] },
    options: Object.assign({}, base, { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } })
  });

  var calibration = data("data-calibration") || [];
  var baseline = data("data-baseline-calibration") || [];
  function points(rows) { return rows.map(function (r) { return { x: percent(r.predicted), y: percent(r.observed) }; }); }
  var top = Math.max.apply(null, [10].concat(calibration.map(function (r) { return percent(Math.max(r.predicted, r.observed)); })));
  chart("chart-calibration", {
    type: "scatter",
    data: { datasets: [
      { label: "Model", showLine: true, borderColor: blue, backgroundColor: blue, data: points(calibration) },
      { label: "Baseline", showLine: true, borderColor: grey, backgroundColor: grey, data: points(baseline) },
      { label: "Perfect", showLine: true, pointRadius: 0, borderColor: "#c8ccd4", borderDash: [4, 4], data: [{ x: 0, y: 0 }, { x: top, y: top }] }
    ] },
    options: Object.assign({}, base, { scales: {
      x: { title: { display: true, text: "Predicted lapse %" }, beginAtZero: true },
      y: { title: { display: true, text: "Observed lapse %" }, beginAtZero: true } } })
  });

  var distribution = data("data-distribution") || { reference: [], latest: [] };
  function shares(counts) {
    var total = counts.reduce(function (a, b) { return a + b; }, 0) || 1;
    return counts.map(function (c) { return Math.round(1000 * c / total) / 10; });
  }
  chart("chart-drift", {
    type: "bar",
    data: { labels: (distribution.reference || []).map(function (_, i) { return (i * 5) + "–" + (i * 5 + 5) + "%"; }),
      datasets: [
        { label: "Validation", backgroundColor: grey, data: shares(distribution.reference || []) },
        { label: "Latest run", backgroundColor: blue, data: shares(distribution.latest || []) }
      ] },
    options: Object.assign({}, base, { scales: { y: { title: { display: true, text: "% of members" }, beginAtZero: true } } })
  });

  var causes = data("data-causes") || [];
  chart("chart-causes", {
    type: "bar",
    data: { labels: causes.map(function (r) { return r.attribute; }),
      datasets: [{ label: "× the usual lapse rate", backgroundColor: red, data: causes.map(function (r) { return r.lift; }) }] },
    options: Object.assign({}, base, { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } })
  });
})();
