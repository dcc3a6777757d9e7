"""Last Planner® rules (DESIGN §3): weeks, constraint readiness, promises, check-ins, week close
and the reason-for-variance taxonomy. Pure Python; the pull plan's schedule is in
pullplan.domain.pull_plan and the metrics in pullplan.domain.planner_metrics.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_LOOKAHEAD_WEEKS = 6
DEFAULT_LAG_WEEKS = 2  # k: TA and TMR compare week W with the lookahead snapshot of W−k
THROUGHPUT_WEEKS = 4  # "recent weekly throughput": the last closed weeks read
FIVE_WHYS_MAX = 5


class ConstraintCategory(StrEnum):
    INFORMATION = "information"
    CONTENT = "content_materials"
    PEOPLE = "people"
    TOOLS = "tools_access"
    PRIOR_WORK = "prior_work"
    CHANNEL = "channel_slot"
    CUSTOMER = "customer_external"
    APPROVAL = "approval"
    FUNDING = "funding"
    SHARED_UNDERSTANDING = "shared_understanding"


CATEGORY_LABELS = {
    ConstraintCategory.INFORMATION: "Information",
    ConstraintCategory.CONTENT: "Content / materials",
    ConstraintCategory.PEOPLE: "People",
    ConstraintCategory.TOOLS: "Tools / access",
    ConstraintCategory.PRIOR_WORK: "Prior work",
    ConstraintCategory.CHANNEL: "Channel / slot",
    ConstraintCategory.CUSTOMER: "Customer / external",
    ConstraintCategory.APPROVAL: "Approval",
    ConstraintCategory.FUNDING: "Funding",
    ConstraintCategory.SHARED_UNDERSTANDING: "Shared understanding",
}


class ConstraintStatus(StrEnum):
    OPEN = "open"
    REMOVED = "removed"  # the constraint was cleared
    WAIVED = "waived"  # the team decided to go ahead without clearing it


class CheckInStatus(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    DONE = "done"


CHECK_IN_LABELS = {
    CheckInStatus.ON_TRACK: "On track",
    CheckInStatus.AT_RISK: "At risk",
    CheckInStatus.DONE: "Done",
}


class Outcome(StrEnum):
    DONE = "done"
    NOT_DONE = "not_done"


class LearningKind(StrEnum):
    PDCA = "pdca"  # improve
    SDCA = "sdca"  # standardize
    EDCA = "edca"  # explore


class LearningStatus(StrEnum):
    PLAN = "plan"
    DO = "do"
    CHECK = "check"
    ACT = "act"
    CLOSED = "closed"


@dataclass(frozen=True)
class Reason:
    """One reason for variance of the workspace's taxonomy."""

    code: str
    label: str
    needs_five_why: bool = False


DEFAULT_REASONS: tuple[Reason, ...] = (
    Reason("over_commitment", "Over-commitment"),
    Reason("prerequisite_not_done", "Prerequisite work not done"),
    Reason("information_missing", "Information missing"),
    Reason("approval_late", "Approval late"),
    Reason("people_not_available", "People not available"),
    Reason("customer_external", "Customer / external"),
    Reason("changed_priority", "Changed priority"),
    Reason("underestimated", "Underestimated"),
    Reason("other", "Other", needs_five_why=True),
)


# --- weeks ----------------------------------------------------------------------------------


def week_of(day: dt.date) -> dt.date:
    """The Monday that starts the week of `day`: a week is named by its first day."""
    return day - dt.timedelta(days=day.weekday())


def week_end(week: dt.date) -> dt.date:
    """The last day (Sunday) of the week that starts on `week`."""
    return week + dt.timedelta(days=6)


def lookahead_weeks(today: dt.date, weeks: int) -> list[dt.date]:
    """The weeks of the lookahead window: this week and the next `weeks` − 1."""
    first = week_of(today)
    return [first + dt.timedelta(weeks=n) for n in range(weeks)]


def is_added_later(promised_on: dt.date, week: dt.date) -> bool:
    """A promise made on or after the first day of its week was added later (the plan was
    made before the week started)."""
    return promised_on >= week


# --- make ready -----------------------------------------------------------------------------


def is_ready(constraint_statuses: Iterable[str]) -> bool:
    """A task is ready (CAN be done) when it has no open constraint."""
    return all(status != ConstraintStatus.OPEN for status in constraint_statuses)


class PromiseRefusal(StrEnum):
    WEEK_CLOSED = "week_closed"
    NOT_READY = "not_ready"
    ALREADY_PROMISED = "already_promised"
    PAST_WEEK = "past_week"


@dataclass(frozen=True)
class PromiseDecision:
    allowed: bool
    refusal: PromiseRefusal | None = None
    message: str = ""
    override: bool = False  # an unready task promised with a reason
    added_later: bool = False
    warnings: tuple[str, ...] = ()


def decide_promise(
    *,
    week: dt.date,
    today: dt.date,
    ready: bool,
    open_constraints: int = 0,
    override_reason: str | None,
    week_closed: bool,
    already_promised: bool,
    promised_this_week: int,
    recent_throughput: float | None,
) -> PromiseDecision:
    """May this performer promise this task for `week`? Only a ready task, unless the promise
    says why it is made anyway; never into a closed or past week, never twice. It warns when
    the performer promises more than their recent weekly throughput."""
    if week_closed:
        return PromiseDecision(False, PromiseRefusal.WEEK_CLOSED, f"The week of {week} is closed.")
    if week_end(week) < today:
        return PromiseDecision(False, PromiseRefusal.PAST_WEEK, f"The week of {week} is over.")
    if already_promised:
        return PromiseDecision(
            False, PromiseRefusal.ALREADY_PROMISED, f"This task is already promised for the week of {week}."
        )
    override = False
    if not ready:
        if not (override_reason or "").strip():
            return PromiseDecision(
                False,
                PromiseRefusal.NOT_READY,
                f"This task is not ready: {open_constraints} open constraint"
                f"{'s' if open_constraints != 1 else ''}. Remove or waive "
                f"{'them' if open_constraints != 1 else 'it'}, or give an override reason.",
            )
        override = True
    warnings = []
    warning = overcommitment(promised_this_week + 1, recent_throughput)
    if warning:
        warnings.append(warning)
    return PromiseDecision(
        True, override=override, added_later=is_added_later(today, week), warnings=tuple(warnings)
    )


def recent_throughput(done_per_week: Sequence[int]) -> float | None:
    """A person's recent weekly throughput: the mean of what they finished in each of the last
    weeks (THROUGHPUT_WEEKS at most, oldest first); None without a week to go by."""
    weeks = list(done_per_week)[-THROUGHPUT_WEEKS:]
    if not weeks:
        return None
    return sum(weeks) / len(weeks)


def overcommitment(promised: int, throughput: float | None) -> str | None:
    """A warning when `promised` is more than the recent weekly throughput, in whole tasks
    (rounded up: one who finishes 0.8 a week on average may well finish one this week)."""
    if throughput is None or promised <= math.ceil(throughput - 1e-9):
        return None
    return (
        f"Promising {promised} this week, more than the {throughput:.1f} a week completed "
        f"recently: over-commitment is a common reason for variance."
    )


# --- week close -----------------------------------------------------------------------------


def check_outcome(
    *, done: bool, reason: str | None, five_whys: Sequence[str], taxonomy: Sequence[Reason]
) -> str | None:
    """What is wrong with one promise's outcome at week close, or None. A missed promise needs a
    reason for variance from the taxonomy; a reason that asks for it needs a 5-why (one to five
    answered whys)."""
    answered = [w for w in five_whys if w.strip()]
    if len(five_whys) > FIVE_WHYS_MAX:
        return f"a 5-why has at most {FIVE_WHYS_MAX} whys."
    if done:
        if reason:
            return "a promise kept has no reason for variance."
        return None
    if not reason:
        return "a missed promise needs a reason for variance."
    found = next((r for r in taxonomy if r.code == reason), None)
    if found is None:
        codes = ", ".join(r.code for r in taxonomy)
        return f"{reason!r} is not a reason of this workspace ({codes})."
    if found.needs_five_why and not answered:
        return f"the reason {found.label!r} needs a 5-why: say why, up to five times."
    return None


def check_taxonomy(reasons: Sequence[Reason]) -> str | None:
    """What is wrong with a reason taxonomy a manager sets, or None."""
    if not reasons:
        return "the taxonomy needs at least one reason."
    codes = [r.code for r in reasons]
    if len(set(codes)) != len(codes):
        return "each reason needs its own code."
    for r in reasons:
        if not r.code or not all(c.isalnum() or c == "_" for c in r.code) or not r.code.islower():
            return f"{r.code!r}: a code is lower-case letters, digits and underscores."
    return None


def reason_label(code: str | None, taxonomy: Sequence[Reason]) -> str:
    """The label of a reason code; the code itself when the taxonomy no longer has it."""
    if code is None:
        return ""
    return next((r.label for r in taxonomy if r.code == code), code.replace("_", " ").capitalize())
