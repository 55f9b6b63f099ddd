// Names for the search box's <datalist> while typing. Optional: the search works without it.
(function () {
  var input = document.getElementById("search-q"), list = document.getElementById("search-suggestions"), timer;
  if (!input || !list || !window.fetch) return;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (!q) return;
    timer = setTimeout(function () {
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q))
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) {
          list.textContent = "";
          data.suggestions.forEach(function (s) {
            var option = document.createElement("option");
            option.value = s.text;
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 250);
  });
})();
