// Keyboard shortcuts of the review pages. Keys are ignored while typing in a field.
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr[data-href]"));
    if (rows.length) {
      var i = rows.indexOf(document.activeElement);
      if (e.key === "j" || e.key === "k") {
        var next = e.key === "j" ? Math.min(i + 1, rows.length - 1) : Math.max(i - 1, 0);
        rows[next].focus(); e.preventDefault();
      } else if (e.key === "Enter" && i >= 0) {
        window.location = rows[i].dataset.href;
      } else if (e.key === "x" && i >= 0) {
        var box = rows[i].querySelector("input[type=checkbox]"); box.checked = !box.checked;
      }
      return;
    }
    var form = document.getElementById("decide");
    if (e.key === "a" && form) { document.getElementById("btn-accept").click(); e.preventDefault(); }
    else if (e.key === "e" && form) { var f = form.querySelector("textarea, [data-edit] input:not([type=hidden])"); if (f) { f.focus(); e.preventDefault(); } }
    else if (e.key === "r" && form) { document.getElementById("id_reason").focus(); e.preventDefault(); }
    else if (e.key === "j") { var n = document.getElementById("next-link"); if (n) window.location = n.href; }
  });
})();
