/* pullplan handoffs page: request a handoff and take the steps of the promise cycle.
   Each action calls the API; on success the page reloads to show the handoff as it now
   stands, on refusal the server's message is shown next to the form. */
"use strict";

(() => {
  const page = document.querySelector(".handoffs[data-workspace-id]");
  if (!page) return;
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const stepPaths = JSON.parse(page.dataset.stepPaths || "{}");

  async function send(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    if (response.ok) return null;
    try {
      const error = (await response.json()).error;
      return error && error.message ? error.message : `The server answered ${response.status}.`;
    } catch (_) {
      return `The server answered ${response.status}.`;
    }
  }

  function say(form, message) {
    const box = form.querySelector(".handoff-alert");
    if (box) box.textContent = message || "";
  }

  function busy(form, on) {
    for (const button of form.querySelectorAll("button")) button.disabled = on;
  }

  const request = page.querySelector(".handoff-request-form");
  if (request) {
    request.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(request);
      const body = {
        performer_board_id: Number(data.get("performer_board_id")),
        title: String(data.get("title") || ""),
        conditions: String(data.get("conditions") || ""),
        due_date: String(data.get("due_date") || ""),
        block: data.get("block") === "on",
      };
      if (data.get("performer_id")) body.performer_id = Number(data.get("performer_id"));
      busy(request, true);
      say(request, "");
      const problem = await send(`/api/v1/items/${Number(data.get("item"))}/handoffs`, body);
      busy(request, false);
      if (problem) say(request, problem);
      else window.location.reload();
    });
  }

  for (const form of page.querySelectorAll("form.handoff-steps")) {
    const handoff = form.closest("[data-handoff-id]");
    form.addEventListener("submit", (event) => event.preventDefault());
    for (const button of form.querySelectorAll("button[data-step]")) {
      button.addEventListener("click", async () => {
        const step = button.dataset.step;
        const data = new FormData(form);
        const body = {};
        const note = String(data.get("note") || "").trim();
        if (note) body.note = note;
        if (step === "counter") {
          if (data.get("due_date")) body.due_date = String(data.get("due_date"));
          const conditions = String(data.get("conditions") || "").trim();
          if (conditions) body.conditions = conditions;
        }
        if ((step === "decline" || step === "reject") && !note) {
          say(form, `To ${button.textContent.toLowerCase()}, say why in the note.`);
          form.querySelector('input[name="note"]').focus();
          return;
        }
        busy(form, true);
        say(form, "");
        const url = `/api/v1/handoffs/${Number(handoff.dataset.handoffId)}/${stepPaths[step]}`;
        const problem = await send(url, body);
        busy(form, false);
        if (problem) say(form, problem);
        else window.location.reload();
      });
    }
  }
})();
