/* Progressive enhancement only: every page works without this file.
 * 1. Marks <html> with .js.
 * 2. Collapses the main menu behind a "メニュー" button on narrow screens
 *    (aria-expanded / aria-controls; Escape closes it and returns focus).
 * 3. Moves focus to a form's error summary when the page shows one. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".site-nav-toggle");
    var nav = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    if (toggle && nav) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        toggle.setAttribute("aria-expanded", String(toggle.getAttribute("aria-expanded") !== "true"));
      });
      nav.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
          toggle.setAttribute("aria-expanded", "false");
          toggle.focus();
        }
      });
    }

    var summary = document.querySelector("[data-error-summary]");
    if (summary && !location.hash) {
      summary.focus();
    }
  });
})();
