// Billing pages: the calculator shows only the fields the chosen change needs.
(function () {
  "use strict";
  var form = document.getElementById("calc-form");
  if (!form) { return; }
  var change = form.querySelector("[name=change]");
  var needs = { tier_change: ["new_type"], cancellation: ["paid"], multi_year: ["years"], joiner: [] };
  var optional = ["new_type", "paid", "years"];
  function show() {
    var wanted = needs[change.value] || [];
    optional.forEach(function (name) {
      var box = form.querySelector('[data-field="' + name + '"]');
      if (box) { box.hidden = wanted.indexOf(name) === -1; }
    });
  }
  change.addEventListener("change", show);
  show();
})();
