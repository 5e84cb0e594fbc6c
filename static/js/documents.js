// The line editor of quotes and orders: "Add line" clones the formset's empty row, and a click on
// a product suggestion adds a line already filled with that product and its price. Prices and
// totals are computed on the server ("Recalculate", or on save), never here.
(function () {
  "use strict";

  function addLine(editor) {
    const prefix = editor.dataset.formsetPrefix;
    const total = editor.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const template = editor.querySelector("template.line-empty-form");
    const rows = editor.querySelector(".line-rows");
    if (!total || !template || !rows) return null;
    const index = parseInt(total.value, 10) || 0;
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    return rows.lastElementChild;
  }

  // An empty row left by the page (no product chosen yet) is reused before adding another.
  function firstEmptyRow(editor) {
    return Array.from(editor.querySelectorAll(".line-rows .line-row")).find((row) => {
      const select = row.querySelector("select.line-product");
      return select && !select.value;
    });
  }

  function fillLine(row, data) {
    const select = row.querySelector("select.line-product");
    if (select) {
      if (!Array.from(select.options).some((option) => option.value === data.productId)) {
        select.add(new Option(data.productName || data.productId, data.productId));
      }
      select.value = data.productId;
    }
    const price = row.querySelector('input[name$="-unit_price"]');
    if (price && data.price) price.value = data.price;
    const quantity = row.querySelector('input[name$="-quantity"]');
    if (quantity && !quantity.value) quantity.value = "1";
    row.classList.add("table-success");
    window.setTimeout(() => row.classList.remove("table-success"), 1500);
  }

  document.addEventListener("click", (event) => {
    const add = event.target.closest(".line-add");
    if (add) {
      event.preventDefault();
      const editor = add.closest(".line-editor");
      const row = editor && addLine(editor);
      const select = row && row.querySelector("select");
      if (select) select.focus();
      return;
    }

    const suggestion = event.target.closest(".document-suggestions [data-product-id]");
    if (suggestion) {
      event.preventDefault();
      const editor = document.querySelector(".line-editor");
      if (!editor) return;
      const collapse = editor.closest(".collapse");
      if (collapse && !collapse.classList.contains("show") && window.bootstrap) {
        window.bootstrap.Collapse.getOrCreateInstance(collapse).show();
      }
      const row = firstEmptyRow(editor) || addLine(editor);
      if (row) fillLine(row, suggestion.dataset);
      return;
    }

    if (event.target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });
})();
