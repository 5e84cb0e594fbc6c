// Shows the name fields that fit the kind of customer: first and last name for a person,
// the organisation's name for an organisation (and no "belongs to organisation" for one).
(function () {
  const kind = document.getElementById("id_kind");
  if (!kind) return;
  const wrappers = (ids) => ids.map((id) => document.getElementById(id)).filter(Boolean).map((el) => el.closest(".mb-3") || el);
  const personOnly = wrappers(["id_first_name", "id_last_name", "id_organisation", "id_job_title"]);
  const organisationOnly = wrappers(["id_name"]);
  function update() {
    const isPerson = kind.value === "person";
    personOnly.forEach((el) => el.classList.toggle("d-none", !isPerson));
    organisationOnly.forEach((el) => el.classList.toggle("d-none", isPerson));
  }
  kind.addEventListener("change", update);
  update();
})();
