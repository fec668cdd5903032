/* Credential pages: progressive enhancement only.
 * 1. [data-print] buttons print the page (the button stays hidden without script).
 * 2. [data-copy] buttons copy the value of the element named by their aria-controls. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("aria-controls"));
      if (!target || !navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(target.value || target.textContent).then(function () {
          var done = button.getAttribute("data-copied");
          if (done) { button.textContent = done; }
        });
      });
    });
  });
})();
