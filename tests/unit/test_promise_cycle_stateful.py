"""Hypothesis drives a handoff through random steps by random people: the promise cycle never
leaves its rules, whatever is tried.

Each rule asks decide_step and applies only what it allows, as the service does; a history of
allowed steps is kept to check what may have come before.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from pullplan.domain.handoffs import (
    CLOSED,
    RULES,
    Handoff,
    HandoffStatus,
    Party,
    Step,
    apply_step,
    decide_step,
    next_steps,
)

REQUESTER, PERFORMER, OTHER = 1, 2, 3
DUE = date(2026, 6, 1)
S = HandoffStatus


class PromiseCycle(RuleBasedStateMachine):
    @initialize(named=st.booleans())
    def request(self, named):
        self.handoff = Handoff(
            id=1,
            status=S.REQUESTED,
            requester_id=REQUESTER,
            performer_id=PERFORMER if named else None,
            due_date=DUE,
            conditions="Two pages.",
        )
        self.taken: list[tuple[Step, int]] = []

    @rule(
        step=st.sampled_from(list(Step)),
        actor=st.sampled_from([REQUESTER, PERFORMER, OTHER, None]),
        note=st.sampled_from([None, "", "  ", "The quote is missing."]),
        shift=st.sampled_from([None, 0, 7]),
        conditions=st.sampled_from([None, "", "Two pages.", "One page."]),
    )
    def try_a_step(self, step, actor, note, shift, conditions):
        before = self.handoff
        due = None if shift is None else DUE + timedelta(days=shift)
        decision = decide_step(before, step, actor_id=actor, note=note, due_date=due, conditions=conditions)
        if not decision.allowed:
            assert decision.reasons and all(r.strip() for r in decision.reasons)
            assert decision.to_status is None
            return
        assert step in next_steps(before, actor)
        rule_ = RULES[step]
        assert before.status in rule_.from_statuses and decision.to_status == rule_.to_status
        if rule_.party == Party.REQUESTER:
            assert actor == REQUESTER
        else:
            assert actor not in (REQUESTER, None)
            assert before.performer_id in (None, actor)
        if rule_.needs_note:
            assert note and note.strip()
        self.handoff = apply_step(before, decision, actor_id=actor, due_date=due, conditions=conditions)
        self.taken.append((step, actor))

    @invariant()
    def closed_handoffs_take_no_step(self):
        if self.handoff.status in CLOSED:
            for step in Step:
                for actor in (REQUESTER, PERFORMER, OTHER):
                    assert not decide_step(self.handoff, step, actor_id=actor, note="why").allowed

    @invariant()
    def accepted_only_after_a_declared_completion_by_the_requester(self):
        if self.handoff.status == S.ACCEPTED:
            steps = [s for s, _ in self.taken]
            assert steps[-1] == Step.ACCEPT and self.taken[-1][1] == REQUESTER
            assert Step.DECLARE_COMPLETE in steps and Step.DECLINE not in steps and Step.CANCEL not in steps

    @invariant()
    def the_performer_once_bound_stays(self):
        performers = {a for s, a in self.taken if RULES[s].party == Party.PERFORMER}
        assert len(performers) <= 1
        if performers:
            assert self.handoff.performer_id in performers

    @invariant()
    def a_counter_offer_is_pending_only_while_countered(self):
        pending = self.handoff.counter_due_date is not None
        assert pending == (self.handoff.status == S.COUNTERED)


PromiseCycle.TestCase.settings = settings(max_examples=200, stateful_step_count=25, deadline=None)
TestPromiseCycle = PromiseCycle.TestCase
