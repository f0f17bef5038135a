// Counter intake: the procedure list narrows as the officer types, without
// a round trip. Progressive enhancement only: without this script the
// search form asks the server (GET /console/counter?q=), which searches the
// same way (without diacritics, every word).
(function () {
  "use strict";
  var input = document.getElementById("counter-q");
  var list = document.getElementById("procedures");
  var none = document.getElementById("no-procedures");
  if (!input || !list) { return; }
  // fold: lower case, without diacritics, đ as d (as the API compares).
  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }
  var items = Array.prototype.slice.call(list.querySelectorAll("li"));
  var texts = items.map(function (li) { return fold(li.getAttribute("data-code") + " " + li.textContent); });
  function filter() {
    var words = fold(input.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (li, i) {
      var ok = words.every(function (w) { return texts[i].indexOf(w) >= 0; });
      li.hidden = !ok;
      if (ok) { shown++; }
    });
    if (none) { none.hidden = shown > 0; }
  }
  input.addEventListener("input", filter);
  // Arrow down from the search box goes to the first procedure shown.
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") {
      var first = list.querySelector("li:not([hidden]) a");
      if (first) { e.preventDefault(); first.focus(); }
    }
  });
  filter();
})();
