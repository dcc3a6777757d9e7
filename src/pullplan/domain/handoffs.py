"""The promise cycle of a handoff between people or teams, as a pure state machine.

A requester asks a performer (a person, or any member of the performing team) for something,
with conditions of satisfaction and a date. The performer promises it, offers other terms
(a counter-offer the requester accepts or declines), or declines; a promise is performed and
declared complete; the requester accepts the result or rejects it, which sends it back to
performing with a reason. `decide_step` says whether a step may be taken, by whom, and why
not in words; `apply_step` returns the handoff as the step leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum


class HandoffStatus(StrEnum):
    REQUESTED = "requested"  # waiting for the performer's answer
    COUNTERED = "countered"  # the performer offered other terms; the requester answers
    PROMISED = "promised"
    PERFORMING = "performing"
    DECLARED_COMPLETE = "declared_complete"  # waiting for the requester to accept or reject
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class Step(StrEnum):
    REQUEST = "request"
    PROMISE = "promise"
    COUNTER = "counter"
    ACCEPT_COUNTER = "accept_counter"
    DECLINE_COUNTER = "decline_counter"
    DECLINE = "decline"
    PERFORM = "perform"
    DECLARE_COMPLETE = "declare_complete"
    ACCEPT = "accept"
    REJECT = "reject"
    CANCEL = "cancel"


class Party(StrEnum):
    REQUESTER = "requester"
    PERFORMER = "performer"


S = HandoffStatus

# A handoff in one of these is over: nothing more happens to it.
CLOSED = frozenset({S.ACCEPTED, S.DECLINED, S.CANCELLED})
# While a handoff is in one of these, its requesting item is waiting for it.
WAITING = frozenset(set(S) - CLOSED)

STATUS_LABELS = {
    S.REQUESTED: "requested",
    S.COUNTERED: "counter-offered",
    S.PROMISED: "promised",
    S.PERFORMING: "performing",
    S.DECLARED_COMPLETE: "declared complete",
    S.ACCEPTED: "accepted",
    S.DECLINED: "declined",
    S.CANCELLED: "cancelled",
}
STEP_LABELS = {
    Step.REQUEST: "request",
    Step.PROMISE: "promise",
    Step.COUNTER: "make a counter-offer",
    Step.ACCEPT_COUNTER: "accept the counter-offer",
    Step.DECLINE_COUNTER: "decline the counter-offer",
    Step.DECLINE: "decline",
    Step.PERFORM: "start performing",
    Step.DECLARE_COMPLETE: "declare complete",
    Step.ACCEPT: "accept",
    Step.REJECT: "reject",
    Step.CANCEL: "cancel",
}
# The same steps as sentences say them, `{it}` being the handoff.
ACTIONS = {
    Step.REQUEST: "request {it}",
    Step.PROMISE: "promise {it}",
    Step.COUNTER: "make a counter-offer on {it}",
    Step.ACCEPT_COUNTER: "accept the counter-offer on {it}",
    Step.DECLINE_COUNTER: "decline the counter-offer on {it}",
    Step.DECLINE: "decline {it}",
    Step.PERFORM: "start performing {it}",
    Step.DECLARE_COMPLETE: "declare {it} complete",
    Step.ACCEPT: "accept {it}",
    Step.REJECT: "reject {it}",
    Step.CANCEL: "cancel {it}",
}


@dataclass(frozen=True)
class Rule:
    """Which party takes a step, from which statuses, to which status."""

    party: Party
    from_statuses: frozenset[HandoffStatus]
    to_status: HandoffStatus
    needs_note: bool = False


RULES: dict[Step, Rule] = {
    Step.PROMISE: Rule(Party.PERFORMER, frozenset({S.REQUESTED}), S.PROMISED),
    Step.COUNTER: Rule(Party.PERFORMER, frozenset({S.REQUESTED}), S.COUNTERED),
    Step.ACCEPT_COUNTER: Rule(Party.REQUESTER, frozenset({S.COUNTERED}), S.PROMISED),
    # The original terms stand again: the performer promises them, counters again or declines.
    Step.DECLINE_COUNTER: Rule(Party.REQUESTER, frozenset({S.COUNTERED}), S.REQUESTED),
    Step.DECLINE: Rule(Party.PERFORMER, frozenset({S.REQUESTED, S.COUNTERED}), S.DECLINED, needs_note=True),
    Step.PERFORM: Rule(Party.PERFORMER, frozenset({S.PROMISED}), S.PERFORMING),
    Step.DECLARE_COMPLETE: Rule(Party.PERFORMER, frozenset({S.PROMISED, S.PERFORMING}), S.DECLARED_COMPLETE),
    Step.ACCEPT: Rule(Party.REQUESTER, frozenset({S.DECLARED_COMPLETE}), S.ACCEPTED),
    Step.REJECT: Rule(Party.REQUESTER, frozenset({S.DECLARED_COMPLETE}), S.PERFORMING, needs_note=True),
    Step.CANCEL: Rule(
        Party.REQUESTER, frozenset({S.REQUESTED, S.COUNTERED, S.PROMISED, S.PERFORMING}), S.CANCELLED
    ),
}
# The steps after the request, in the order a page offers them.
STEPS = tuple(RULES)


@dataclass(frozen=True)
class Handoff:
    """What the rules need of a handoff. `performer_id` None: any member of the performing
    team may answer; the first who does becomes the performer."""

    id: int
    status: HandoffStatus
    requester_id: int | None
    performer_id: int | None
    due_date: date
    conditions: str
    counter_due_date: date | None = None
    counter_conditions: str | None = None
    requester_name: str | None = None
    performer_name: str | None = None

    @property
    def waiting(self) -> bool:
        """Is the requesting item still waiting for this handoff?"""
        return self.status in WAITING

    @property
    def closed(self) -> bool:
        return self.status in CLOSED


@dataclass(frozen=True)
class StepDecision:
    step: Step
    allowed: bool
    to_status: HandoffStatus | None
    reasons: tuple[str, ...] = ()
    # Refused because of who asks (the step is possible now, for someone else).
    wrong_person: bool = False

    @property
    def message(self) -> str:
        return " ".join(self.reasons)


def party_of(handoff: Handoff, actor_id: int | None) -> frozenset[Party]:
    """The parts `actor_id` may play in the handoff (none, one, or, never, both)."""
    if actor_id is None:
        return frozenset()
    if actor_id == handoff.requester_id:
        return frozenset({Party.REQUESTER})
    if handoff.performer_id is None or actor_id == handoff.performer_id:
        return frozenset({Party.PERFORMER})
    return frozenset()


def _who(handoff: Handoff, party: Party) -> str:
    if party == Party.REQUESTER:
        name = handoff.requester_name
        return f"the requester ({name})" if name else "the requester"
    if handoff.performer_id is None:
        return "a member of the performing team other than the requester"
    name = handoff.performer_name
    return f"the performer ({name})" if name else "the performer"


def _listing(statuses) -> str:
    words = [STATUS_LABELS[s] for s in HandoffStatus if s in statuses]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def decide_step(
    handoff: Handoff,
    step: Step,
    *,
    actor_id: int | None,
    note: str | None = None,
    due_date: date | None = None,
    conditions: str | None = None,
) -> StepDecision:
    """May `actor_id` take `step` now? A step impossible in the handoff's status is refused for
    everyone; one possible now is refused to anyone but its party. Every refusal says why."""
    if step == Step.REQUEST:
        return StepDecision(step, False, None, ("A handoff is requested once, when it is made.",))
    rule = RULES[step]
    label = STEP_LABELS[step]
    action = ACTIONS[step]
    status_word = STATUS_LABELS[handoff.status]
    if handoff.status not in rule.from_statuses:
        if handoff.closed:
            reason = (
                f"This handoff was {status_word}: it is closed, so nobody can {action.format(it='it')} now"
                + (
                    " (a declined or cancelled request cannot be completed)."
                    if handoff.status != S.ACCEPTED
                    else "."
                )
            )
        else:
            reason = (
                f"This handoff is {status_word}; one can {action.format(it='a handoff')} only when it is "
                f"{_listing(rule.from_statuses)}."
            )
        return StepDecision(step, False, None, (reason,))
    if rule.party not in party_of(handoff, actor_id):
        if actor_id is not None and actor_id == handoff.requester_id:
            reason = f"You made this request: only {_who(handoff, rule.party)} may {action.format(it='it')}."
        else:
            reason = f"Only {_who(handoff, rule.party)} may {action.format(it='this handoff')}."
        return StepDecision(step, False, None, (reason,), wrong_person=True)
    reasons = []
    if rule.needs_note and not (note and note.strip()):
        reasons.append(f"To {label}, say why in a note.")
    if step == Step.COUNTER:
        new_date = due_date is not None and due_date != handoff.due_date
        new_conditions = (
            conditions is not None and conditions.strip() and conditions.strip() != handoff.conditions
        )
        if not (new_date or new_conditions):
            reasons.append("A counter-offer names another date or other conditions of satisfaction.")
    if reasons:
        return StepDecision(step, False, None, tuple(reasons))
    return StepDecision(step, True, rule.to_status)


def apply_step(
    handoff: Handoff,
    decision: StepDecision,
    *,
    actor_id: int,
    due_date: date | None = None,
    conditions: str | None = None,
) -> Handoff:
    """The handoff after an allowed step."""
    if not decision.allowed:
        raise ValueError(f"the step {decision.step} was refused: {decision.message}")
    step = decision.step
    changes: dict = {"status": decision.to_status}
    if RULES[step].party == Party.PERFORMER and handoff.performer_id is None:
        changes["performer_id"] = actor_id  # who answers for the team becomes the performer
    if step == Step.COUNTER:
        changes["counter_due_date"] = due_date if due_date is not None else handoff.due_date
        changes["counter_conditions"] = conditions.strip() if conditions and conditions.strip() else None
    elif step == Step.ACCEPT_COUNTER:
        changes["due_date"] = handoff.counter_due_date or handoff.due_date
        changes["conditions"] = handoff.counter_conditions or handoff.conditions
        changes["counter_due_date"] = None
        changes["counter_conditions"] = None
    elif step in (Step.DECLINE_COUNTER, Step.DECLINE, Step.CANCEL):
        changes["counter_due_date"] = None
        changes["counter_conditions"] = None
    return replace(handoff, **changes)


def next_steps(handoff: Handoff, actor_id: int | None) -> list[Step]:
    """The steps `actor_id` may take now (a note or new terms may still be asked for)."""
    parties = party_of(handoff, actor_id)
    return [
        step for step, rule in RULES.items() if handoff.status in rule.from_statuses and rule.party in parties
    ]
