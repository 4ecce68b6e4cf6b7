// Category selects as a searchable tree (Tom Select, vendored in static/vendor/tom-select).
// The <select data-tree-select> stays a plain select without JavaScript: its options are
// already in tree order and indented; each carries data-level and data-path.
(function () {
  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function enhance(root) {
    if (!window.TomSelect) return;
    (root || document).querySelectorAll("select[data-tree-select]").forEach(function (el) {
      if (el.tomselect) return;
      // Tom Select moves the label to its own input: the hidden select keeps its name.
      var label = el.id && document.querySelector('label[for="' + el.id + '"]');
      if (label && !el.hasAttribute("aria-label")) {
        el.setAttribute("aria-label", label.textContent.trim());
      }
      new TomSelect(el, {
        maxOptions: null,
        allowEmptyOption: true,
        searchField: ["text", "path"],
        // The tree order as the server gave it, not the search score.
        sortField: [{ field: "$order" }],
        render: {
          option: function (data) {
            var level = parseInt(data.level || "0", 10);
            return '<div class="tree-option tree-level-' + level + '">' +
              esc(String(data.text).replace(/^[\s\u00a0—]+/, "")) + "</div>";
          },
          item: function (data) {
            return "<div>" + esc(String(data.text).replace(/^[\s\u00a0—]+/, "")) + "</div>";
          },
          no_results: function () {
            return '<div class="no-results">Ничего не найдено</div>';
          },
        },
        onChange: function () {
          // The list's live filters listen for «change» on the form's fields.
          el.dispatchEvent(new Event("change", { bubbles: true }));
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (evt) { enhance(evt.target); });
})();
