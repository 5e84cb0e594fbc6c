/* The pipeline board: drag a card onto another stage to move it (htmx POST to its move URL,
   which answers with the re-rendered board). Dropping on a lost stage first asks for the reason.
   Without JavaScript, the stage select on the opportunity's page does the same. */
(function () {
  "use strict";

  let dragged = null;
  let pendingLoss = null;

  function dropZone(event) {
    return event.target instanceof Element ? event.target.closest("[data-stage-id]") : null;
  }

  function clearTargets() {
    document.querySelectorAll(".pipeline-drop-target").forEach(function (zone) {
      zone.classList.remove("pipeline-drop-target");
    });
  }

  function move(url, values) {
    const board = document.getElementById("pipeline-board");
    htmx.ajax("POST", url, { source: board, target: "#pipeline-board", swap: "outerHTML", values: values });
  }

  document.addEventListener("dragstart", function (event) {
    const card = event.target instanceof Element ? event.target.closest("[data-move-url]") : null;
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    card.classList.add("pipeline-card-dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("pipeline-card-dragging");
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (event) {
    const zone = dropZone(event);
    if (!zone || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!zone.classList.contains("pipeline-drop-target")) {
      clearTargets();
      zone.classList.add("pipeline-drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    const zone = dropZone(event);
    if (!zone || !dragged) return;
    event.preventDefault();
    clearTargets();
    const card = dragged;
    if (zone.dataset.stageId === card.dataset.stage) return;
    if (zone.dataset.stageKind === "lost") {
      askLossReason(card, zone);
      return;
    }
    zone.prepend(card); // shown at once; the server's board replaces it
    move(card.dataset.moveUrl, { stage: zone.dataset.stageId });
  });

  function askLossReason(card, zone) {
    const modalElement = document.getElementById("loss-reason-modal");
    const form = document.getElementById("loss-reason-form");
    form.reset();
    document.getElementById("loss-reason-opportunity").textContent = card.dataset.name + " → " + zone.dataset.stageName;
    pendingLoss = { url: card.dataset.moveUrl, stage: zone.dataset.stageId };
    bootstrap.Modal.getOrCreateInstance(modalElement).show();
  }

  document.addEventListener("submit", function (event) {
    if (event.target.id !== "loss-reason-form") return;
    event.preventDefault();
    const form = event.target;
    if (!pendingLoss || !form.reportValidity()) return;
    move(pendingLoss.url, {
      stage: pendingLoss.stage,
      loss_reason: form.elements.loss_reason.value,
      loss_note: form.elements.loss_note.value,
    });
    pendingLoss = null;
    bootstrap.Modal.getOrCreateInstance(document.getElementById("loss-reason-modal")).hide();
  });
})();
