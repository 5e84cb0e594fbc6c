// The automation rule form: show the chosen event's settings, and edit the list of actions as
// rows (type and type-specific fields) kept in the hidden "actions" JSON field. Without this
// script the JSON field is edited directly; the server checks it either way.
(function () {
  "use strict";
  const form = document.querySelector("[data-rule-form]");
  if (!form) return;

  // --- the event's settings ---
  const eventSelect = form.querySelector("[name=event]");
  function showParams() {
    form.querySelectorAll("[data-event-params]").forEach(function (group) {
      group.classList.toggle("d-none", group.dataset.eventParams !== eventSelect.value);
    });
  }
  eventSelect.addEventListener("change", showParams);
  showParams();

  // --- the actions ---
  const specNode = document.getElementById("rule-actions-spec");
  const store = form.querySelector("[name=actions]");
  const list = document.getElementById("rule-actions-list");
  if (!specNode || !store || !list) return;
  const spec = JSON.parse(specNode.textContent);
  const byType = {};
  spec.forEach(function (item) { byType[item.type] = item; });
  let actions;
  try {
    actions = store.value.trim() ? JSON.parse(store.value) : [];
  } catch (error) {
    return; // leave the raw JSON to be corrected by hand
  }
  if (!Array.isArray(actions)) return;
  form.querySelector("[data-actions-raw]").classList.add("d-none");
  form.querySelector("[data-actions-add]").classList.remove("d-none");
  const labels = list.dataset;

  function sync() { store.value = JSON.stringify(actions); }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function iconButton(icon, label, onClick) {
    const button = element("button", "btn btn-sm btn-link text-body-secondary px-1");
    button.type = "button";
    button.title = label;
    button.setAttribute("aria-label", label);
    button.appendChild(element("i", "bi bi-" + icon));
    button.addEventListener("click", onClick);
    return button;
  }

  function fieldInput(action, field, id) {
    let input;
    if (field.kind === "select") {
      input = element("select", "form-select form-select-sm");
      if (!field.required) input.appendChild(new Option("—", ""));
      (field.choices || []).forEach(function (choice) { input.appendChild(new Option(choice[1], choice[0])); });
      input.value = action[field.name] === undefined ? (field.required ? input.value : "") : String(action[field.name]);
      action[field.name] = input.value;
    } else if (field.kind === "textarea") {
      input = element("textarea", "form-control form-control-sm");
      input.rows = 3;
      input.value = action[field.name] || "";
    } else {
      input = element("input", "form-control form-control-sm");
      input.type = field.kind === "number" ? "number" : "text";
      if (field.min !== undefined) input.min = field.min;
      if (field.max !== undefined) input.max = field.max;
      input.value = action[field.name] === undefined ? "" : action[field.name];
    }
    input.id = id;
    input.addEventListener("input", function () {
      action[field.name] = field.kind === "number" && input.value !== "" ? Number(input.value) : input.value;
      sync();
    });
    input.addEventListener("change", function () {
      action[field.name] = field.kind === "number" && input.value !== "" ? Number(input.value) : input.value;
      sync();
    });
    return input;
  }

  function move(index, step) {
    const target = index + step;
    if (target < 0 || target >= actions.length) return;
    const moved = actions.splice(index, 1)[0];
    actions.splice(target, 0, moved);
    render();
  }

  function row(action, index) {
    const type = byType[action.type];
    const card = element("div", "border rounded p-2 bg-body");
    const head = element("div", "d-flex align-items-center gap-1 mb-1");
    if (type) head.appendChild(element("i", "bi bi-" + type.icon + " text-primary me-1"));
    head.appendChild(element("strong", "me-auto", (index + 1) + ". " + (type ? type.label : action.type)));
    head.appendChild(iconButton("arrow-up", labels.labelUp, function () { move(index, -1); }));
    head.appendChild(iconButton("arrow-down", labels.labelDown, function () { move(index, 1); }));
    head.appendChild(iconButton("trash", labels.labelRemove, function () { actions.splice(index, 1); render(); }));
    card.appendChild(head);
    (type ? type.fields : []).forEach(function (field) {
      const id = "action-" + index + "-" + field.name;
      const group = element("div", "mb-2");
      const label = element("label", "form-label small mb-1", field.label);
      label.htmlFor = id;
      if (field.required) label.appendChild(element("span", "text-danger", " *"));
      group.appendChild(label);
      group.appendChild(fieldInput(action, field, id));
      if (field.help) group.appendChild(element("div", "form-text", field.help));
      card.appendChild(group);
    });
    return card;
  }

  function render() {
    list.replaceChildren();
    if (!actions.length) list.appendChild(element("div", "text-body-secondary small", labels.labelEmpty));
    actions.forEach(function (action, index) { list.appendChild(row(action, index)); });
    sync();
  }

  form.querySelector("[data-actions-add-button]").addEventListener("click", function () {
    const type = form.querySelector("[data-actions-type]").value;
    actions.push({ type: type });
    render();
  });
  form.addEventListener("submit", sync);
  render();
})();
