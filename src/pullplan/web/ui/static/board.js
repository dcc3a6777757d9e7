/* pullplan board: pull items by drag and drop, by keyboard and from "Pull next"; move them
   between lanes and mark them ready to pull where a stage is split.
   Every path calls pull() (or, within a stage, patchItem()); a card moves on the page only
   after the server answered 200, and only that card and the counts it touches change. */
"use strict";

(() => {
  const board = document.querySelector(".board[data-board-id]");
  if (!board) return;
  const boardId = Number(board.dataset.boardId);
  const canMove = board.hasAttribute("data-can-move");
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const reasonDialog = document.querySelector("dialog.reason-dialog");
  const hasLanes = board.classList.contains("has-lanes");
  const agingDays = board.dataset.agingDays === undefined ? null : Number(board.dataset.agingDays);

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
  const isSplit = (stage) => Boolean(stage) && stage.classList.contains("split-stage");
  const isFinished = (stage) => stage.classList.contains("kind-done") || stage.classList.contains("kind-discarded");
  const laneKey = (laneId) => (laneId === null || laneId === undefined ? "none" : String(laneId));
  const laneHead = (key) => board.querySelector(`.lane-head[data-lane-id="${CSS.escape(String(key))}"]`);
  const laneName = (key) => {
    const head = laneHead(key);
    return head ? head.querySelector(".lane-name").textContent : "no lane";
  };
  /** The band a card is in ("none" for no lane), or null on a board without lanes. */
  const cardLane = (card) => (hasLanes && card.closest(".lane-cell") ? card.closest(".lane-cell").dataset.laneId : null);
  const cardReady = (card) => card.closest('ol[data-part="ready"]') !== null;

  /** The list an item belongs in within a stage: its lane's band, and in a split stage its
      "doing" or "ready to pull" part. */
  function listFor(stage, item) {
    let box = stage;
    if (hasLanes) {
      box = stage.querySelector(`.lane-cell[data-lane-id="${laneKey(item.lane_id)}"]`)
        || stage.querySelector('.lane-cell[data-lane-id="none"]');
    }
    if (isSplit(stage)) return box.querySelector(`ol.cards[data-part="${item.ready ? "ready" : "doing"}"]`);
    return box.querySelector("ol.cards");
  }

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

  const CLASS_WORDS = { expedite: "Expedite", fixed_date: "Fixed date", standard: "Standard", intangible: "Intangible" };
  const classWords = (cos) => CLASS_WORDS[cos] || cos;
  const utcDay = (iso) => Date.parse(iso.slice(0, 10));
  const today = new Date().toISOString().slice(0, 10);

  /** Age (or cycle time, once done) in days, as the server counts it: from commitment (or
      arrival, for an option) to done (or today), both days included. */
  function ageDays(item) {
    const start = item.committed_at || item.created_at;
    if (!start) return 0;
    const end = item.done_at ? item.done_at : today;
    return Math.round((utcDay(end) - utcDay(start)) / 86400000) + 1;
  }

  /** A card's line of facts: class, type, owner, age, value, due date. */
  function metaFor(item) {
    const meta = el("div", { className: "meta" }, el("span", { className: "cos" }, classWords(item.class_of_service)));
    if (item.work_type_name) meta.append(el("span", {}, item.work_type_name));
    if (item.owner_name) meta.append(el("span", { className: "owner" }, item.owner_name));
    const age = ageDays(item);
    const old = agingDays !== null && item.committed_at && !item.done_at && age > agingDays;
    const title = old ? `older than the board's 85th-percentile cycle time (${agingDays} days)` : "age in days";
    meta.append(el("span", { className: old ? "age aging" : "age", title }, `${age}d`));
    if (item.value !== null && item.value !== undefined) {
      const value = Number(item.value).toLocaleString("en-US", { maximumFractionDigits: 0 });
      meta.append(el("span", { className: "value", title: "deal value" }, `value ${value}`));
    }
    if (item.due_date) meta.append(el("span", { className: "due" }, `due ${item.due_date}`));
    return meta;
  }

  /** A card for an item the page did not show (a pull-next candidate, a card another user
      added, an older page of a done stage). */
  function cardFromItem(item) {
    const card = el("li", { className: `card cos-${item.class_of_service}`, "data-item-id": String(item.id) });
    if (item.blocked) card.classList.add("blocked");
    if (canMove) {
      card.tabIndex = 0;
      card.draggable = true;
      card.setAttribute("aria-keyshortcuts", "Enter D");
    }
    card.append(el("div", { className: "title" }, item.title), metaFor(item));
    if (item.blocked) card.append(el("div", { className: "blocker" }, `Blocked: ${item.blocked_reason || ""}`));
    if (canMove) card.append(moveButton());
    card.append(el("button", { type: "button", className: "details-button", "aria-haspopup": "dialog" }, "Details"));
    return card;
  }

  /** The "ready to pull" state and its button, where the card's stage is split. */
  function showReady(card, stage, ready) {
    const split = isSplit(stage);
    card.classList.toggle("ready", split && Boolean(ready));
    let button = card.querySelector(".ready-button");
    if (!canMove || !split) {
      if (button) button.remove();
      if (canMove) card.setAttribute("aria-keyshortcuts", "Enter D");
      return;
    }
    card.setAttribute("aria-keyshortcuts", "Enter D R");
    if (!button) {
      button = el("button", { type: "button", className: "ready-button" });
      card.querySelector(".details-button").before(button);
    }
    button.setAttribute("aria-pressed", ready ? "true" : "false");
    button.textContent = ready ? "Not ready" : "Mark ready";
  }

  /** What depends on where the cards are: each lane's count of items in progress against its
      limit, each split stage's "ready to pull" count and the signal it gives the next stage,
      and how much of each done or discarded stage is shown. */
  function refreshDerived() {
    if (hasLanes) {
      const committed = [...board.querySelectorAll(".stage.kind-committed")];
      for (const head of board.querySelectorAll(".lane-head[data-lane-id]")) {
        const selector = `.lane-cell[data-lane-id="${head.dataset.laneId}"] li.card`;
        const count = committed.reduce((n, stage) => n + stage.querySelectorAll(selector).length, 0);
        head.querySelector(".count .n").textContent = String(count);
        const limit = head.dataset.wipLimit === undefined ? null : Number(head.dataset.wipLimit);
        head.classList.toggle("over", limit !== null && count > limit);
        head.classList.toggle("full", limit !== null && count === limit);
      }
    }
    for (const stage of board.querySelectorAll(".stage.split-stage")) {
      const ready = String(stage.querySelectorAll('ol[data-part="ready"] li.card').length);
      stage.querySelector(".ready-count").textContent = ready;
      const signal = board.querySelector(`.ready-signal[data-ready-from="${stage.dataset.stageId}"]`);
      if (signal) {
        signal.querySelector(".n").textContent = ready;
        signal.classList.toggle("on", ready !== "0");
      }
    }
    for (const stage of board.querySelectorAll(".stage.kind-done, .stage.kind-discarded")) {
      const more = stage.querySelector(".stage-more");
      if (!more) continue;
      const shown = stage.querySelectorAll("li.card").length;
      const total = Number(stage.querySelector(".count .n").textContent);
      more.querySelector(".shown").textContent = String(shown);
      more.querySelector(".total").textContent = String(total);
      more.querySelector(".show-more").hidden = shown >= total;
      more.hidden = total === 0;
    }
  }

  const moveButton = () =>
    el("button", { type: "button", className: "move-button", "aria-haspopup": "true", "aria-expanded": "false" }, "Move");

  /** Put the card where the server says the item is, after a 200: its stage, its lane's band
      and (split stages) its part. Oldest-first stages get it last, done and discarded stages
      (newest first) get it first. Only a card that changed list is moved. */
  function placeCard(card, item, from, target) {
    const node = card || cardFromItem(item);
    const list = listFor(target, item);
    if (node.parentElement !== list) {
      if (isFinished(target)) list.prepend(node);
      else list.append(node);
    }
    if (from !== target) {
      addToCount(from, -1);
      addToCount(target, +1);
    }
    showReady(node, target, item.ready);
    refreshDerived();
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

  /** Send a write to the API (with the page's CSRF token): resolves {status, data}. */
  async function send(method, path, body) {
    const response = await fetch(`/api/v1${path}`, {
      method,
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json", "x-csrf-token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    return { status: response.status, data };
  }

  const postMove = (itemId, body) => send("POST", `/items/${Number(itemId)}/move`, body);

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
    if (opts.laneId !== undefined) body.to_lane_id = opts.laneId === "none" ? null : Number(opts.laneId);
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
      const reason = await askReason(`Pulling ${quoted(title)} into ${stageName(target)}`, error);
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

  /** Change an item in place from the board (its lane, or "ready to pull"): the same answers
      as a pull, said next to its stage. Resolves true when the server changed it. */
  async function patchItem(itemId, changes, what, options) {
    const opts = options || {};
    const card = cardById(itemId);
    if (!card) return false;
    const stage = card.closest(".stage");
    const title = card.querySelector(".title").textContent;
    const body = opts.reason ? { ...changes, reason: opts.reason } : changes;
    say(stage, null);
    card.setAttribute("aria-busy", "true");
    let answer;
    try {
      answer = await send("PATCH", `/items/${Number(itemId)}`, body);
    } catch (_) {
      say(stage, `Could not reach the server: ${quoted(title)} was not changed.`);
      return false;
    } finally {
      card.removeAttribute("aria-busy");
    }
    if (answer.status === 200 && answer.data) {
      applyItem(answer.data.item);
      const node = cardById(itemId);
      if (node) {
        showPullNote(node, answer.data);
        if (opts.refocus) node.focus();
      }
      return true;
    }
    const error = (answer.data && answer.data.error) || {};
    if (answer.status === 409 && error.code === "needs_reason" && !opts.reason) {
      const reason = await askReason(`${what} ${quoted(title)}`, error);
      if (reason !== null) return patchItem(itemId, changes, what, { ...opts, reason });
    } else if (answer.status === 409) {
      say(stage, `${what} ${quoted(title)} was refused:`, reasonWords(error));
    } else {
      say(stage, `${quoted(title)} was not changed: ${refusal(answer)}`);
    }
    if (opts.refocus) card.focus();
    return false;
  }

  const moveToLane = (itemId, key, options) =>
    patchItem(itemId, { lane_id: key === "none" ? null : Number(key) }, `Moving into the ${laneName(key)} lane:`, options);
  const setReady = (itemId, ready, options) =>
    patchItem(itemId, { ready }, ready ? "Marking ready to pull:" : "Marking not ready:", options);

  // --- asking for a reason (reason-mode limits) -----------------------------------------------

  /** Resolves the reason given in the page's dialog, or null when cancelled. `what` says
      what needs it ("Pulling “X” into Review"). */
  function askReason(what, error) {
    return new Promise((resolve) => {
      if (!reasonDialog) {
        resolve(null);
        return;
      }
      const form = reasonDialog.querySelector("form");
      const field = form.elements.reason;
      const cancel = form.querySelector("button.cancel");
      reasonDialog.querySelector(".reason-why").textContent = `${what}: ${reasonWords(error).join(" ")}`;
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
    const lane = cardLane(card);
    if (lane !== null) {
      menu.append(el("span", { className: "move-label" }, "Lane"));
      for (const head of board.querySelectorAll(".lane-head:not(.lane-none)")) {
        if (head.dataset.laneId === lane) continue;
        const name = head.querySelector(".lane-name").textContent;
        menu.append(el("button", { type: "button", className: "move-to-lane", "data-lane-id": head.dataset.laneId, "aria-label": `${name} lane` }, name));
      }
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
      } else if (target.closest(".move-to-lane")) {
        const key = target.closest(".move-to-lane").dataset.laneId;
        closeMenu(false);
        card.focus();
        moveToLane(card.dataset.itemId, key, { refocus: true });
      } else if (target.closest(".ready-button")) {
        setReady(card.dataset.itemId, !cardReady(card), { refocus: true });
      }
    });

    board.addEventListener("keydown", (event) => {
      const target = event.target;
      if (!(target instanceof Element)) return;
      if (event.key === "Enter" && target.matches("li.card")) {
        event.preventDefault();
        openMenu(target);
      } else if ((event.key === "r" || event.key === "R") && !event.ctrlKey && !event.metaKey && !event.altKey
                 && target.matches("li.card") && isSplit(target.closest(".stage"))) {
        event.preventDefault();
        setReady(target.dataset.itemId, !cardReady(target), { refocus: true });
      } else if (event.key === "Escape" && target.closest(".move-menu")) {
        event.preventDefault();
        closeMenu(true);
      }
    });

    // --- drag and drop ----------------------------------------------------------------------

    let draggedId = null;
    const clearDropTargets = () => {
      for (const node of board.querySelectorAll(".drop-target")) node.classList.remove("drop-target");
    };
    /** What a drop here would do: pull into another stage (and the lane of the band it is
        dropped in), move into another lane of the same stage, or mark ready / not ready. */
    const dropSpot = (event) => {
      if (draggedId === null || !(event.target instanceof Element)) return null;
      const stage = event.target.closest(".stage");
      if (!stage) return null;
      const card = cardById(draggedId);
      const cell = hasLanes ? event.target.closest(".lane-cell") : null;
      const part = isSplit(stage) ? event.target.closest(".split > ol") : null;
      const lane = cell ? cell.dataset.laneId : undefined;
      const fromLane = card ? cardLane(card) : null;
      if (!card || card.closest(".stage") !== stage) {
        return { action: "pull", stage, lane: lane !== undefined && lane !== fromLane ? lane : undefined, mark: cell || stage };
      }
      if (lane !== undefined && lane !== fromLane) return { action: "lane", stage, lane, mark: cell };
      if (part && (part.dataset.part === "ready") !== cardReady(card)) {
        return { action: "ready", stage, ready: part.dataset.part === "ready", mark: part };
      }
      return null;
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
      const spot = dropSpot(event);
      if (!spot) {
        clearDropTargets();
        return;
      }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      if (!spot.mark.classList.contains("drop-target")) {
        clearDropTargets();
        spot.mark.classList.add("drop-target");
      }
    });
    board.addEventListener("dragleave", (event) => {
      const mark = event.target instanceof Element ? event.target.closest(".drop-target") : null;
      if (mark && !(event.relatedTarget instanceof Node && mark.contains(event.relatedTarget))) {
        mark.classList.remove("drop-target");
      }
    });
    board.addEventListener("drop", (event) => {
      const spot = dropSpot(event);
      if (!spot) return;
      event.preventDefault();
      const itemId = draggedId;
      clearDropTargets();
      if (spot.action === "pull") pull(itemId, spot.stage.dataset.stageId, { laneId: spot.lane });
      else if (spot.action === "lane") moveToLane(itemId, spot.lane);
      else setReady(itemId, spot.ready);
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

  // --- done and discarded stages: the latest page, and "Show more" for the next ------------
  // The next page starts after the last card of the page before (keyset paging: items that
  // finish meanwhile do not shift it; they arrive at the top by the live updates). When that
  // item has left the stage, it starts after the cards shown (offset = cards shown).
  async function nextPage(stage, more) {
    const path = `/stages/${Number(stage.dataset.stageId)}/items?limit=25`;
    const after = Number(more.dataset.afterId || 0);
    if (after) {
      const response = await fetch(`/api/v1${path}&after_id=${after}`, { headers: { accept: "application/json" } });
      if (response.status !== 422) {
        const data = await response.json().catch(() => null);
        if (!response.ok) throw new Error((data && data.error && data.error.message) || `The server answered ${response.status}.`);
        return data;
      }
    }
    return getJson(`${path}&offset=${stage.querySelectorAll("li.card").length}`);
  }

  board.addEventListener("click", async (event) => {
    const button = event.target instanceof Element ? event.target.closest(".show-more") : null;
    if (!button) return;
    const stage = button.closest(".stage");
    const more = button.closest(".stage-more");
    button.disabled = true;
    say(stage, null);
    try {
      const page = await nextPage(stage, more);
      for (const item of page.items) {
        if (!cardById(item.id)) listFor(stage, item).append(cardFromItem(item));
      }
      if (page.items.length) more.dataset.afterId = String(page.items[page.items.length - 1].id);
      stage.querySelector(".count .n").textContent = String(page.total);
    } catch (error) {
      say(stage, `Could not read more of ${stageName(stage)}: ${error.message}`);
    } finally {
      button.disabled = false;
      refreshDerived();
    }
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
      const before = card.querySelector(".pull-warning, .move-button, .move-menu, .details-button");
      if (before) before.before(note);
      else card.append(note);
    }
  }

  async function refreshItem(itemId, arrived) {
    const response = await fetch(`/api/v1/items/${Number(itemId)}`, { headers: { accept: "application/json" } });
    if (response.ok) applyItem(await response.json(), arrived);
  }

  /** Show an item as the server last answered it: placed, moved, removed or updated. Safe
      to repeat (the poll may bring the same item again). A done or discarded stage shows its
      latest page: an item changed there but not shown is left to "Show more", unless it has
      just `arrived` (created or moved in). */
  function applyItem(item, arrived = true) {
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
      if (arrived || !isFinished(target)) placeCard(null, item, null, target);
      return;
    }
    placeCard(card, item, from, target);
    const title = card.querySelector(".title");
    if (title && title.textContent !== item.title) title.textContent = item.title;
    for (const cos of Object.keys(CLASS_WORDS)) card.classList.toggle(`cos-${cos}`, cos === item.class_of_service);
    card.querySelector(".meta").replaceWith(metaFor(item));
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
        const arrived = new Set(rows.filter((row) => row.kind === "moved" || row.kind === "created").map((row) => row.item_id));
        for (const itemId of changed) await refreshItem(itemId, arrived.has(itemId));
        if (rows.length < 200) return;
      }
    } catch (error) {
      // Offline for a moment: the next poll catches up from the same place in the log.
    } finally {
      polling = false;
    }
  }

  setInterval(poll, 1000);

  // --- card details: the full item and its history; members also edit, block, discard, archive
  // Every write goes to the server first: the card and the panel change only after it agreed,
  // and a refusal is shown in the panel in the server's words.
  const details = document.querySelector("dialog.details-dialog");
  const detailsTitle = details.querySelector("#details-title");
  const detailsAlert = details.querySelector(".details-alert");
  const detailsBody = details.querySelector(".details-body");
  let shownId = null;

  async function getJson(path) {
    const response = await fetch(`/api/v1${path}`, { headers: { accept: "application/json" } });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error((data && data.error && data.error.message) || `The server answered ${response.status}.`);
    return data;
  }

  /** The server's words for a refused write; a 422 names its field. */
  function refusal(answer) {
    const error = (answer.data && answer.data.error) || {};
    let message = error.message || `The server answered ${answer.status}.`;
    if (answer.status === 422 && error.field && !message.startsWith(`${error.field}:`)) message = `${error.field}: ${message}`;
    const words = findingWords(error.reasons);
    return words.length ? `${message} ${words.join(" ")}` : message;
  }

  function tell(message) {
    detailsAlert.replaceChildren();
    if (message) detailsAlert.append(el("p", {}, message));
  }

  const stageLabel = (id) => (stageById(id) ? stageById(id).dataset.stageName : `stage ${id}`);
  const FIELD_WORDS = { owner_id: "owner", class_of_service: "class of service", lane_id: "lane", work_type_id: "type" };
  const KIND_WORDS = {
    created: "Created", moved: "Moved", override: "Pulled over a limit", blocked: "Blocked",
    unblocked: "Unblocked", edited: "Edited", split: "Split", archived: "Archived",
  };

  function historyRow(t) {
    let what = KIND_WORDS[t.kind] || t.kind;
    if (t.from_stage_id) what += ` from ${stageLabel(t.from_stage_id)}`;
    if (t.to_stage_id) what += ` ${t.kind === "created" ? "in" : "to"} ${stageLabel(t.to_stage_id)}`;
    const lane = t.details && t.details.lane_id;
    if (lane && hasLanes) what += lane[1] === null ? ", out of its lane" : `, into the ${laneName(laneKey(lane[1]))} lane`;
    const changes = t.details && t.details.changes;
    if (changes) what += `: ${Object.keys(changes).map((key) => FIELD_WORDS[key] || key.replaceAll("_", " ")).join(", ")}`;
    return el(
      "li",
      { "data-kind": t.kind },
      el("time", { datetime: t.at }, t.at.replace("T", " ").slice(0, 16)),
      el("span", { className: "what" }, what),
      t.actor_name ? el("span", { className: "who" }, `by ${t.actor_name}`) : null,
      t.reason ? el("span", { className: "reason" }, `Reason: ${t.reason}`) : null,
    );
  }

  function facts(item) {
    const list = el("dl", { className: "facts" });
    const fact = (term, value) => {
      if (value !== null && value !== undefined && value !== "") list.append(el("dt", {}, term), el("dd", {}, String(value)));
    };
    fact("Stage", stageLabel(item.stage_id));
    fact("Type", item.work_type_name);
    fact("Class", classWords(item.class_of_service));
    if (hasLanes) fact("Lane", laneName(laneKey(item.lane_id)));
    fact("Owner", item.owner_name);
    fact("Due date", item.due_date);
    fact("Value", item.value);
    fact("Tags", item.tags.join(", "));
    fact("Size", item.size);
    fact("External reference", item.external_ref);
    fact("Ready", item.ready ? "yes" : "no");
    fact("Blocked", item.blocked ? item.blocked_reason || "yes" : null);
    fact("Archived", item.archived_at && item.archived_at.slice(0, 10));
    return list;
  }

  const ownerOptions = document.querySelector("template.owner-options");
  const workTypeOptions = document.querySelector("template.work-type-options");

  /** A select of the page's options (a <template>), showing `current` even when the page
      does not list it. */
  function choices(name, options, current, currentWords) {
    const select = el("select", { name });
    if (options) select.append(options.content.cloneNode(true));
    if (current !== null && !select.querySelector(`option[value="${Number(current)}"]`)) {
      select.append(el("option", { value: String(current) }, currentWords || String(current)));
    }
    select.value = current === null ? "" : String(current);
    return select;
  }
  const idOrNull = (value) => (value ? Number(value) : null);
  const tagsText = (tags) => tags.join(", ");

  /** The edit form. Fields are checked by the server only: a refusal names the field, which
      is marked (aria-invalid) and focused. */
  function editForm(item) {
    const owner = choices("owner_id", ownerOptions, item.owner_id, item.owner_name);
    const workType = choices("work_type_id", workTypeOptions, item.work_type_id, item.work_type_name);
    const cos = el("select", { name: "class_of_service" });
    for (const [value, words] of Object.entries(CLASS_WORDS)) cos.append(el("option", { value }, words));
    const form = el(
      "form",
      { className: "edit-form", novalidate: "" },
      el("h3", {}, "Edit"),
      el("label", {}, "Title", el("input", { name: "title", maxlength: "200", autocomplete: "off" })),
      el("label", {}, "Description", el("textarea", { name: "description", rows: "4" })),
      el("label", {}, "Type", workType),
      el("label", {}, "Owner", owner),
      el("label", {}, "Class of service", cos),
      el("label", {}, "Due date", el("input", { name: "due_date", type: "date" })),
      el("label", {}, "Value", el("input", { name: "value", inputmode: "decimal", autocomplete: "off" })),
      el("label", {}, "Tags (comma separated)", el("input", { name: "tags", autocomplete: "off" })),
      el("label", {}, "Size", el("input", { name: "size", inputmode: "numeric", autocomplete: "off" })),
      el("label", {}, "External reference", el("input", { name: "external_ref", maxlength: "120", autocomplete: "off" })),
      el("div", { className: "buttons" }, el("button", { type: "submit" }, "Save")),
    );
    const fields = form.elements;
    fields.title.value = item.title;
    fields.description.value = item.description;
    fields.class_of_service.value = item.class_of_service;
    fields.due_date.value = item.due_date || "";
    fields.value.value = item.value === null ? "" : String(item.value);
    fields.tags.value = tagsText(item.tags);
    fields.size.value = item.size === null ? "" : String(item.size);
    fields.external_ref.value = item.external_ref || "";
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const changes = {};
      if (fields.title.value !== item.title) changes.title = fields.title.value;
      if (fields.description.value !== item.description) changes.description = fields.description.value;
      const ownerId = idOrNull(fields.owner_id.value);
      if (ownerId !== item.owner_id) changes.owner_id = ownerId;
      const workTypeId = idOrNull(fields.work_type_id.value);
      if (workTypeId !== item.work_type_id) changes.work_type_id = workTypeId;
      if (fields.class_of_service.value !== item.class_of_service) changes.class_of_service = fields.class_of_service.value;
      const due = fields.due_date.value || null;
      if (due !== (item.due_date || null)) changes.due_date = due;
      const value = fields.value.value.trim();
      if (value !== (item.value === null ? "" : String(item.value))) changes.value = value === "" ? null : value;
      if (fields.tags.value.trim() !== tagsText(item.tags)) {
        changes.tags = fields.tags.value.split(",").map((tag) => tag.trim()).filter((tag) => tag);
      }
      const size = fields.size.value.trim();
      if (size !== (item.size === null ? "" : String(item.size))) changes.size = size === "" ? null : size;
      const ref = fields.external_ref.value.trim();
      if (ref !== (item.external_ref || "")) changes.external_ref = ref === "" ? null : ref;
      if (Object.keys(changes).length) act("PATCH", "", changes);
      else tell("Nothing to save: no field was changed.");
    });
    return form;
  }

  function actions(item) {
    const box = el("div", { className: "item-actions" }, el("h3", {}, "Actions"));
    const button = (words, onClick) => {
      const node = el("button", { type: "button" }, words);
      node.addEventListener("click", onClick);
      return node;
    };
    if (item.blocked) {
      box.append(button("Unblock", () => act("POST", "/unblock")));
    } else {
      const form = el(
        "form",
        { className: "block-form", novalidate: "" },
        el("label", {}, "Blocked because", el("input", { name: "reason", maxlength: "500", autocomplete: "off" })),
        el("button", { type: "submit" }, "Block"),
      );
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        act("POST", "/block", { reason: form.elements.reason.value });
      });
      box.append(form);
    }
    box.append(
      el("div", { className: "buttons" }, button("Discard", () => act("POST", "/discard")), button("Archive", () => act("POST", "/archive"))),
    );
    return box;
  }

  function render(item, history) {
    detailsTitle.textContent = item.title;
    const description = el(
      "section",
      { className: "description" },
      el("h3", {}, "Description"),
      item.description ? el("p", {}, item.description) : el("p", { className: "muted" }, "No description."),
    );
    const parts = [facts(item), description];
    if (canMove && !item.archived_at) parts.push(editForm(item), actions(item));
    const rows = history.map(historyRow).reverse(); // newest first
    parts.push(el("section", { className: "history" }, el("h3", {}, "History"), el("ol", {}, ...rows)));
    detailsBody.replaceChildren(...parts);
  }

  async function loadDetails() {
    const id = shownId;
    try {
      const [item, history] = await Promise.all([getJson(`/items/${id}`), getJson(`/items/${id}/transitions`)]);
      if (id === shownId) render(item, history);
    } catch (error) {
      if (id === shownId) detailsBody.replaceChildren(el("p", { className: "error" }, `Could not read the item: ${error.message}`));
    }
  }

  function openDetails(itemId) {
    shownId = Number(itemId);
    tell(null);
    const titleNode = cardById(shownId) && cardById(shownId).querySelector(".title");
    detailsTitle.textContent = titleNode ? titleNode.textContent : "Item";
    detailsBody.replaceChildren(el("p", { className: "muted" }, "Loading\u2026"));
    if (!details.open) details.showModal();
    loadDetails();
  }

  /** A write about the shown item. On success the card follows the server's item and the
      panel is read again; on a refusal only the panel's alert changes. */
  async function act(method, suffix, body) {
    const id = shownId;
    tell(null);
    for (const node of detailsBody.querySelectorAll('[aria-invalid="true"]')) node.removeAttribute("aria-invalid");
    const buttons = [...detailsBody.querySelectorAll("button")];
    for (const node of buttons) node.disabled = true;
    let answer;
    try {
      answer = await send(method, `/items/${id}${suffix}`, body);
    } catch (_) {
      answer = null;
    } finally {
      for (const node of buttons) node.disabled = false;
    }
    if (id !== shownId) return;
    if (!answer) {
      tell("Could not reach the server: nothing was changed.");
    } else if (answer.status >= 200 && answer.status < 300 && answer.data) {
      applyItem(answer.data.item || answer.data);
      await loadDetails();
    } else {
      tell(`Not done: ${refusal(answer)}`);
      const field = answer.data && answer.data.error && answer.data.error.field;
      const name = field && field.split(".")[0]; // "tags.2" is the tags field
      const input = name && detailsBody.querySelector(`[name="${CSS.escape(name)}"]`);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    }
  }

  details.querySelector(".details-close").addEventListener("click", () => details.close());
  details.addEventListener("close", () => {
    const card = shownId === null ? null : cardById(shownId);
    shownId = null;
    if (card) (canMove ? card : card.querySelector(".details-button")).focus();
  });

  board.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const card = target && target.closest("li.card");
    if (card && target.closest(".details-button, .title")) openDetails(card.dataset.itemId);
  });
  board.addEventListener("keydown", (event) => {
    const target = event.target;
    if ((event.key === "d" || event.key === "D") && !event.ctrlKey && !event.metaKey && !event.altKey
        && target instanceof Element && target.matches("li.card")) {
      event.preventDefault();
      openDetails(target.dataset.itemId);
    }
  });

  // --- "+ Add card" at the top of an option stage (members) ----------------------------------

  board.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest(".add-card-button") : null;
    if (!button) return;
    const form = button.closest(".stage").querySelector("form.add-card");
    const open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", open ? "false" : "true");
    form.hidden = open;
    if (!open) form.elements.title.focus();
  });
  board.addEventListener("submit", async (event) => {
    const form = event.target instanceof Element ? event.target.closest("form.add-card") : null;
    if (!form) return;
    event.preventDefault();
    const stage = form.closest(".stage");
    const title = form.elements.title.value;
    say(stage, null);
    let answer;
    try {
      answer = await send("POST", `/boards/${boardId}/items`, { title, stage_id: Number(stage.dataset.stageId) });
    } catch (_) {
      say(stage, `Could not reach the server: ${quoted(title)} was not added.`);
      return;
    }
    if (answer.status === 201 && answer.data) {
      applyItem(answer.data.item);
      showPullNote(cardById(answer.data.item.id), answer.data);
      form.reset();
      form.elements.title.focus();
    } else {
      say(stage, `${quoted(title)} was not added: ${refusal(answer)}`);
    }
  });
})();
