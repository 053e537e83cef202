// The payment-application edit form on a review item's page: a running total of the amounts
// against the payment, and member pickers that fill an iMIS id from a search. No inline
// handlers: everything is bound here (the pages run under a strict Content Security Policy).
(function () {
  "use strict";

  // Amounts as a person types them ("1,200.50", "$95") to whole cents; NaN when not an amount.
  function cents(text) {
    var t = String(text || "").replace(/[$,\s]/g, "");
    if (!t) return 0;
    var m = /^(-?)(\d*)(?:\.(\d{0,2}))?$/.exec(t);
    if (!m || (!m[2] && !m[3])) return NaN;
    var value = parseInt(m[2] || "0", 10) * 100 + parseInt(((m[3] || "") + "00").slice(0, 2), 10);
    return m[1] ? -value : value;
  }

  function money(value, currency) {
    return new Intl.NumberFormat("en-US", { style: "currency", currency: currency || "USD" })
      .format(value / 100);
  }

  function update(box) {
    var payment = cents(box.dataset.paymentAmount);
    var currency = box.dataset.currency;
    var total = 0, readable = true;
    box.querySelectorAll("input[data-amount]").forEach(function (input) {
      var value = cents(input.value);
      if (isNaN(value)) readable = false; else total += value;
    });
    var out = box.querySelector("[data-total]");
    var balance = box.querySelector("[data-balance]");
    var left = payment - total;
    if (!readable) {
      out.textContent = "—";
      balance.textContent = "An amount is not a number like 1,234.50.";
      balance.dataset.state = "off";
      return;
    }
    out.textContent = money(total, currency);
    if (left === 0) balance.textContent = "All " + money(payment, currency) + " placed.";
    else if (left > 0) balance.textContent = money(left, currency) + " of " + money(payment, currency) + " left to place.";
    else balance.textContent = money(-left, currency) + " more than the payment of " + money(payment, currency) + ".";
    balance.dataset.state = left === 0 ? "ok" : "off";
  }

  function choose(option) {
    var picker = option.closest("[data-party-picker]");
    var id = picker.querySelector("input.party-id");
    id.value = option.dataset.partyId;
    picker.querySelector("[data-party-name]").textContent = option.dataset.partyName;
    picker.querySelector(".party-results").replaceChildren();
    picker.querySelector(".party-search").value = "";
    id.dispatchEvent(new Event("change", { bubbles: true }));
    id.focus();
  }

  document.addEventListener("input", function (e) {
    var box = e.target.closest && e.target.closest("[data-application]");
    if (box && e.target.matches("input[data-amount]")) update(box);
    if (e.target.matches && e.target.matches("input.party-id")) {
      // A typed id is no longer the name shown beside it.
      var name = e.target.closest("[data-party-picker]").querySelector("[data-party-name]");
      if (name) name.textContent = "";
    }
  });

  document.addEventListener("click", function (e) {
    var option = e.target.closest && e.target.closest("[data-party-id]");
    if (option) { e.preventDefault(); choose(option); }
  });

  // Enter in a field of the edit would submit the form with its first button (Accept, which
  // ignores the edit): in a search it picks the first member found, elsewhere it does nothing.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !e.target.closest || !e.target.closest("[data-edit]")) return;
    if (e.target.tagName !== "INPUT") return;
    e.preventDefault();
    if (e.target.classList.contains("party-search")) {
      var first = e.target.closest("[data-party-picker]").querySelector("[data-party-id]");
      if (first) choose(first);
    }
  });

  function start() { document.querySelectorAll("[data-application]").forEach(update); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
