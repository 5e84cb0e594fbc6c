// The line editor of quotes and orders: "Add line" clones the formset's empty row, and a click on
// a product suggestion adds a line already filled with that product and its price. Prices and
// totals are computed on the server ("Recalculate", or on save), never here.
//
// The product catalogue is rendered once per page (template.line-product-options); each row's
// select carries only its chosen product until it is opened, so the page does not grow as
// rows × products. The suggestions beside the editor are fetched again whenever the lines change.
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

  // Copy the whole catalogue into a row's select the first time it is used, keeping its choice.
  function fillOptions(select) {
    if (select.dataset.optionsFilled) return;
    const editor = select.closest(".line-editor");
    const source = editor && editor.querySelector("template.line-product-options");
    if (!source) return;
    const value = select.value;
    const chosen = select.selectedOptions[0];
    const options = Array.from(source.content.querySelectorAll("option"), (option) => option.cloneNode(true));
    if (value && !options.some((option) => option.value === value) && chosen) {
      options.push(chosen.cloneNode(true)); // a product no longer offered, kept on this line
    }
    select.replaceChildren(...options);
    select.value = value;
    select.dataset.optionsFilled = "1";
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

  // The products on the kept rows, as the suggestions page takes them.
  function chosenProductIds(editor) {
    const ids = [];
    editor.querySelectorAll(".line-rows .line-row").forEach((row) => {
      const removed = row.querySelector('input[name$="-DELETE"]');
      const select = row.querySelector("select.line-product");
      if ((removed && removed.checked) || !select || !select.value) return;
      if (!ids.includes(select.value)) ids.push(select.value);
    });
    return ids;
  }

  function refreshSuggestions(editor) {
    const container = document.querySelector(".document-suggestions [data-suggestions-url]");
    if (!container || !editor || !window.htmx) return;
    const params = new URLSearchParams();
    chosenProductIds(editor).forEach((id) => params.append("product", id));
    const query = params.toString();
    const url = container.dataset.suggestionsUrl + (query ? `&${query}` : "");
    window.htmx.ajax("GET", url, { target: container, swap: "innerHTML" });
  }

  document.addEventListener("focusin", (event) => {
    const select = event.target.closest("select.line-product");
    if (select) fillOptions(select);
  });

  document.addEventListener("pointerdown", (event) => {
    const select = event.target.closest("select.line-product");
    if (select) fillOptions(select);
  });

  document.addEventListener("change", (event) => {
    const editor = event.target.closest(".line-editor");
    if (!editor) return;
    if (event.target.matches("select.line-product, input[name$='-DELETE']")) refreshSuggestions(editor);
  });

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
      if (row) {
        fillLine(row, suggestion.dataset);
        refreshSuggestions(editor);
      }
      return;
    }

    if (event.target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });
})();
