"""The life of a case (DESIGN.md section 3): states, actions, who may take each, what each needs.

Pure Python: no Flask, no database. A person acts on a case in one or more capacities
(reporter, secretary, assignee…), worked out elsewhere from their roles; this table says
which capacities may take which action in which state, and what the action leads to.
"""

import enum
from dataclasses import dataclass


class State(enum.StrEnum):
    FILED = "filed"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    CONSULTING = "consulting"
    WAITING = "waiting"  # on the resident: access to the flat, a photo, a decision
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    MERGED = "merged"
    WITHDRAWN = "withdrawn"


# Where every case starts: filed, waiting for triage.
INITIAL = State.FILED
OPEN_STATES = frozenset(
    {State.FILED, State.ACCEPTED, State.IN_PROGRESS, State.CONSULTING, State.WAITING}
)
FINISHED_STATES = frozenset({State.CLOSED, State.REJECTED, State.MERGED, State.WITHDRAWN})
# The work is over: resolved (waiting for the resident's word) or finished. What a city
# platform calls "closed" (Open311); a reopened case is open again.
WORK_DONE = FINISHED_STATES | {State.RESOLVED}
# The states whose deadline counts: open, except while the case waits on a consultation or
# on the resident (DESIGN.md section 3: the clock pauses then). Queues, the sweep and the case
# page read this.
CLOCK_RUNS = OPEN_STATES - {State.CONSULTING, State.WAITING}
# A case can be merged into any case that is not itself merged away.
MERGE_TARGETS = frozenset(State) - {State.MERGED}
# What the triage form offers as a likely duplicate: a case that did not go nowhere.
DUPLICATE_OF = frozenset(State) - {State.MERGED, State.REJECTED, State.WITHDRAWN}
# A case that stands for a problem of its own, as a recurring problem counts it: not turned
# away, merged into another or withdrawn.
STANDS = DUPLICATE_OF


class Action(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    MERGE = "merge"
    WITHDRAW = "withdraw"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    PROGRESS = "progress"  # a public update the resident sees
    NOTE = "note"  # an internal note the resident does not see
    RESOLVE = "resolve"
    ADD_INFO = "add_info"  # the reporter adds information or photos
    REVEAL_PHONE = "reveal_phone"
    CONVENE = "convene"  # put on a consultation's agenda
    END_CONSULTATION = "end_consultation"  # back to work once the consultation has spoken
    ESCALATE = "escalate"  # 吹哨 by hand, or by the sweep when a deadline has long passed
    CLOSE_SOLVED = "close_solved"  # the resident (or a return visit) says it is solved
    REOPEN = "reopen"  # 退回重办: "not solved" sends it back to the assignee
    CLOSE_NO_FEEDBACK = "close_no_feedback"  # nobody answered within the feedback window
    TAKE_OVER = "take_over"  # an overseer the case was escalated to handles it themself
    WAIT = "wait"  # waiting on the resident, who is told what is needed: the clock pauses
    RESUME = "resume"  # back to work without the resident's answer
    # 报到: an overseer at the level a case was escalated to says they have taken charge of it.
    ACKNOWLEDGE = "acknowledge"


class Capacity(enum.StrEnum):
    REPORTER = "reporter"
    SECRETARY = "secretary"  # the compound's party-branch secretary
    PARTY_HEAD = "party_head"  # head of the lead party or of the assignee's party
    ASSIGNEE = "assignee"
    PROPERTY_MANAGER = "property_manager"
    PARTY_MEMBER = "party_member"  # any member of the compound's three parties
    GRID_WORKER = "grid_worker"
    BRANCH_MEMBER = "branch_member"  # the secretary or a member of the party branch
    OVERSEER = "overseer"  # community or sub-district: sees, read-only
    ESCALATED_TO = "escalated_to"  # an overseer at the level the case is escalated to
    SYSTEM = "system"  # the sweep: time-driven work nobody clicks
    # A resident whose own report was merged into this case: follows it (public events only)
    # and gives the closure feedback, as its reporter does.
    CO_REPORTER = "co_reporter"
    # A resident representative invited to a consultation with this case on its agenda: reads
    # the facts, the public events and the consultation, never an internal note (DESIGN.md 5).
    REPRESENTATIVE = "representative"
    # A resident who said "me too" while filing: follows the case (public events only).
    SUPPORTER = "supporter"


@dataclass(frozen=True)
class Step:
    to: State | None  # None: the state does not change
    by: frozenset[Capacity]
    needs: tuple[str, ...] = ()
    # Whether the step changes the case row (and so its version); updates and notes do not,
    # so that posting a note never makes someone else's open triage form stale.
    changes_case: bool = True
    # Where the step leads instead when the case has nobody assigned yet: back to work is
    # "in progress" for an assignee, "accepted" (waiting to be assigned) otherwise.
    unassigned_to: State | None = None

    def target(self, assigned: bool) -> State | None:
        """The state the step leads to, for a case with or without an assignee."""
        if not assigned and self.unassigned_to is not None:
            return self.unassigned_to
        return self.to


C = Capacity
_WORKERS = frozenset({C.ASSIGNEE, C.PROPERTY_MANAGER, C.SECRETARY})
_STAFF = frozenset(
    {
        C.SECRETARY,
        C.PARTY_HEAD,
        C.ASSIGNEE,
        C.PROPERTY_MANAGER,
        C.PARTY_MEMBER,
        C.GRID_WORKER,
        C.ESCALATED_TO,
    }
)
# Who puts a case on hold for the resident, and takes it off again.
_HOLDERS = frozenset({C.ASSIGNEE, C.PROPERTY_MANAGER, C.SECRETARY, C.PARTY_HEAD, C.ESCALATED_TO})
# Who hears the resident's verdict: the resident (or one whose report was merged into the
# case), or a return visit on their behalf.
_FEEDBACK = frozenset({C.REPORTER, C.CO_REPORTER, C.BRANCH_MEMBER, C.GRID_WORKER})


def _each(states, step):
    return dict.fromkeys(states, step)


TABLE: dict[Action, dict[State, Step]] = {
    # Triage is the secretary's; an overseer a case overdue at triage was escalated to may
    # triage it in their stead.
    Action.ACCEPT: {
        State.FILED: Step(
            State.ACCEPTED,
            frozenset({C.SECRETARY, C.ESCALATED_TO}),
            ("category", "priority", "lead_party"),
        )
    },
    Action.REJECT: {
        State.FILED: Step(State.REJECTED, frozenset({C.SECRETARY, C.ESCALATED_TO}), ("reason",))
    },
    Action.MERGE: {
        State.FILED: Step(State.MERGED, frozenset({C.SECRETARY, C.ESCALATED_TO}), ("target",))
    },
    Action.WITHDRAW: {State.FILED: Step(State.WITHDRAWN, frozenset({C.REPORTER}))},
    Action.ASSIGN: {
        State.ACCEPTED: Step(
            State.IN_PROGRESS, frozenset({C.SECRETARY, C.PARTY_HEAD, C.ESCALATED_TO}), ("assignee",)
        )
    },
    Action.REASSIGN: _each(
        (State.IN_PROGRESS, State.CONSULTING, State.WAITING),
        Step(None, frozenset({C.SECRETARY, C.PARTY_HEAD, C.ESCALATED_TO}), ("assignee",)),
    ),
    Action.PROGRESS: _each(
        (State.ACCEPTED, State.IN_PROGRESS, State.CONSULTING, State.WAITING),
        Step(None, _WORKERS, ("body",), changes_case=False),
    ),
    Action.NOTE: _each(
        OPEN_STATES | {State.RESOLVED}, Step(None, _STAFF, ("body",), changes_case=False)
    ),
    Action.RESOLVE: {
        State.IN_PROGRESS: Step(
            State.RESOLVED, frozenset({C.ASSIGNEE, C.PROPERTY_MANAGER}), ("body",)
        )
    },
    # The resident's answer to a case waiting on them takes it back to work.
    Action.ADD_INFO: {
        **_each(
            OPEN_STATES - {State.WAITING},
            Step(None, frozenset({C.REPORTER}), ("body",), changes_case=False),
        ),
        State.WAITING: Step(
            State.IN_PROGRESS, frozenset({C.REPORTER}), ("body",), unassigned_to=State.ACCEPTED
        ),
    },
    Action.REVEAL_PHONE: _each(
        set(State),
        Step(
            None,
            frozenset({C.SECRETARY, C.ASSIGNEE, C.OVERSEER, C.ESCALATED_TO}),
            changes_case=False,
        ),
    ),
    Action.CONVENE: _each(
        (State.ACCEPTED, State.IN_PROGRESS), Step(State.CONSULTING, frozenset({C.SECRETARY}))
    ),
    # Taken by whoever's signature or decision ends the consultation on the case, or by the
    # sweep when a resolution lapses unsigned or an on-line window closes without an end.
    Action.END_CONSULTATION: {
        State.CONSULTING: Step(
            State.IN_PROGRESS,
            frozenset(
                {
                    C.SECRETARY,
                    C.PARTY_HEAD,
                    C.PROPERTY_MANAGER,
                    C.PARTY_MEMBER,
                    C.REPRESENTATIVE,
                    C.SYSTEM,
                }
            ),
            unassigned_to=State.ACCEPTED,
        )
    },
    # The secretary's whistle, the sweep's, or the community passing a case it was escalated
    # to on to the sub-district (the service says which level is next, and that none is above).
    Action.ESCALATE: _each(
        OPEN_STATES,
        Step(None, frozenset({C.SECRETARY, C.ESCALATED_TO, C.SYSTEM}), ("reason",)),
    ),
    Action.ACKNOWLEDGE: _each(OPEN_STATES, Step(None, frozenset({C.ESCALATED_TO}))),
    Action.CLOSE_SOLVED: {State.RESOLVED: Step(State.CLOSED, _FEEDBACK, ("satisfaction",))},
    Action.REOPEN: {
        State.RESOLVED: Step(
            State.IN_PROGRESS, _FEEDBACK, ("reason",), unassigned_to=State.ACCEPTED
        )
    },
    Action.CLOSE_NO_FEEDBACK: {State.RESOLVED: Step(State.CLOSED, frozenset({C.SYSTEM}))},
    Action.WAIT: _each(
        (State.ACCEPTED, State.IN_PROGRESS), Step(State.WAITING, _HOLDERS, ("reason",))
    ),
    Action.RESUME: {State.WAITING: Step(State.IN_PROGRESS, _HOLDERS, unassigned_to=State.ACCEPTED)},
    # Not while in consultation: the three parties are deciding it.
    Action.TAKE_OVER: _each(
        (State.ACCEPTED, State.IN_PROGRESS), Step(State.IN_PROGRESS, frozenset({C.ESCALATED_TO}))
    ),
}


def step(state: State, action: Action) -> Step | None:
    """The step `action` takes from `state`, or None if it cannot be taken there by anyone."""
    return TABLE.get(action, {}).get(state)


def possible(state: State, action: Action) -> bool:
    """Whether anyone at all may take `action` in `state`."""
    return step(state, action) is not None


def states_allowing(action: Action) -> frozenset[State]:
    """Every state `action` can be taken in: for queries ("cases that can go on an agenda")."""
    return frozenset(TABLE.get(action, {}))


def first_possible(state: State, *actions: Action) -> Action | None:
    """The first of `actions` that exists in `state` (assign a new case, reassign a busy one)."""
    return next((action for action in actions if possible(state, action)), None)


def allowed(state: State, action: Action, capacities) -> bool:
    found = step(state, action)
    return found is not None and bool(found.by & set(capacities))


def actions_for(state: State, capacities) -> list[Action]:
    """Every action these capacities may take in this state, in the table's order."""
    return [action for action in Action if allowed(state, action, capacities)]


def missing(state: State, action: Action, given: dict) -> list[str]:
    """The needs of the step that `given` leaves empty."""
    found = step(state, action)
    return [need for need in (found.needs if found else ()) if not given.get(need)]
