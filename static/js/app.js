// Page shell behaviour, loaded on every page. The Content-Security-Policy allows no inline
// handlers or style attributes, so markup declares behaviour with data attributes instead:
//   data-autosubmit          on a field: submit its form when the field changes
//   data-confirm="question"  on a form: ask before submitting; Cancel submits nothing
// Listeners are delegated from the document, so content swapped in by htmx behaves the same.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target.closest ? event.target.closest("[data-autosubmit]") : null;
    if (!field || !field.form) return;
    if (field.form.requestSubmit) field.form.requestSubmit();
    else field.form.submit();
  });

  // Capture phase: the question is asked before htmx or any other listener sends the form.
  document.addEventListener(
    "submit",
    function (event) {
      var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".nav-toggle");
    var sidebar = document.getElementById("sidebar");
    if (toggle && sidebar) {
      toggle.addEventListener("click", function () {
        var open = sidebar.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
  });
})();
