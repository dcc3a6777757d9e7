"""The transition log as numpy arrays: the one input of every flow metric (DESIGN §2).

A :class:`FlowLog` holds one board's log, one entry per transition, sorted by item and
time: the item, the instant (UTC seconds), the calendar day it fell on (in the workspace's
time zone), the kind of transition and the stage it moved to. It is built either from the
rows a repository reads (:meth:`FlowLog.from_rows`, any objects or tuples with the
``TransitionRow`` fields) or, for speed, from columns (:meth:`FlowLog.from_arrays`).

What the log says about each item is derived once, vectorized, and cached
(:attr:`FlowLog.facts`), with the same rules as :mod:`pullplan.domain.history`:

* arrival: the item's first ``created``/``moved`` entry;
* commit: the first entry into a ``committed`` or ``done`` stage (crossing the
  commitment point);
* done: the start of the final run of ``done`` stages, when the item is in one now
  (an item reopened and finished again is done on its last finish);
* departure: done, or the start of the final run of ``discarded`` stages.

Only ``created`` and ``moved`` entries place an item in a stage; ``blocked`` and
``unblocked`` measure blocked time; ``override`` entries, and moves allowed with a
warning, are kept apart as WIP-limit breaches (:class:`Breach`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from pullplan.domain.board import StageKind
from pullplan.domain.items import TransitionKind
from pullplan.domain.pull_policy import Finding, Severity

KIND_CODE: dict[str, int] = {k.value: i for i, k in enumerate(TransitionKind)}
CREATED, MOVED, BLOCKED, UNBLOCKED, OVERRIDE = (
    KIND_CODE[k] for k in ("created", "moved", "blocked", "unblocked", "override")
)

STAGE_KIND_CODE: dict[str, int] = {k.value: i for i, k in enumerate(StageKind)}
OPTION, COMMITTED, DONE, DISCARDED = (
    STAGE_KIND_CODE[k] for k in ("option", "committed", "done", "discarded")
)

NEVER = np.int64(2**50)
"""Day and second value of something that has not happened (yet)."""

SECONDS_PER_DAY = 86_400

# Finding codes that say a WIP limit (stage, lane, person, allocation, expedite) was exceeded.
LIMIT_CODES = frozenset(
    {"stage_wip", "stage_wip_expedite", "lane_wip", "person_wip", "capacity_allocation", "expedite_limit"}
)

_EPOCH = dt.date(1970, 1, 1)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)


@dataclass(frozen=True)
class Breach:
    """A pull that went past a WIP limit: with a recorded reason (``overridden``, a
    reason-mode limit) or with a warning (a warn-mode limit, or an expedite item)."""

    item_id: int
    at: dt.datetime  # UTC
    day: int  # calendar day number (days since 1970-01-01, workspace time zone)
    from_stage_id: int | None
    to_stage_id: int | None
    overridden: bool
    reason: str | None
    findings: tuple[Finding, ...]

    @property
    def date(self) -> dt.date:
        return _EPOCH + dt.timedelta(days=self.day)


@dataclass(frozen=True)
class ItemFacts:
    """Per item (aligned with ``FlowLog.item_ids``): what the log says, as day numbers and
    UTC seconds; :data:`NEVER` where it has not happened."""

    arrived_day: np.ndarray
    commit_day: np.ndarray
    commit_t: np.ndarray
    done_day: np.ndarray
    done_t: np.ndarray
    departed_day: np.ndarray  # done or discarded
    stage: np.ndarray  # index into FlowLog.stage_ids of the current stage, -1 if none

    @property
    def committed(self) -> np.ndarray:
        return self.commit_day != NEVER

    @property
    def done(self) -> np.ndarray:
        return self.done_day != NEVER


@dataclass(frozen=True, eq=False)
class FlowLog:
    """One board's transition log, as sorted numpy columns. Build it with
    :meth:`from_rows` or :meth:`from_arrays`; the constructor expects checked columns."""

    item_ids: np.ndarray  # int64, ascending, unique
    item: np.ndarray  # int64 per entry: index into item_ids
    at: np.ndarray  # int64 per entry: UTC seconds since 1970-01-01
    day: np.ndarray  # int64 per entry: calendar day number in the workspace time zone
    kind: np.ndarray  # int8 per entry: KIND_CODE
    stage: np.ndarray  # int64 per entry: index into stage_ids of the stage entered, -1 if none
    stage_ids: np.ndarray  # int64, in board order (position, id)
    stage_kinds: np.ndarray  # int8, STAGE_KIND_CODE, aligned with stage_ids
    breaches: tuple[Breach, ...] = ()
    attributes: Mapping[str, tuple[np.ndarray, tuple]] = field(default_factory=dict)

    # ----------------------------------------------------------------------- builders

    @classmethod
    def from_arrays(
        cls,
        *,
        item_ids: Sequence[int] | np.ndarray,
        at: Sequence | np.ndarray,
        kinds: Sequence | np.ndarray,
        to_stage_ids: Sequence | np.ndarray,
        stages: Iterable,
        days: Sequence[int] | np.ndarray | None = None,
        tz: dt.tzinfo | None = None,
        breaches: Iterable[Breach] = (),
    ) -> FlowLog:
        """Build a log from columns, one value per transition, in any order.

        `at` is UTC, as ``datetime64`` or integer seconds since 1970-01-01. `kinds` are
        ``TransitionKind`` values (strings) or their codes (:data:`KIND_CODE`).
        `to_stage_ids` may hold -1 (or None) where a transition enters no stage. `stages`
        are the board's stages: objects with ``id``, ``kind`` and ``position`` (a
        ``StageRow`` or a domain ``Stage``) or ``(id, kind, position)`` tuples. The
        calendar day of each transition is `days` (day numbers) when given, else the date
        of `at` in `tz` (default UTC). Entries of one item at the same instant keep their
        given order, so give rows in the order they were written (by id).
        """
        stage_ids, stage_kinds = _board_stages(stages)
        raw_items = np.asarray(item_ids, dtype=np.int64)
        n = raw_items.size
        at_s = _as_seconds(at, n)
        kind = _as_kind_codes(kinds, n)
        stage = _as_stage_index(to_stage_ids, stage_ids, kind, n)
        if days is None:
            day = _local_days(at_s, tz)
        else:
            day = np.asarray(days, dtype=np.int64)
            _same_length("days", day, n)
        if n > 1 and not _is_sorted(raw_items, at_s):
            order = _item_time_order(raw_items, at_s)
            raw_items, at_s, day, kind, stage = (
                raw_items[order],
                at_s[order],
                day[order],
                kind[order],
                stage[order],
            )
        new_item = np.r_[True, raw_items[1:] != raw_items[:-1]] if n else np.zeros(0, dtype=bool)
        ids = raw_items[new_item]
        item = np.cumsum(new_item, dtype=np.int64) - 1
        return cls(
            item_ids=ids,
            item=item,
            at=at_s,
            day=day,
            kind=kind,
            stage=stage,
            stage_ids=stage_ids,
            stage_kinds=stage_kinds,
            breaches=tuple(sorted(breaches, key=lambda b: (b.at, b.item_id))),
        )

    @classmethod
    def from_rows(
        cls,
        rows: Iterable,
        stages: Iterable,
        *,
        items: Iterable | None = None,
        tz: dt.tzinfo | None = None,
    ) -> FlowLog:
        """Build a log from transition rows: objects with the ``TransitionRow`` fields
        (``item_id``, ``at``, ``kind``, ``from_stage_id``, ``to_stage_id``, ``reason``,
        ``details``) or tuples ``(item_id, at, kind, to_stage_id[, from_stage_id, reason,
        details])``. A naive ``at`` is taken as UTC.

        `items`, when given, are the items' attributes for filtering: objects with ``id``,
        ``work_type_id``, ``class_of_service`` and ``lane_id`` (an ``ItemRow`` or a domain
        ``WorkItem``) or ``(id, work_type, class_of_service, lane)`` tuples.
        """
        item_ids: list[int] = []
        seconds: list[float] = []
        kinds: list[int] = []
        to_ids: list[int] = []
        breach_rows = []
        code = KIND_CODE
        # The loop runs once per row of a board's history: keep it lean.
        add_item, add_second, add_kind, add_to = item_ids.append, seconds.append, kinds.append, to_ids.append
        datetime, epoch = dt.datetime, _EPOCH_NAIVE
        for row in rows:
            if type(row) is tuple:
                item_id, at, kind, to_id = row[0], row[1], row[2], row[3]
                details = row[6] if len(row) > 6 else None
            else:
                item_id, at, kind, to_id = row.item_id, row.at, row.kind, row.to_stage_id
                details = getattr(row, "details", None)
            if type(at) is datetime:
                t = (at - epoch).total_seconds() if at.tzinfo is None else at.timestamp()
            else:
                t = _utc_seconds(at)
            add_item(item_id)
            add_second(t)
            try:
                add_kind(code[kind])  # a TransitionKind is a str
            except KeyError:
                raise ValueError(f"kind: {str(kind)!r} is not a kind of transition.") from None
            add_to(-1 if to_id is None else to_id)
            if details:
                if type(row) is tuple:
                    from_id, reason = (tuple(row[4:6]) + (None, None))[:2]
                else:
                    from_id, reason = getattr(row, "from_stage_id", None), getattr(row, "reason", None)
                breach_rows.append((item_id, t, str(kind), from_id, to_id, reason, details))
        at_s = np.asarray(seconds, dtype=np.float64).astype(np.int64) if seconds else np.zeros(0, np.int64)
        breach_days = _local_days(np.asarray([b[1] for b in breach_rows], dtype=np.int64), tz)
        breaches = [
            b
            for b in (_breach(*row, day=int(d)) for row, d in zip(breach_rows, breach_days, strict=True))
            if b is not None
        ]
        log = cls.from_arrays(
            item_ids=np.asarray(item_ids, dtype=np.int64),
            at=at_s,
            kinds=np.asarray(kinds, dtype=np.int8),
            to_stage_ids=np.asarray(to_ids, dtype=np.int64),
            stages=stages,
            tz=tz,
            breaches=breaches,
        )
        if items is not None:
            ids, work_type, cos, lane = [], [], [], []
            for it in items:
                if isinstance(it, tuple):
                    i, w, c, ln = it
                else:
                    i, w, c, ln = it.id, it.work_type_id, it.class_of_service, it.lane_id
                ids.append(i)
                work_type.append(w)
                cos.append(str(c.value) if hasattr(c, "value") else c)
                lane.append(ln)
            log = log.with_attributes(ids, work_type=work_type, class_of_service=cos, lane=lane)
        return log

    def with_attributes(self, item_ids: Sequence[int] | np.ndarray, **columns: Sequence) -> FlowLog:
        """A copy of the log that knows per-item attributes for :meth:`select`
        (e.g. ``work_type=…, class_of_service=…, lane=…``), given for `item_ids`.
        Items of the log not listed get None."""
        ids = np.asarray(item_ids, dtype=np.int64)
        pos = np.searchsorted(self.item_ids, ids)
        pos = np.minimum(pos, max(self.item_ids.size - 1, 0))
        found = (self.item_ids.size > 0) & (self.item_ids[pos] == ids) if ids.size else np.zeros(0, bool)
        attributes = dict(self.attributes)
        for name, values in columns.items():
            vals = np.asarray(values, dtype=object)
            _same_length(name, vals, ids.size)
            column = np.full(self.item_ids.size, None, dtype=object)
            column[pos[found]] = vals[found]
            attributes[name] = _encode(column)
        copy = replace(self, attributes=attributes)
        # What was derived from the log holds for the copy too.
        for key in _DERIVED:
            if key in self.__dict__:
                copy.__dict__[key] = self.__dict__[key]
        return copy

    # ----------------------------------------------------------------------- filters

    def select(self, **filters) -> np.ndarray:
        """A boolean mask over ``item_ids``: items whose attributes match every filter.

        Each filter is an attribute name given to :meth:`with_attributes` (``work_type``,
        ``class_of_service``, ``lane``…) and a value or a collection of allowed values;
        None as a filter's value means "any".
        """
        mask = np.ones(self.item_ids.size, dtype=bool)
        for name, wanted in filters.items():
            if wanted is None:
                continue
            if name not in self.attributes:
                raise ValueError(f"{name}: the log has no such item attribute.")
            codes, levels = self.attributes[name]
            allowed = set(wanted) if isinstance(wanted, set | frozenset | list | tuple) else {wanted}
            allowed = {a.value if hasattr(a, "value") else a for a in allowed}
            idx = [i for i, level in enumerate(levels) if level in allowed]
            mask &= np.isin(codes, idx)
        return mask

    def item_mask(self, items: np.ndarray | Sequence | None) -> np.ndarray:
        """`items` as a boolean mask over ``item_ids``: a mask, or item ids, or None (all)."""
        if items is None:
            return np.ones(self.item_ids.size, dtype=bool)
        a = np.asarray(items)
        if a.dtype == bool:
            if a.shape != self.item_ids.shape:
                raise ValueError(f"items: a mask of {a.size} values for a log of {self.item_ids.size} items.")
            return a
        return np.isin(self.item_ids, a)

    # ----------------------------------------------------------------------- derived

    @property
    def n_items(self) -> int:
        return int(self.item_ids.size)

    @property
    def first_day(self) -> int | None:
        return int(self.day.min()) if self.day.size else None

    @property
    def last_day(self) -> int | None:
        return int(self.day.max()) if self.day.size else None

    @cached_property
    def moves(self) -> np.ndarray:
        """Indices of the entries that place an item in a stage (created and moved)."""
        return np.flatnonzero(((self.kind == CREATED) | (self.kind == MOVED)) & (self.stage >= 0))

    @cached_property
    def cfd_rank(self) -> np.ndarray:
        """Per stage, its order in the cumulative flow: the board order, with discarded
        stages after all others (an item discarded leaves the flow at the end)."""
        discarded = self.stage_kinds == DISCARDED
        order = np.r_[np.flatnonzero(~discarded), np.flatnonzero(discarded)]
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size)
        return rank

    @cached_property
    def facts(self) -> ItemFacts:
        n = self.n_items
        m = self.moves
        it, day, t = self.item[m], self.day[m], self.at[m]
        kind = self.stage_kinds[self.stage[m]]
        arrived = np.full(n, NEVER)
        commit_day, commit_t = np.full(n, NEVER), np.full(n, NEVER)
        done_day, done_t = np.full(n, NEVER), np.full(n, NEVER)
        departed = np.full(n, NEVER)
        stage = np.full(n, -1, dtype=np.int64)
        if m.size:
            first = np.r_[True, it[1:] != it[:-1]]
            starts = np.flatnonzero(first)
            lasts = np.r_[starts[1:] - 1, it.size - 1]
            owner = it[starts]
            arrived[owner] = day[starts]
            stage[owner] = self.stage[m][lasts]

            crossed = (kind == COMMITTED) | (kind == DONE)
            ci = np.flatnonzero(crossed)
            if ci.size:
                cfirst = ci[np.r_[True, it[ci][1:] != it[ci][:-1]]]
                commit_day[it[cfirst]] = day[cfirst]
                commit_t[it[cfirst]] = t[cfirst]

            for code, into_day, into_t in ((DONE, done_day, done_t), (DISCARDED, departed, None)):
                run_start = _final_run_start(kind == code, starts, lasts)
                has = run_start >= 0
                into_day[owner[has]] = day[run_start[has]]
                if into_t is not None:
                    into_t[owner[has]] = t[run_start[has]]
            departed = np.minimum(departed, done_day)
        return ItemFacts(arrived, commit_day, commit_t, done_day, done_t, departed, stage)

    def stage_on(self, day: int) -> np.ndarray:
        """Per item, the index of its stage at the end of `day` (-1 before it arrived)."""
        m = self.moves
        if self.last_day is not None and day >= self.last_day:
            return self.facts.stage
        sub = m[self.day[m] <= day]
        out = np.full(self.n_items, -1, dtype=np.int64)
        if sub.size:
            it = self.item[sub]
            last = np.r_[it[1:] != it[:-1], True]
            out[it[last]] = self.stage[sub[last]]
        return out

    @cached_property
    def records(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The moves that took an item further than ever before in the cumulative-flow
        order: (item, day, lowest rank newly reached, highest rank newly reached)."""
        m = self.moves
        if not m.size:
            z = np.zeros(0, dtype=np.int64)
            return z, z, z, z
        it = self.item[m]
        rank = self.cfd_rank[self.stage[m]]
        width = np.int64(self.stage_ids.size + 1)
        # A running maximum per item: items are sorted, so offsetting each item's ranks by
        # item * width keeps one item's maximum from leaking into the next.
        runmax = np.maximum.accumulate(it * width + rank) - it * width
        first = np.r_[True, it[1:] != it[:-1]]
        prev = np.r_[np.int64(-1), runmax[:-1]]
        prev[first] = -1
        rec = runmax > prev
        return it[rec], self.day[m][rec], prev[rec] + 1, runmax[rec]

    def first_reach(self, rank: int) -> np.ndarray:
        """Per item, the day it first reached the cumulative-flow rank `rank` or a later one."""
        it, day, lo, hi = self.records
        out = np.full(self.n_items, NEVER)
        sel = (lo <= rank) & (hi >= rank)
        out[it[sel]] = day[sel]
        return out

    @cached_property
    def blocked_intervals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each time an item was blocked: (item, start second, end second or NEVER).
        A second ``blocked`` while blocked, or an ``unblocked`` while not, changes nothing."""
        b = np.flatnonzero((self.kind == BLOCKED) | (self.kind == UNBLOCKED))
        if not b.size:
            z = np.zeros(0, dtype=np.int64)
            return z, z, z
        it, t = self.item[b], self.at[b]
        state = self.kind[b] == BLOCKED
        first = np.r_[True, it[1:] != it[:-1]]
        prev = np.r_[False, state[:-1]]
        prev[first] = False
        keep = state != prev
        it, t, state = it[keep], t[keep], state[keep]
        starts = np.flatnonzero(state)
        nxt = starts + 1
        closed = nxt < it.size
        closed[closed] = it[nxt[closed]] == it[starts[closed]]
        end = np.full(starts.size, NEVER)
        end[closed] = t[nxt[closed]]
        return it[starts], t[starts], end


_DERIVED = ("moves", "cfd_rank", "facts", "records", "blocked_intervals")

# --------------------------------------------------------------------------- helpers


def to_day(value) -> int | None:
    """A calendar day number (days since 1970-01-01) from a date, a datetime (its date),
    a ``datetime64`` or an int; None stays None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return (value.date() - _EPOCH).days
    if isinstance(value, dt.date):
        return (value - _EPOCH).days
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[D]").astype(np.int64))
    if isinstance(value, int | np.integer):
        return int(value)
    raise ValueError(f"day: {value!r} is not a date.")


def day_dates(days: np.ndarray) -> np.ndarray:
    """Day numbers as ``datetime64[D]`` dates."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]")


def _final_run_start(flag: np.ndarray, starts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
    """Per item (given its first and last entry), where the run of `flag` entries that ends
    its log begins; -1 when its last entry is not flagged."""
    idx = np.arange(flag.size, dtype=np.int64)
    last_unflagged = np.maximum.reduceat(np.where(flag, -1, idx), starts)
    run = np.maximum(last_unflagged + 1, starts)
    return np.where(flag[lasts], run, -1)


def _item_time_order(item: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The stable order by item, then time (same-instant entries keep their order)."""
    at0 = at - at.min()
    item0 = item - item.min()
    span = int(at0.max()) + 1
    if (int(item0.max()) + 1) * span < 2**62:
        # One int64 key sorts about four times faster than lexsort on two.
        return np.argsort(item0 * span + at0, kind="stable")
    return np.lexsort((at, item))


def _is_sorted(item: np.ndarray, at: np.ndarray) -> bool:
    di = np.diff(item)
    if (di < 0).any():
        return False
    return bool(((di > 0) | (np.diff(at) >= 0)).all())


def _board_stages(stages: Iterable) -> tuple[np.ndarray, np.ndarray]:
    rows = []
    for s in stages:
        sid, kind, position = s if isinstance(s, tuple) else (s.id, s.kind, s.position)
        kind = str(kind.value if isinstance(kind, StageKind) else kind)
        if kind not in STAGE_KIND_CODE:
            raise ValueError(f"stages: stage {sid} has the unknown kind {kind!r}.")
        rows.append((position, sid, STAGE_KIND_CODE[kind]))
    rows.sort()
    ids = np.asarray([r[1] for r in rows], dtype=np.int64)
    if np.unique(ids).size != ids.size:
        raise ValueError("stages: a stage id is listed twice.")
    return ids, np.asarray([r[2] for r in rows], dtype=np.int8)


def _same_length(name: str, a: np.ndarray, n: int) -> None:
    if a.shape != (n,):
        raise ValueError(f"{name}: {a.size} values for {n} transitions.")


def _as_seconds(at, n: int) -> np.ndarray:
    a = np.asarray(at)
    if a.dtype.kind == "M":
        a = a.astype("datetime64[s]").astype(np.int64)
    elif a.dtype.kind in "iuf":
        a = a.astype(np.int64)
    else:
        raise ValueError("at: expected datetime64 values or seconds since 1970-01-01 (UTC).")
    _same_length("at", a, n)
    return a


def _as_kind_codes(kinds, n: int) -> np.ndarray:
    a = np.asarray(kinds)
    if a.dtype.kind in "iu":
        out = a.astype(np.int8)
        bad = (out < 0) | (out >= len(KIND_CODE))
    else:
        levels, inverse = np.unique(a.astype(str), return_inverse=True)
        unknown = [str(k) for k in levels if k not in KIND_CODE]
        if unknown:
            raise ValueError(f"kind: {unknown[0]!r} is not a kind of transition.")
        out = np.asarray([KIND_CODE[k] for k in levels], dtype=np.int8)[inverse]
        bad = np.zeros(out.size, dtype=bool)
    _same_length("kind", out, n)
    if bad.any():
        raise ValueError(f"kind: code {int(a[bad][0])} is not a kind of transition.")
    return out


def _as_stage_index(to_stage_ids, stage_ids: np.ndarray, kind: np.ndarray, n: int) -> np.ndarray:
    a = np.asarray(to_stage_ids)
    if a.dtype == object:
        a = np.asarray([-1 if x is None else x for x in a], dtype=np.int64)
    a = a.astype(np.int64, copy=False)
    _same_length("to_stage_id", a, n)
    if not stage_ids.size:
        idx = np.full(n, -1, dtype=np.int64)
        found = np.zeros(n, dtype=bool)
    else:
        order = np.argsort(stage_ids)
        pos = np.minimum(np.searchsorted(stage_ids[order], a), stage_ids.size - 1)
        found = stage_ids[order][pos] == a
        idx = np.where(found, order[pos], -1)
    placing = (kind == CREATED) | (kind == MOVED)
    missing = placing & ~found
    if missing.any():
        raise ValueError(
            f"to_stage_id: stage {int(a[missing][0])} of a {('created', 'moved')[kind[missing][0]]} "
            "transition is not a stage of the board."
        )
    return idx


def _utc_seconds(at) -> float:
    if isinstance(at, dt.datetime):
        if at.tzinfo is None:
            return (at - _EPOCH_NAIVE).total_seconds()
        return at.timestamp()
    if isinstance(at, np.datetime64):
        return float(at.astype("datetime64[s]").astype(np.int64))
    return float(at)


def _local_days(at_s: np.ndarray, tz: dt.tzinfo | None) -> np.ndarray:
    """Calendar day numbers of UTC seconds in `tz`. Offsets are looked up once per distinct
    quarter-hour, which is where every time zone's offset changes."""
    at_s = np.asarray(at_s, dtype=np.int64)
    if tz is None or tz is dt.UTC or not at_s.size:
        return at_s // SECONDS_PER_DAY
    quarter, inverse = np.unique(at_s // 900, return_inverse=True)
    offsets = np.asarray(
        [dt.datetime.fromtimestamp(int(q) * 900, tz).utcoffset().total_seconds() for q in quarter],
        dtype=np.int64,
    )
    return (at_s + offsets[inverse]) // SECONDS_PER_DAY


def _encode(column: np.ndarray) -> tuple[np.ndarray, tuple]:
    levels: dict = {}
    codes = np.fromiter(
        (levels.setdefault(v, len(levels)) for v in column), dtype=np.int32, count=column.size
    )
    return codes, tuple(levels)


def _breach(item_id, t, kind, from_id, to_id, reason, details, *, day) -> Breach | None:
    """A breach from a row's details, or None. An override row stands for its move (which
    carries the same details), so a move is a breach only when allowed with a warning."""
    if not isinstance(details, Mapping):
        return None
    if kind == TransitionKind.OVERRIDE.value:
        overridden = True
    elif kind in ("created", "moved", "edited") and details.get("outcome") == "warn":
        if details.get("override"):
            return None
        overridden = False
    else:
        return None
    findings = tuple(
        Finding(str(f.get("code", "")), str(f.get("message", "")), Severity(f.get("severity", "warn")))
        for f in details.get("findings", ())
        if isinstance(f, Mapping)
    )
    if not any(f.code in LIMIT_CODES for f in findings):
        return None
    return Breach(
        item_id=int(item_id),
        at=dt.datetime.fromtimestamp(t, dt.UTC),
        day=day,
        from_stage_id=from_id,
        to_stage_id=to_id,
        overridden=overridden,
        reason=reason,
        findings=findings,
    )
