/* Learning forms: a live character count for reflections and an early warning for
   files over the size limit. The server checks both again; this only saves a round trip. */
(function () {
  "use strict";

  function countChars(text) {
    return Array.from(text.replace(/\s+/g, "")).length;
  }

  document.querySelectorAll("textarea[data-min-chars]").forEach(function (area) {
    var min = parseInt(area.getAttribute("data-min-chars"), 10) || 0;
    var out = document.createElement("p");
    out.className = "char-count";
    out.setAttribute("aria-live", "polite");
    var en = document.documentElement.lang === "en";
    function update() {
      var n = countChars(area.value);
      out.textContent = en
        ? n + " characters (at least " + min + ", spaces not counted)"
        : n + " 文字（" + min + " 文字以上。空白は数えません）";
      out.classList.toggle("is-short", n < min);
    }
    area.insertAdjacentElement("afterend", out);
    area.addEventListener("input", update);
    update();
  });

  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var en = document.documentElement.lang === "en";
      if (file && max && file.size > max) {
        input.setCustomValidity(en ? "The file is too large (5 MB at most)." : "ファイルが大きすぎます（5MBまで）。");
        input.reportValidity();
        input.value = "";
      } else {
        input.setCustomValidity("");
      }
    });
  });
})();
