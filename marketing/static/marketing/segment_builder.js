/*
 * The segment rule builder: edits the rule tree (JSON) kept in the form's hidden "rules" field,
 * and asks the server for the live count and sample (htmx POST, debounced) after each change.
 *
 * Tree: {match: "all"|"any", negate?: true, conditions: [condition | group]}
 * Condition: {field, op, value, days?}. The catalogue of fields and operators is embedded by the
 * page (#segment-catalogue); the server validates whatever is posted.
 *
 * Also draws the size-history chart on the segment page (#segment-size-chart).
 */
(function () {
  "use strict";

  var MAX_DEPTH = 4;
  var PREVIEW_DELAY = 400;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  function sizeChart() {
    var canvas = document.getElementById("segment-size-chart");
    var data = document.getElementById("segment-size-data");
    if (!canvas || !data || typeof Chart === "undefined") return;
    var chart = JSON.parse(data.textContent);
    new Chart(canvas, {
      type: "line",
      data: { labels: chart.labels, datasets: [{ data: chart.sizes, tension: 0.2, fill: true }] },
      options: {
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function builder() {
    var form = document.getElementById("segment-form");
    var root = document.getElementById("segment-builder");
    var catalogueNode = document.getElementById("segment-catalogue");
    if (!form || !root || !catalogueNode) return;
    var catalogue = JSON.parse(catalogueNode.textContent);
    var text = catalogue.text;
    var hidden = form.querySelector("[data-segment-rules]");
    var fields = {};
    catalogue.fields.forEach(function (f) {
      fields[f.name] = f;
    });
    // Labels of products already picked (and found by searching), by id.
    var productLabels = {};
    catalogue.fields.forEach(function (f) {
      if (f.search) f.choices.forEach(function (c) { productLabels[c[0]] = c[1]; });
    });

    var tree;
    try {
      tree = JSON.parse(hidden.value || "{}");
    } catch (e) {
      tree = {};
    }
    if (!tree || typeof tree !== "object" || !Array.isArray(tree.conditions)) tree = { match: "all", conditions: [] };

    var timer = null;
    function changed() {
      hidden.value = JSON.stringify(tree);
      clearTimeout(timer);
      timer = setTimeout(preview, PREVIEW_DELAY);
    }

    function kind() {
      var checked = form.querySelector("input[name=kind]:checked");
      var fixed = form.querySelector("input[name=kind][disabled]:checked");
      return (checked || fixed || { value: "rule" }).value;
    }

    function preview() {
      if (typeof htmx === "undefined") return;
      var parent = form.querySelector("select[name=parent]");
      var segment = form.querySelector("input[name=segment]");
      var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
      htmx.ajax("POST", form.dataset.previewUrl, {
        target: "#segment-preview",
        swap: "innerHTML",
        indicator: "#segment-preview-spinner",
        headers: { "X-CSRFToken": csrf },
        values: {
          rules: hidden.value,
          kind: kind(),
          parent: parent ? parent.value : "",
          segment: segment ? segment.value : "",
        },
      });
    }

    // A refused rule (400) still shows its message in the preview box.
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.target && event.detail.target.id === "segment-preview" && event.detail.xhr.status === 400) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });

    function defaultValue(field, op) {
      var opDef = field.ops.filter(function (o) { return o.op === op; })[0];
      if (!opDef) return null;
      if (opDef.value === "list") return [];
      if (opDef.value === "nothing") return null;
      if (opDef.value === "scalar" && field.type === "choice" && field.choices.length) return field.choices[0][0];
      return "";
    }

    function newCondition() {
      return { field: "", op: "", value: null };
    }

    function setField(cond, name) {
      var field = fields[name];
      cond.field = name;
      cond.op = field ? field.ops[0].op : "";
      cond.value = field ? defaultValue(field, cond.op) : null;
      if (field && field.window) cond.days = null;
      else delete cond.days;
    }

    function fieldSelect(cond, rerender) {
      var select = el("select", { className: "form-select form-select-sm", "aria-label": text.chooseField });
      select.appendChild(el("option", { value: "", text: text.chooseField }));
      catalogue.sections.forEach(function (section) {
        var group = el("optgroup", { label: section.label });
        catalogue.fields.forEach(function (f) {
          if (f.section !== section.key) return;
          var option = el("option", { value: f.name, text: f.label });
          if (f.name === cond.field) option.selected = true;
          group.appendChild(option);
        });
        select.appendChild(group);
      });
      select.addEventListener("change", function () {
        setField(cond, select.value);
        rerender();
        changed();
      });
      return select;
    }

    function opSelect(cond, field, rerender) {
      var select = el("select", { className: "form-select form-select-sm", "aria-label": field.label });
      field.ops.forEach(function (o) {
        var option = el("option", { value: o.op, text: o.label });
        if (o.op === cond.op) option.selected = true;
        select.appendChild(option);
      });
      select.addEventListener("change", function () {
        var before = field.ops.filter(function (o) { return o.op === cond.op; })[0];
        var after = field.ops.filter(function (o) { return o.op === select.value; })[0];
        cond.op = select.value;
        if (!before || before.value !== after.value) cond.value = defaultValue(field, cond.op);
        rerender();
        changed();
      });
      return select;
    }

    function numberInput(value, attrs, onChange) {
      var input = el("input", Object.assign({ type: "number", className: "form-control form-control-sm" }, attrs));
      if (value !== null && value !== undefined) input.value = value;
      input.addEventListener("input", function () { onChange(input.value); });
      return input;
    }

    function productPicker(cond) {
      var box = el("div", { className: "segment-picker" });
      var chosen = el("div", { className: "d-flex flex-wrap gap-1 mb-1" });
      var input = el("input", { type: "search", className: "form-control form-control-sm", placeholder: text.searchProducts });
      var results = el("div", { className: "list-group segment-picker-results" });
      function drawChosen() {
        chosen.textContent = "";
        (cond.value || []).forEach(function (id) {
          var badge = el("span", { className: "badge text-bg-primary d-inline-flex align-items-center gap-1", text: productLabels[id] || "#" + id });
          var remove = el("button", { type: "button", className: "btn-close btn-close-white", "aria-label": text.remove });
          remove.style.fontSize = ".5rem";
          remove.addEventListener("click", function () {
            cond.value = cond.value.filter(function (v) { return v !== id; });
            drawChosen();
            changed();
          });
          badge.appendChild(remove);
          chosen.appendChild(badge);
        });
      }
      var searchTimer = null;
      input.addEventListener("input", function () {
        clearTimeout(searchTimer);
        searchTimer = setTimeout(function () {
          if (!input.value.trim()) { results.textContent = ""; return; }
          fetch(form.dataset.productUrl + "?q=" + encodeURIComponent(input.value), { headers: { Accept: "application/json" } })
            .then(function (r) { return r.json(); })
            .then(function (data) {
              results.textContent = "";
              data.results.forEach(function (p) {
                var item = el("button", { type: "button", className: "list-group-item list-group-item-action py-1 small", text: p.label });
                item.addEventListener("click", function () {
                  productLabels[p.id] = p.label;
                  cond.value = cond.value || [];
                  if (cond.value.indexOf(p.id) < 0) cond.value.push(p.id);
                  results.textContent = "";
                  input.value = "";
                  drawChosen();
                  changed();
                });
                results.appendChild(item);
              });
            });
        }, 250);
      });
      drawChosen();
      box.appendChild(chosen);
      box.appendChild(input);
      box.appendChild(results);
      return box;
    }

    function valueInput(cond, field) {
      var opDef = field.ops.filter(function (o) { return o.op === cond.op; })[0];
      if (!opDef || opDef.value === "nothing") return null;
      if (opDef.value === "days") {
        return numberInput(cond.value, { min: 1, step: 1, "aria-label": text.days }, function (v) { cond.value = v; changed(); });
      }
      if (opDef.value === "date") {
        var date = el("input", { type: "date", className: "form-control form-control-sm", "aria-label": field.label });
        date.value = cond.value || "";
        date.addEventListener("change", function () { cond.value = date.value; changed(); });
        return date;
      }
      if (opDef.value === "list") {
        if (field.search) return productPicker(cond);
        var multi = el("select", { className: "form-select form-select-sm", multiple: "multiple", size: String(Math.min(6, Math.max(3, field.choices.length))), "aria-label": field.label });
        var values = (cond.value || []).map(String);
        field.choices.forEach(function (c) {
          var option = el("option", { value: c[0], text: c[1] });
          if (values.indexOf(String(c[0])) >= 0) option.selected = true;
          multi.appendChild(option);
        });
        multi.addEventListener("change", function () {
          cond.value = Array.prototype.filter.call(multi.options, function (o) { return o.selected; }).map(function (o) {
            return field.type === "id" ? Number(o.value) : o.value;
          });
          changed();
        });
        return multi;
      }
      if (field.type === "choice") {
        var single = el("select", { className: "form-select form-select-sm", "aria-label": field.label });
        field.choices.forEach(function (c) {
          var option = el("option", { value: c[0], text: c[1] });
          if (String(c[0]) === String(cond.value)) option.selected = true;
          single.appendChild(option);
        });
        single.addEventListener("change", function () { cond.value = single.value; changed(); });
        return single;
      }
      if (field.type === "text") {
        var input = el("input", { type: "text", className: "form-control form-control-sm", maxlength: "200", "aria-label": field.label });
        input.value = cond.value || "";
        input.addEventListener("input", function () { cond.value = input.value; changed(); });
        return input;
      }
      var attrs = { step: field.type === "int" ? "1" : "any", "aria-label": field.label };
      if (field.min !== null) attrs.min = field.min;
      if (field.max !== null) attrs.max = field.max;
      return numberInput(cond.value, attrs, function (v) { cond.value = v; changed(); });
    }

    function conditionRow(cond, parent, index, rerender) {
      var field = fields[cond.field];
      var row = el("div", { className: "segment-condition d-flex flex-wrap align-items-start gap-2" });
      var fieldCol = el("div", { className: "segment-col-field" }, [fieldSelect(cond, rerender)]);
      row.appendChild(fieldCol);
      if (field) {
        row.appendChild(el("div", { className: "segment-col-op" }, [opSelect(cond, field, rerender)]));
        var value = valueInput(cond, field);
        if (value) row.appendChild(el("div", { className: "segment-col-value flex-grow-1" }, [value]));
        if (field.window) {
          var days = numberInput(cond.days, { min: 1, step: 1, placeholder: text.allTime, "aria-label": text.days }, function (v) {
            cond.days = v === "" ? null : v;
            changed();
          });
          // "in the last [90] days": the window reads as words around the number.
          var windowGroup = el("div", { className: "input-group input-group-sm" }, [
            el("span", { className: "input-group-text", text: text.inLast }),
            days,
            el("span", { className: "input-group-text", text: text.daysUnit }),
          ]);
          row.appendChild(el("div", { className: "segment-col-days" }, [windowGroup]));
        }
        if (field.help) fieldCol.appendChild(el("div", { className: "form-text", text: field.help }));
      }
      var remove = el("button", { type: "button", className: "btn btn-sm btn-outline-danger ms-auto", title: text.remove, "aria-label": text.remove });
      remove.appendChild(el("i", { className: "bi bi-x-lg", "aria-hidden": "true" }));
      remove.addEventListener("click", function () {
        parent.conditions.splice(index, 1);
        rerender();
        changed();
      });
      row.appendChild(remove);
      return row;
    }

    function groupBox(group, parent, index, depth) {
      var box = el("div", { className: "segment-group" + (depth > 1 ? " segment-group-nested" : "") });
      function rerender() {
        render();
      }
      var head = el("div", { className: "d-flex flex-wrap align-items-center gap-2 mb-2" });
      head.appendChild(el("span", { className: "small text-body-secondary", text: text.match }));
      var match = el("select", { className: "form-select form-select-sm w-auto", "aria-label": text.match });
      [["all", text.all], ["any", text.any], ["none", text.none]].forEach(function (m) {
        var option = el("option", { value: m[0], text: m[1] });
        var current = group.negate ? "none" : group.match || "all";
        if (current === m[0]) option.selected = true;
        match.appendChild(option);
      });
      match.addEventListener("change", function () {
        if (match.value === "none") {
          group.match = "any";
          group.negate = true;
        } else {
          group.match = match.value;
          delete group.negate;
        }
        changed();
      });
      head.appendChild(match);
      if (parent) {
        var remove = el("button", { type: "button", className: "btn btn-sm btn-outline-danger ms-auto", text: text.remove });
        remove.addEventListener("click", function () {
          parent.conditions.splice(index, 1);
          render();
          changed();
        });
        head.appendChild(remove);
      }
      box.appendChild(head);
      if (!group.conditions.length && !parent) {
        box.appendChild(el("p", { className: "small text-body-secondary mb-2", text: text.noConditions }));
      }
      group.conditions.forEach(function (child, i) {
        if (child && Array.isArray(child.conditions)) box.appendChild(groupBox(child, group, i, depth + 1));
        else box.appendChild(conditionRow(child, group, i, rerender));
      });
      var actions = el("div", { className: "d-flex gap-2 mt-2" });
      var addCondition = el("button", { type: "button", className: "btn btn-sm btn-outline-primary" });
      addCondition.appendChild(el("i", { className: "bi bi-plus-lg me-1", "aria-hidden": "true" }));
      addCondition.appendChild(document.createTextNode(text.addCondition));
      addCondition.addEventListener("click", function () {
        group.conditions.push(newCondition());
        render();
      });
      actions.appendChild(addCondition);
      if (depth < MAX_DEPTH) {
        var addGroup = el("button", { type: "button", className: "btn btn-sm btn-outline-secondary" });
        addGroup.appendChild(el("i", { className: "bi bi-diagram-2 me-1", "aria-hidden": "true" }));
        addGroup.appendChild(document.createTextNode(text.addGroup));
        addGroup.addEventListener("click", function () {
          group.conditions.push({ match: "any", conditions: [newCondition()] });
          render();
        });
        actions.appendChild(addGroup);
      }
      box.appendChild(actions);
      return box;
    }

    function render() {
      root.textContent = "";
      root.appendChild(groupBox(tree, null, 0, 1));
    }

    // Conditions without a field yet are left out of what is saved and previewed.
    form.addEventListener("submit", function () {
      function prune(group) {
        group.conditions = group.conditions.filter(function (c) {
          if (c && Array.isArray(c.conditions)) {
            prune(c);
            return true;
          }
          return c && c.field;
        });
      }
      prune(tree);
      hidden.value = JSON.stringify(tree);
    });

    function showKind() {
      var isStatic = kind() === "static";
      document.getElementById("segment-rule-card").classList.toggle("d-none", isStatic);
      document.getElementById("segment-static-card").classList.toggle("d-none", !isStatic);
    }
    form.querySelectorAll("input[name=kind]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        showKind();
        changed();
      });
    });
    var parentSelect = form.querySelector("select[name=parent]");
    if (parentSelect) parentSelect.addEventListener("change", changed);

    showKind();
    render();
    changed();
  }

  function start() {
    builder();
    sizeChart();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
