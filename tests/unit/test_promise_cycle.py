"""The promise cycle's rules: which step is allowed in which status, and to whom; every refusal
says why in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from pullplan.domain.handoffs import (
    RULES,
    Handoff,
    HandoffStatus,
    Party,
    Step,
    apply_step,
    decide_step,
    next_steps,
)

S = HandoffStatus
BOB, ALICE, CAROL = 1, 2, 3  # bob asks, alice performs, carol is someone else on the team
DUE = date(2026, 6, 1)


def handoff(status: S = S.REQUESTED, performer: int | None = ALICE) -> Handoff:
    return Handoff(
        id=7,
        status=status,
        requester_id=BOB,
        performer_id=performer,
        due_date=DUE,
        conditions="Two pages, approved by the customer.",
        requester_name="Bob Brown",
        performer_name="Alice Adams" if performer == ALICE else None,
    )


def take(h: Handoff, step: Step, actor: int, **terms) -> Handoff:
    decision = decide_step(h, step, actor_id=actor, **terms)
    assert decision.allowed, decision.message
    return apply_step(h, decision, actor_id=actor, **{k: x for k, x in terms.items() if k != "note"})


def test_the_whole_cycle_request_promise_perform_declare_complete_accept():
    h = handoff()
    h = take(h, Step.PROMISE, ALICE)
    assert h.status == S.PROMISED and h.waiting
    h = take(h, Step.PERFORM, ALICE)
    assert h.status == S.PERFORMING
    h = take(h, Step.DECLARE_COMPLETE, ALICE)
    assert h.status == S.DECLARED_COMPLETE and h.waiting
    h = take(h, Step.ACCEPT, BOB)
    assert h.status == S.ACCEPTED and not h.waiting and h.closed


def test_a_declined_request_cannot_be_completed_accepted_or_promised():
    h = take(handoff(), Step.DECLINE, ALICE, note="No designer is free this month.")
    assert h.status == S.DECLINED and h.closed and not h.waiting

    for step, actor in [
        (Step.DECLARE_COMPLETE, ALICE),
        (Step.ACCEPT, BOB),
        (Step.PROMISE, ALICE),
        (Step.PERFORM, ALICE),
    ]:
        decision = decide_step(h, step, actor_id=actor)
        assert not decision.allowed and not decision.wrong_person
        assert "declined" in decision.message and "closed" in decision.message
    assert "cannot be completed" in decide_step(h, Step.DECLARE_COMPLETE, actor_id=ALICE).message
    assert next_steps(h, ALICE) == [] and next_steps(h, BOB) == []


def test_a_cancelled_request_cannot_be_completed():
    h = take(take(handoff(), Step.PROMISE, ALICE), Step.CANCEL, BOB)

    decision = decide_step(h, Step.DECLARE_COMPLETE, actor_id=ALICE)

    assert h.status == S.CANCELLED and not decision.allowed
    assert decision.message.startswith("This handoff was cancelled: it is closed")


def test_only_the_requester_accepts():
    done = replace(handoff(), status=S.DECLARED_COMPLETE)

    by_performer = decide_step(done, Step.ACCEPT, actor_id=ALICE)
    by_someone_else = decide_step(done, Step.ACCEPT, actor_id=CAROL)

    assert not by_performer.allowed and by_performer.wrong_person
    assert by_performer.message == "Only the requester (Bob Brown) may accept this handoff."
    assert not by_someone_else.allowed and by_someone_else.wrong_person
    assert decide_step(done, Step.ACCEPT, actor_id=BOB).allowed


def test_only_the_performer_promises_and_the_requester_is_told_so():
    by_requester = decide_step(handoff(), Step.PROMISE, actor_id=BOB)
    by_other = decide_step(handoff(), Step.PROMISE, actor_id=CAROL)

    assert by_requester.wrong_person
    assert by_requester.message == "You made this request: only the performer (Alice Adams) may promise it."
    assert (
        by_other.wrong_person
        and by_other.message == "Only the performer (Alice Adams) may promise this handoff."
    )


def test_a_request_to_a_team_is_answered_by_anyone_on_it_but_the_requester_and_binds_who_answers():
    h = handoff(performer=None)

    assert not decide_step(h, Step.PROMISE, actor_id=BOB).allowed
    promised = take(h, Step.PROMISE, CAROL)

    assert promised.performer_id == CAROL
    refused = decide_step(promised, Step.DECLARE_COMPLETE, actor_id=ALICE)
    assert not refused.allowed and refused.wrong_person


def test_a_rejection_sends_it_back_to_performing_and_needs_a_reason():
    done = replace(handoff(), status=S.DECLARED_COMPLETE)

    silent = decide_step(done, Step.REJECT, actor_id=BOB)
    rejected = take(done, Step.REJECT, BOB, note="The customer quote is missing.")

    assert not silent.allowed and not silent.wrong_person
    assert silent.message == "To reject, say why in a note."
    assert rejected.status == S.PERFORMING
    assert take(rejected, Step.DECLARE_COMPLETE, ALICE).status == S.DECLARED_COMPLETE


def test_a_decline_needs_a_reason():
    assert decide_step(handoff(), Step.DECLINE, actor_id=ALICE).message == "To decline, say why in a note."


def test_a_counter_offer_names_new_terms_which_the_requester_accepts():
    same = decide_step(handoff(), Step.COUNTER, actor_id=ALICE, due_date=DUE)
    countered = take(handoff(), Step.COUNTER, ALICE, due_date=date(2026, 6, 15), conditions="One page.")

    assert not same.allowed
    assert same.message == "A counter-offer names another date or other conditions of satisfaction."
    assert countered.status == S.COUNTERED
    assert (countered.due_date, countered.counter_due_date) == (DUE, date(2026, 6, 15))
    assert not decide_step(countered, Step.ACCEPT_COUNTER, actor_id=ALICE).allowed

    promised = take(countered, Step.ACCEPT_COUNTER, BOB)

    assert promised.status == S.PROMISED
    assert (promised.due_date, promised.conditions) == (date(2026, 6, 15), "One page.")
    assert promised.counter_due_date is None and promised.counter_conditions is None


def test_a_declined_counter_offer_leaves_the_original_request_standing():
    countered = take(handoff(), Step.COUNTER, ALICE, due_date=date(2026, 7, 1))

    back = take(countered, Step.DECLINE_COUNTER, BOB)

    assert back.status == S.REQUESTED and back.due_date == DUE and back.counter_due_date is None
    assert next_steps(back, ALICE) == [Step.PROMISE, Step.COUNTER, Step.DECLINE]


def test_a_step_in_the_wrong_status_names_the_statuses_it_needs():
    decision = decide_step(handoff(), Step.ACCEPT, actor_id=BOB)

    assert not decision.allowed and not decision.wrong_person
    assert (
        decision.message
        == "This handoff is requested; one can accept a handoff only when it is declared complete."
    )
    declare = decide_step(handoff(), Step.DECLARE_COMPLETE, actor_id=ALICE)
    assert "promised or performing" in declare.message


def test_a_request_is_made_once():
    decision = decide_step(handoff(), Step.REQUEST, actor_id=BOB)
    assert not decision.allowed and decision.message


def test_nobody_signed_in_takes_no_step():
    assert not any(
        decide_step(replace(handoff(), status=s), step, actor_id=None).allowed for s in S for step in RULES
    )


def test_apply_step_refuses_a_refused_decision():
    with pytest.raises(ValueError, match="refused"):
        apply_step(handoff(), decide_step(handoff(), Step.ACCEPT, actor_id=BOB), actor_id=BOB)


@pytest.mark.parametrize("step", list(RULES))
def test_each_step_belongs_to_one_party_and_is_offered_to_it_only(step):
    rule = RULES[step]
    status = sorted(rule.from_statuses)[0]
    h = replace(handoff(), status=status)
    party_actor = BOB if rule.party == Party.REQUESTER else ALICE
    other_actor = ALICE if rule.party == Party.REQUESTER else BOB

    assert step in next_steps(h, party_actor)
    assert step not in next_steps(h, other_actor)
    assert decide_step(h, step, actor_id=other_actor).wrong_person
