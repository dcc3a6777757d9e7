"""Read a Trello board's JSON export (Board menu > Print, export and share > Export as JSON) as a
pull board: lists become stages, cards become items, labels become work types, classes of
service and tags, and the card actions Trello kept become each item's history. Pure: what to
write, not the writing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pullplan.domain.board import ClassOfService, StageKind

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
# List names read as done, and as options, when the import is not told.
DONE_NAMES = re.compile(r"^(done|complete|completed|finished|shipped|published|launched|won|closed)\b", re.I)
OPTION_NAMES = re.compile(r"^(backlog|ideas?|options?|inbox|to ?do|todo|later|someday|requests?)\b", re.I)
CLASS_NAMES = {re.sub(r"[\s_\-]+", " ", c.value.replace("_", " ")): c for c in ClassOfService}
CREATING_ACTIONS = {"createCard", "copyCard", "convertToCardFromCheckItem", "moveCardToBoard", "emailCard"}


class TrelloProblem(ValueError):
    """The file is not a Trello board export that can be imported; `where` names the place."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass(frozen=True)
class TrelloList:
    id: str
    name: str
    kind: StageKind
    wip_limit: int | None  # Trello's list limit, if set (kept in warn mode)


@dataclass
class TrelloCard:
    id: str
    title: str
    description: str
    list_id: str
    due_date: date | None
    class_of_service: ClassOfService
    work_type: str | None
    tags: list[str]
    owner: str | None  # a Trello username
    external_ref: str
    archived_at: datetime | None
    # (when, list id, who) from creation on, oldest first; the last list is the card's own.
    history: list[tuple[datetime, str, str | None]] = field(default_factory=list)


@dataclass
class TrelloBoard:
    name: str
    lists: list[TrelloList]
    cards: list[TrelloCard]
    members: dict[str, str]  # username -> full name

    @property
    def work_types(self) -> list[str]:
        return sorted({c.work_type for c in self.cards if c.work_type})


def read_board(
    document: object, *, option_lists: list[str] | None = None, done_lists: list[str] | None = None
) -> TrelloBoard:
    if not isinstance(document, dict) or not isinstance(document.get("lists"), list):
        raise TrelloProblem("lists", "this is not a Trello board export (it has no lists).")
    if not isinstance(document.get("cards"), list):
        raise TrelloProblem("cards", "this is not a Trello board export (it has no cards).")
    name = _text(document, "name", "board") or "Trello board"
    used = {c.get("idList") for c in document["cards"] if isinstance(c, dict)}
    lists = _lists(document["lists"], option_lists, done_lists, used)
    by_id = {trello_list.id: trello_list for trello_list in lists}
    members = {}
    for n, member in enumerate(document.get("members") or []):
        if isinstance(member, dict) and isinstance(member.get("id"), str):
            members[member["id"]] = (_text(member, "username", f"members[{n}]"), member.get("fullName") or "")
    moves = _card_moves(document.get("actions") or [])
    cards = [_card(n, c, by_id, members, moves.get(c.get("id"), [])) for n, c in enumerate(document["cards"])]
    return TrelloBoard(name=name[:120], lists=lists, cards=cards, members=dict(members.values()))


def _lists(raw: list, option_lists, done_lists, used: set) -> list[TrelloList]:
    """Every list but the archived ones that hold no card, in Trello's order."""
    rows = []
    for n, item in enumerate(raw):
        where = f"lists[{n}]"
        if not isinstance(item, dict):
            raise TrelloProblem(where, "is not a list object.")
        if item.get("closed") is True and item.get("id") not in used:
            continue
        rows.append(
            (_number(item.get("pos", n), f"{where}.pos"), _id(item, where), _text(item, "name", where), item)
        )
    rows.sort(key=lambda r: r[0])
    if not rows:
        raise TrelloProblem("lists", "the board has no lists.")
    names = [r[2] for r in rows]
    for given, what in ((option_lists, "option"), (done_lists, "done")):
        missing = [g for g in given or [] if g.lower() not in {n.lower() for n in names}]
        if missing:
            raise TrelloProblem(
                f"{what}_lists", f"the board has no list {missing[0]!r} (it has: {', '.join(names)})."
            )
    chosen_option = {g.lower() for g in option_lists or []}
    chosen_done = {g.lower() for g in done_lists or []}
    kinds = []
    for position, (_, _, list_name, _) in enumerate(rows):
        if chosen_done or chosen_option:
            kind = (
                StageKind.DONE if list_name.lower() in chosen_done
                else StageKind.OPTION if list_name.lower() in chosen_option
                else StageKind.COMMITTED
            )  # fmt: skip
        elif DONE_NAMES.match(list_name):
            kind = StageKind.DONE
        elif position == 0 or OPTION_NAMES.match(list_name):
            kind = StageKind.OPTION
        else:
            kind = StageKind.COMMITTED
        kinds.append(kind)
    if not chosen_done and StageKind.DONE not in kinds:
        kinds[-1] = StageKind.DONE  # the last list, where finished cards end
    if StageKind.COMMITTED not in kinds:
        raise TrelloProblem(
            "lists",
            f"no list is left for work in progress ({', '.join(names)}): name the option and done lists.",
        )
    _ordered(names, kinds)
    result = []
    for (_, list_id, list_name, item), kind in zip(rows, kinds, strict=True):
        limit = item.get("softLimit")
        limit = (
            int(limit) if isinstance(limit, int | str) and str(limit).isdigit() and int(limit) > 0 else None
        )
        result.append(
            TrelloList(list_id, list_name[:80], kind, limit if kind == StageKind.COMMITTED else None)
        )
    return result


def _ordered(names: list[str], kinds: list[StageKind]) -> None:
    """Options, then work in progress, then done: the commitment point is one line."""
    order = {StageKind.OPTION: 0, StageKind.COMMITTED: 1, StageKind.DONE: 2}
    for a, b, name_a, name_b in zip(kinds, kinds[1:], names, names[1:], strict=False):
        if order[a] > order[b]:
            raise TrelloProblem(
                "lists",
                f"the list {name_b!r} ({b.value}) comes after {name_a!r} ({a.value}): reorder the lists in "
                "Trello, or name the option and done lists.",
            )


@dataclass(frozen=True)
class _Move:
    at: datetime
    to_list: str
    who: str | None
    created: bool  # the card's creation (else a move between lists)
    from_list: str | None = None


def _card_moves(actions: list) -> dict[str, list[_Move]]:
    """Per card, its creation and moves between lists that Trello kept (the file holds the
    newest actions, newest first; here oldest first)."""
    moves: dict[str, list[_Move]] = {}
    for n, action in enumerate(actions):
        if not isinstance(action, dict) or not isinstance(action.get("data"), dict):
            continue
        data, kind = action["data"], action.get("type")
        card = data.get("card") if isinstance(data.get("card"), dict) else {}
        if not isinstance(card.get("id"), str):
            continue
        creator = action.get("memberCreator")
        who = creator.get("username") if isinstance(creator, dict) else None
        if kind == "updateCard" and isinstance(data.get("listAfter"), dict):
            before = data.get("listBefore") if isinstance(data.get("listBefore"), dict) else {}
            at = _time(action.get("date"), f"actions[{n}].date")
            move = _Move(at, data["listAfter"].get("id"), who, False, before.get("id"))
        elif kind in CREATING_ACTIONS and isinstance(data.get("list"), dict):
            move = _Move(_time(action.get("date"), f"actions[{n}].date"), data["list"].get("id"), who, True)
        else:
            continue
        if isinstance(move.to_list, str):
            moves.setdefault(card["id"], []).append(move)
    for history in moves.values():
        history.sort(key=lambda m: m.at)
    return moves


def _card(n: int, raw: object, lists: dict[str, TrelloList], members: dict, moves: list) -> TrelloCard:
    where = f"cards[{n}]"
    if not isinstance(raw, dict):
        raise TrelloProblem(where, "is not a card object.")
    card_id = _id(raw, where)
    list_id = raw.get("idList")
    if list_id not in lists:
        raise TrelloProblem(
            f"{where}.idList", f"the card {raw.get('name')!r} is in a list the file does not have."
        )
    title = _text(raw, "name", where).strip() or "(untitled card)"
    labels = [
        label["name"].strip()
        for label in raw.get("labels") or []
        if isinstance(label, dict) and isinstance(label.get("name"), str) and label["name"].strip()
    ]
    classes = [
        CLASS_NAMES[k] for k in (re.sub(r"[\s_\-]+", " ", lb.lower()) for lb in labels) if k in CLASS_NAMES
    ]
    others = [lb for lb in labels if re.sub(r"[\s_\-]+", " ", lb.lower()) not in CLASS_NAMES]
    due = _time(raw["due"], f"{where}.due").date() if raw.get("due") else None
    cos = classes[0] if classes else ClassOfService.STANDARD
    if cos == ClassOfService.FIXED_DATE and due is None:
        cos = ClassOfService.STANDARD  # a fixed date needs its date
    owner_ids = [m for m in raw.get("idMembers") or [] if m in members]
    last_activity = (
        _time(raw["dateLastActivity"], f"{where}.dateLastActivity") if raw.get("dateLastActivity") else None
    )
    history = _history(card_id, list_id, moves, lists)
    if history[-1][1] != list_id:  # Trello kept only its newest actions: end where the card is
        history.append((max(history[-1][0], last_activity or history[-1][0]), list_id, None))
    archived = raw.get("closed") is True
    return TrelloCard(
        id=card_id,
        title=title[:TITLE_MAX],
        description=(raw.get("desc") if isinstance(raw.get("desc"), str) else "")[:DESCRIPTION_MAX],
        list_id=list_id,
        due_date=due,
        class_of_service=cos,
        work_type=others[0][:60] if others else None,
        tags=list(dict.fromkeys(lb[:40] for lb in labels))[:20],
        owner=members[owner_ids[0]][0] if owner_ids else None,
        external_ref=str(raw.get("shortUrl") or raw.get("url") or f"trello:{card_id}")[:120],
        archived_at=max(last_activity or history[-1][0], history[-1][0]) if archived else None,
        history=history,
    )


def _history(
    card_id: str, list_id: str, moves: list[_Move], lists: dict
) -> list[tuple[datetime, str, str | None]]:
    """(when, list, who) from the card's creation on. Without its creating action (older than
    what Trello kept), the card was made when its id says (a Trello id starts with the Unix
    time it was made, in hexadecimal) in the list its first known move left."""
    moves = [m for m in moves if m.to_list in lists]
    created = next((m for m in moves if m.created), None)
    if created is not None:
        start = (created.at, created.to_list, created.who)
    else:
        try:
            at = datetime.fromtimestamp(int(card_id[:8], 16), UTC)
        except ValueError:
            at = moves[0].at if moves else datetime(2000, 1, 1, tzinfo=UTC)
        first = moves[0] if moves else None
        if first is not None:
            at = min(at, first.at)
        place = first.from_list if first is not None and first.from_list in lists else list_id
        start = (at, place, None)
    return [start, *((m.at, m.to_list, m.who) for m in moves if not m.created and m.at >= start[0])]


def _id(raw: dict, where: str) -> str:
    value = raw.get("id")
    if not isinstance(value, str) or not value:
        raise TrelloProblem(f"{where}.id", "is missing.")
    return value


def _text(raw: dict, key: str, where: str) -> str:
    value = raw.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TrelloProblem(f"{where}.{key}", "is not text.")
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TrelloProblem(where, "is not a number.")
    return float(value)


def _time(value: object, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise TrelloProblem(where, f"{value!r} is not a time.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
