// Recipient picker: search without diacritics, pick a whole level or a saved group.
(function () {
  function fold(text) {
    return (text || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll("[data-recipient-picker]").forEach(function (picker) {
    var boxes = picker.querySelectorAll("input[type=checkbox]");
    var count = picker.querySelector("[data-recipient-count]");
    function update() {
      var n = 0;
      boxes.forEach(function (b) { if (b.checked) { n += 1; } });
      if (count) { count.textContent = n; }
    }
    boxes.forEach(function (b) { b.addEventListener("change", update); });
    var search = picker.querySelector("[data-recipient-search]");
    if (search) {
      search.addEventListener("input", function () {
        var q = fold(search.value.trim());
        picker.querySelectorAll("[data-recipient-item]").forEach(function (item) {
          item.hidden = q !== "" && fold(item.textContent).indexOf(q) === -1;
        });
      });
    }
    picker.querySelectorAll("[data-recipient-all]").forEach(function (button) {
      button.addEventListener("click", function () {
        button.closest("[data-recipient-level]").querySelectorAll("[data-recipient-item]")
          .forEach(function (item) {
            if (!item.hidden) { item.querySelector("input").checked = true; }
          });
        update();
      });
    });
    picker.querySelectorAll("[data-recipient-group]").forEach(function (button) {
      button.addEventListener("click", function () {
        var ids = button.getAttribute("data-recipient-group").split(",");
        boxes.forEach(function (b) { if (ids.indexOf(b.value) !== -1) { b.checked = true; } });
        update();
      });
    });
    update();
  });
})();
