/* pullplan board: pull items by drag and drop, by keyboard and from "Pull next".
   Every path calls pull(); a card moves on the page only after the server answered 200,
   and only that card and the two stage counts change. */
"use strict";

(() => {
  const board = document.querySelector(".board[data-board-id]");
  if (!board) return;
  const boardId = Number(board.dataset.boardId);
  const canMove = board.hasAttribute("data-can-move");
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const reasonDialog = document.querySelector("dialog.reason-dialog");

  // --- the page -----------------------------------------------------------------------------

  /** An element with text children only: nothing from the server is parsed as HTML. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "className") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  const stages = () => [...board.querySelectorAll(".stage[data-stage-id]")];
  const stageById = (id) => board.querySelector(`.stage[data-stage-id="${Number(id)}"]`);
  const cardById = (id) => board.querySelector(`li.card[data-item-id="${Number(id)}"]`);
  const stageName = (stage) => (stage ? stage.dataset.stageName : "that stage");
  const quoted = (title) => `\u201c${title}\u201d`;

  /** Say something next to a stage (its role="alert" box), or clear it with no words. */
  function say(stage, lead, reasons) {
    if (!stage) return;
    const box = stage.querySelector(".stage-alert");
    box.replaceChildren();
    if (!lead) return;
    box.append(el("p", {}, lead));
    if (reasons && reasons.length) {
      box.append(el("ul", {}, ...reasons.map((r) => el("li", {}, r))));
    }
    const dismiss = el("button", { type: "button", className: "dismiss", "aria-label": "Dismiss" }, "\u00d7");
    dismiss.addEventListener("click", () => box.replaceChildren());
    box.append(dismiss);
  }

  /** Add `delta` to a stage's count and show whether it is now full or over its WIP limit. */
  function addToCount(stage, delta) {
    if (!stage) return;
    const number = stage.querySelector(".count .n");
    const count = Math.max(0, Number(number.textContent) + delta);
    number.textContent = String(count);
    const limit = stage.dataset.wipLimit === undefined ? null : Number(stage.dataset.wipLimit);
    stage.classList.toggle("over", limit !== null && count > limit);
    stage.classList.toggle("full", limit !== null && count === limit);
  }

  const findingWords = (findings) => (findings || []).map((f) => f.message);
  const reasonWords = (error) => findingWords(error.reasons).length ? findingWords(error.reasons) : [error.message];

  /** A card for an item the page did not show (a pull-next candidate not on the page). */
  function cardFromItem(item) {
    const card = el("li", { className: `card cos-${item.class_of_service}`, "data-item-id": String(item.id) });
    if (item.blocked) card.classList.add("blocked");
    if (canMove) {
      card.tabIndex = 0;
      card.draggable = true;
      card.setAttribute("aria-keyshortcuts", "Enter");
    }
    const meta = el("div", { className: "meta" }, el("span", { className: "cos" }, item.class_of_service.replace("_", " ")));
    if (item.work_type_name) meta.append(el("span", {}, item.work_type_name));
    if (item.owner_name) meta.append(el("span", {}, item.owner_name));
    if (item.due_date) meta.append(el("span", { className: "due" }, `due ${item.due_date}`));
    card.append(el("div", { className: "title" }, item.title), meta);
    if (item.blocked) card.append(el("div", { className: "blocker" }, `Blocked: ${item.blocked_reason || ""}`));
    if (canMove) card.append(moveButton());
    return card;
  }

  const moveButton = () =>
    el("button", { type: "button", className: "move-button", "aria-haspopup": "true", "aria-expanded": "false" }, "Move");

  /** Put the card in the target stage after a 200: oldest-first stages get it last,
      done and discarded stages (newest first) get it first. */
  function placeCard(card, item, from, target) {
    const node = card || cardFromItem(item);
    const list = target.querySelector("ol.cards");
    const newestFirst = target.classList.contains("kind-done") || target.classList.contains("kind-discarded");
    if (newestFirst) list.prepend(node);
    else list.append(node);
    addToCount(from, -1);
    addToCount(target, +1);
    return node;
  }

  /** Keep a warning (warn mode, or a pull over a limit with a reason) visible on the card. */
  function showPullNote(card, result) {
    const old = card.querySelector(".pull-warning");
    if (old) old.remove();
    const words = findingWords(result.findings);
    if (!words.length && !result.override) return;
    const lead = result.override ? "Pulled with a reason: " : "Pulled with a warning: ";
    const note = el("div", { className: "pull-warning", role: "status" }, lead + words.join(" "));
    const before = card.querySelector(".move-button, .move-menu");
    card.insertBefore(note, before);
  }

  // --- the one move path ----------------------------------------------------------------------

  async function postMove(itemId, body) {
    const response = await fetch(`/api/v1/items/${Number(itemId)}/move`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    return { status: response.status, data };
  }

  /** Pull an item into a stage. Resolves true when the server moved it (and so did the page). */
  async function pull(itemId, toStageId, options) {
    const opts = options || {};
    const target = stageById(toStageId);
    const card = cardById(itemId);
    const from = card ? card.closest(".stage") : stageById(opts.fromStageId);
    if (!target || from === target) return false;
    const titleNode = card && card.querySelector(".title");
    const title = opts.title || (titleNode ? titleNode.textContent : `item ${itemId}`);
    const body = { to_stage_id: Number(toStageId) };
    if (opts.reason) body.reason = opts.reason;

    say(target, null);
    if (card) card.setAttribute("aria-busy", "true");
    let answer;
    try {
      answer = await postMove(itemId, body);
    } catch (_) {
      say(target, `Could not reach the server: ${quoted(title)} was not moved.`);
      return false;
    } finally {
      if (card) card.removeAttribute("aria-busy");
    }

    if (answer.status === 200 && answer.data) {
      const node = placeCard(card, answer.data.item, from, target);
      showPullNote(node, answer.data);
      if (opts.refocus) node.focus();
      return true;
    }
    const error = (answer.data && answer.data.error) || {};
    if (answer.status === 409 && error.code === "needs_reason" && !opts.reason) {
      const reason = await askReason(title, target, error);
      if (reason === null) {
        if (opts.refocus && card) card.focus();
        return false;
      }
      return pull(itemId, toStageId, { ...opts, title, reason });
    }
    if (answer.status === 409) {
      say(target, `${quoted(title)} cannot be pulled into ${stageName(target)}:`, reasonWords(error));
    } else if (answer.status === 403) {
      say(target, `You may not move items on this board: ${quoted(title)} stays where it was.`);
    } else {
      say(target, `${quoted(title)} was not moved: ${error.message || `the server answered ${answer.status}.`}`);
    }
    if (opts.refocus && card) card.focus();
    return false;
  }

  // --- asking for a reason (reason-mode limits) -----------------------------------------------

  /** Resolves the reason given in the page's dialog, or null when cancelled. */
  function askReason(title, target, error) {
    return new Promise((resolve) => {
      if (!reasonDialog) {
        resolve(null);
        return;
      }
      const form = reasonDialog.querySelector("form");
      const field = form.elements.reason;
      const cancel = form.querySelector("button.cancel");
      reasonDialog.querySelector(".reason-why").textContent =
        `Pulling ${quoted(title)} into ${stageName(target)}: ${reasonWords(error).join(" ")}`;
      field.value = "";

      const finish = (value) => {
        form.removeEventListener("submit", onSubmit);
        cancel.removeEventListener("click", onCancel);
        reasonDialog.removeEventListener("cancel", onCancel);
        if (reasonDialog.open) reasonDialog.close();
        resolve(value);
      };
      const onSubmit = (event) => {
        event.preventDefault();
        const value = field.value.trim();
        if (value) finish(value);
        else field.focus();
      };
      const onCancel = (event) => {
        event.preventDefault();
        finish(null);
      };
      form.addEventListener("submit", onSubmit);
      cancel.addEventListener("click", onCancel);
      reasonDialog.addEventListener("cancel", onCancel); // Escape
      reasonDialog.showModal();
      field.focus();
    });
  }

  // --- keyboard and button: the "Move to" menu on a card --------------------------------------

  function closeMenu(refocus) {
    const menu = board.querySelector(".move-menu");
    if (!menu) return;
    const card = menu.closest("li.card");
    menu.remove();
    const button = card.querySelector(".move-button");
    if (button) button.setAttribute("aria-expanded", "false");
    if (refocus) card.focus();
  }

  function openMenu(card) {
    closeMenu(false);
    const here = card.closest(".stage");
    const menu = el("div", { className: "move-menu", role: "group", "aria-label": "Move to" }, el("span", { className: "move-label" }, "Move to"));
    for (const stage of stages()) {
      if (stage === here) continue;
      const choice = el("button", { type: "button", className: "move-to", "data-to-stage-id": stage.dataset.stageId }, stage.dataset.stageName);
      menu.append(choice);
    }
    menu.append(el("button", { type: "button", className: "move-cancel" }, "Cancel"));
    card.append(menu);
    const button = card.querySelector(".move-button");
    if (button) button.setAttribute("aria-expanded", "true");
    menu.querySelector("button").focus();
  }

  if (canMove) {
    board.addEventListener("click", (event) => {
      const target = event.target;
      if (!(target instanceof Element)) return;
      const card = target.closest("li.card");
      if (target.closest(".move-button")) {
        if (card.querySelector(".move-menu")) closeMenu(true);
        else openMenu(card);
      } else if (target.closest(".move-cancel")) {
        closeMenu(true);
      } else if (target.closest(".move-to")) {
        const toStageId = target.closest(".move-to").dataset.toStageId;
        closeMenu(false);
        card.focus();
        pull(card.dataset.itemId, toStageId, { refocus: true });
      }
    });

    board.addEventListener("keydown", (event) => {
      const target = event.target;
      if (!(target instanceof Element)) return;
      if (event.key === "Enter" && target.matches("li.card")) {
        event.preventDefault();
        openMenu(target);
      } else if (event.key === "Escape" && target.closest(".move-menu")) {
        event.preventDefault();
        closeMenu(true);
      }
    });

    // --- drag and drop ----------------------------------------------------------------------

    let draggedId = null;
    const clearDropTargets = () => {
      for (const stage of board.querySelectorAll(".stage.drop-target")) stage.classList.remove("drop-target");
    };
    const droppableStage = (event) => {
      if (draggedId === null || !(event.target instanceof Element)) return null;
      const stage = event.target.closest(".stage");
      const card = cardById(draggedId);
      return stage && (!card || card.closest(".stage") !== stage) ? stage : null;
    };

    board.addEventListener("dragstart", (event) => {
      const card = event.target instanceof Element ? event.target.closest("li.card[draggable='true']") : null;
      if (!card) return;
      draggedId = card.dataset.itemId;
      event.dataTransfer.setData("text/plain", draggedId);
      event.dataTransfer.effectAllowed = "move";
      closeMenu(false);
      card.classList.add("dragging");
    });
    board.addEventListener("dragend", () => {
      const card = draggedId === null ? null : cardById(draggedId);
      if (card) card.classList.remove("dragging");
      draggedId = null;
      clearDropTargets();
    });
    board.addEventListener("dragover", (event) => {
      const stage = droppableStage(event);
      if (!stage) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      if (!stage.classList.contains("drop-target")) {
        clearDropTargets();
        stage.classList.add("drop-target");
      }
    });
    board.addEventListener("dragleave", (event) => {
      const stage = event.target instanceof Element ? event.target.closest(".stage") : null;
      if (stage && !(event.relatedTarget instanceof Node && stage.contains(event.relatedTarget))) {
        stage.classList.remove("drop-target");
      }
    });
    board.addEventListener("drop", (event) => {
      const stage = droppableStage(event);
      if (!stage) return;
      event.preventDefault();
      const itemId = draggedId;
      clearDropTargets();
      pull(itemId, stage.dataset.stageId);
    });
  }

  // --- pull next ----------------------------------------------------------------------------

  async function loadPullNext(stage) {
    const panel = stage.querySelector(".pull-next");
    const stageId = Number(stage.dataset.stageId);
    panel.replaceChildren(el("p", { className: "muted" }, "Loading\u2026"));
    let response;
    let data = null;
    try {
      response = await fetch(`/api/v1/boards/${boardId}/pull-next?stage_id=${stageId}`, {
        credentials: "same-origin",
        headers: { accept: "application/json" },
      });
      data = await response.json();
    } catch (_) {
      panel.replaceChildren(el("p", { className: "error" }, "Could not read what to pull next."));
      return;
    }
    if (!response.ok) {
      const message = data && data.error ? data.error.message : `The server answered ${response.status}.`;
      panel.replaceChildren(el("p", { className: "error" }, message));
      return;
    }
    panel.replaceChildren();
    if (!data.candidates.length) {
      panel.append(el("p", { className: "muted" }, `Nothing to pull into ${stageName(stage)} now.`));
    } else {
      const list = el("ol", { className: "candidates" });
      for (const candidate of data.candidates) {
        const item = candidate.item;
        const row = el(
          "li",
          { "data-item-id": String(item.id) },
          el("span", { className: "candidate-title" }, item.title),
          el("span", { className: "why" }, candidate.why),
        );
        if (candidate.outcome !== "allowed" && candidate.reasons.length) {
          const lead = candidate.outcome === "needs_reason" ? "Needs a reason: " : "Warning: ";
          row.append(el("span", { className: "candidate-note" }, lead + candidate.reasons.join(" ")));
        }
        if (canMove) {
          const button = el("button", { type: "button", className: "pull-candidate" }, "Pull");
          button.addEventListener("click", async () => {
            button.disabled = true;
            const moved = await pull(item.id, stageId, { fromStageId: item.stage_id, title: item.title });
            if (moved) loadPullNext(stage);
            else button.disabled = false;
          });
          row.append(button);
        }
        list.append(row);
      }
      panel.append(list);
    }
    if (data.not_pullable.length) {
      const rows = data.not_pullable.map((c) =>
        el("li", {}, el("span", { className: "candidate-title" }, c.item.title), el("span", { className: "why" }, c.reasons.join(" "))),
      );
      panel.append(
        el("details", {}, el("summary", {}, `Not pullable now (${rows.length})`), el("ul", { className: "not-pullable" }, ...rows)),
      );
    }
  }

  board.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest(".pull-next-button") : null;
    if (!button) return;
    const stage = button.closest(".stage");
    const panel = stage.querySelector(".pull-next");
    const open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", open ? "false" : "true");
    panel.hidden = open;
    if (!open) loadPullNext(stage);
  });

  // --- live updates: what others change shows within a second or two -----------------------
  // The page polls the board's append-only transition log (GET .../transitions?after_id=) and
  // refreshes the cards it names: short polling, standard HTTP, nothing kept on the server.
  let lastSeen = Number(board.dataset.lastTransition || 0);
  let polling = false;

  function showBlocked(card, item) {
    card.classList.toggle("blocked", Boolean(item.blocked));
    const old = card.querySelector(".blocker");
    if (old) old.remove();
    if (item.blocked) {
      const note = el("div", { className: "blocker" }, `Blocked: ${item.blocked_reason || ""}`);
      const before = card.querySelector(".pull-warning, .move-button, .move-menu");
      if (before) before.before(note);
      else card.append(note);
    }
  }

  async function refreshItem(itemId) {
    const response = await fetch(`/api/v1/items/${Number(itemId)}`, { headers: { accept: "application/json" } });
    if (!response.ok) return;
    const item = await response.json();
    const card = cardById(item.id);
    const from = card ? card.closest(".stage") : null;
    const target = item.archived_at ? null : stageById(item.stage_id);
    if (!target) {
      if (card) {
        card.remove();
        addToCount(from, -1);
      }
      return;
    }
    if (!card) {
      placeCard(null, item, null, target);
      return;
    }
    if (from !== target) placeCard(card, item, from, target);
    const title = card.querySelector(".title");
    if (title && title.textContent !== item.title) title.textContent = item.title;
    showBlocked(card, item);
  }

  async function poll() {
    if (polling || document.hidden) return;
    polling = true;
    try {
      for (let page = 0; page < 5; page += 1) {
        const response = await fetch(`/api/v1/boards/${boardId}/transitions?after_id=${lastSeen}&limit=200`, {
          headers: { accept: "application/json" },
        });
        if (!response.ok) return;
        const rows = await response.json();
        if (!rows.length) return;
        lastSeen = rows[rows.length - 1].id;
        const changed = [...new Set(rows.map((row) => row.item_id))];
        for (const itemId of changed) await refreshItem(itemId);
        if (rows.length < 200) return;
      }
    } catch (error) {
      // Offline for a moment: the next poll catches up from the same place in the log.
    } finally {
      polling = false;
    }
  }

  setInterval(poll, 1000);
})();
