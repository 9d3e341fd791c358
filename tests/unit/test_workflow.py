"""The case workflow checked, combination by combination, against independently written rules."""

import itertools

import pytest

from portal.cases.workflow import Action, Capacity, State, actions_for, allowed, missing, step

S, A, C = State, Action, Capacity

OPEN = {S.FILED, S.ACCEPTED, S.IN_PROGRESS, S.CONSULTING, S.WAITING}
FINISHED = {S.CLOSED, S.REJECTED, S.MERGED, S.WITHDRAWN}
EVERY_STATE = set(State)
# Everyone who works on a case may leave an internal note. A plain overseer only reads
# (DESIGN.md section 5) until the case is escalated to them; `branch_member` marks who may
# record a return visit and always comes with `party_member`; the sweep writes no notes.
STAFF = {
    C.SECRETARY,
    C.PARTY_HEAD,
    C.ASSIGNEE,
    C.PROPERTY_MANAGER,
    C.PARTY_MEMBER,
    C.GRID_WORKER,
    C.ESCALATED_TO,
}
# Who hears the resident's verdict on a resolved case: the resident (or one whose own report was
# merged into it), or a return visit by a branch member or a grid worker.
VERDICT = {C.REPORTER, C.CO_REPORTER, C.BRANCH_MEMBER, C.GRID_WORKER}

# Who puts a case on hold for the resident and takes it off again: whoever works it.
HOLDERS = {C.ASSIGNEE, C.PROPERTY_MANAGER, C.SECRETARY, C.PARTY_HEAD, C.ESCALATED_TO}

# action: (states it may be taken in, capacities that may take it, state it leads to, needs)
# A `to` of None means the case stays in the state it is in; a dict gives it by state (None
# for a state it does not name).
EXPECTED = {
    # Triage: the secretary, or an overseer a case overdue at triage was escalated to.
    A.ACCEPT: (
        {S.FILED},
        {C.SECRETARY, C.ESCALATED_TO},
        S.ACCEPTED,
        ("category", "priority", "lead_party"),
    ),
    A.REJECT: ({S.FILED}, {C.SECRETARY, C.ESCALATED_TO}, S.REJECTED, ("reason",)),
    A.MERGE: ({S.FILED}, {C.SECRETARY, C.ESCALATED_TO}, S.MERGED, ("target",)),
    A.WITHDRAW: ({S.FILED}, {C.REPORTER}, S.WITHDRAWN, ()),
    A.ASSIGN: (
        {S.ACCEPTED},
        {C.SECRETARY, C.PARTY_HEAD, C.ESCALATED_TO},
        S.IN_PROGRESS,
        ("assignee",),
    ),
    A.REASSIGN: (
        {S.IN_PROGRESS, S.CONSULTING, S.WAITING},
        {C.SECRETARY, C.PARTY_HEAD, C.ESCALATED_TO},
        None,
        ("assignee",),
    ),
    A.PROGRESS: (
        {S.ACCEPTED, S.IN_PROGRESS, S.CONSULTING, S.WAITING},
        {C.ASSIGNEE, C.PROPERTY_MANAGER, C.SECRETARY},
        None,
        ("body",),
    ),
    A.NOTE: (OPEN | {S.RESOLVED}, STAFF, None, ("body",)),
    A.RESOLVE: ({S.IN_PROGRESS}, {C.ASSIGNEE, C.PROPERTY_MANAGER}, S.RESOLVED, ("body",)),
    # The resident's answer takes a case waiting on them back to work.
    A.ADD_INFO: (OPEN, {C.REPORTER}, {S.WAITING: S.IN_PROGRESS}, ("body",)),
    A.REVEAL_PHONE: (EVERY_STATE, {C.SECRETARY, C.ASSIGNEE, C.OVERSEER, C.ESCALATED_TO}, None, ()),
    # Three-party consultation (DESIGN.md section 4): the secretary convenes; the parties'
    # people end a consultation on a case.
    A.CONVENE: ({S.ACCEPTED, S.IN_PROGRESS}, {C.SECRETARY}, S.CONSULTING, ()),
    # …or the sweep, when a resolution lapses unsigned or an on-line window closes unconcluded.
    A.END_CONSULTATION: (
        {S.CONSULTING},
        # A representative invited to the consultation signs or dissents for the residents.
        {C.SECRETARY, C.PARTY_HEAD, C.PROPERTY_MANAGER, C.PARTY_MEMBER, C.REPRESENTATIVE, C.SYSTEM},
        S.IN_PROGRESS,
        (),
    ),
    # Escalation: the secretary blows the whistle, the sweep escalates what is long overdue;
    # an overseer it reached may take the case over.
    A.ESCALATE: (OPEN, {C.SECRETARY, C.ESCALATED_TO, C.SYSTEM}, None, ("reason",)),
    # 报到: an overseer the case reached takes charge of it (the service checks the level).
    A.ACKNOWLEDGE: (OPEN, {C.ESCALATED_TO}, None, ()),
    A.TAKE_OVER: ({S.ACCEPTED, S.IN_PROGRESS}, {C.ESCALATED_TO}, S.IN_PROGRESS, ()),
    # Closure feedback: "solved" closes, "not solved" reopens (退回重办), silence closes.
    A.CLOSE_SOLVED: ({S.RESOLVED}, VERDICT, S.CLOSED, ("satisfaction",)),
    A.REOPEN: ({S.RESOLVED}, VERDICT, S.IN_PROGRESS, ("reason",)),
    A.CLOSE_NO_FEEDBACK: ({S.RESOLVED}, {C.SYSTEM}, S.CLOSED, ()),
    # Waiting on the resident (DESIGN.md section 3): the clock pauses; staff resume it, or
    # the resident's answer does (above).
    A.WAIT: ({S.ACCEPTED, S.IN_PROGRESS}, HOLDERS, S.WAITING, ("reason",)),
    A.RESUME: ({S.WAITING}, HOLDERS, S.IN_PROGRESS, ()),
}

# Updates, notes, added information and phone reveals leave the case row alone, so they never
# make somebody's open triage or assignment form stale.
LEAVES_CASE_ALONE = {A.PROGRESS, A.NOTE, A.ADD_INFO, A.REVEAL_PHONE}


def expected_allowed(state, action, capacities) -> bool:
    states, by, _to, _needs = EXPECTED[action]
    return state in states and bool(by & set(capacities))


def test_the_expectation_covers_every_action():
    assert set(EXPECTED) == set(Action)


EVERY_COMBINATION = list(itertools.product(State, Action, Capacity))


@pytest.mark.parametrize(
    "state, action, capacity",
    EVERY_COMBINATION,
    ids=[f"{s}-{a}-{c}" for s, a, c in EVERY_COMBINATION],
)
def test_who_may_take_which_action_in_which_state(state, action, capacity):
    assert allowed(state, action, {capacity}) is expected_allowed(state, action, {capacity})


@pytest.mark.parametrize("state", list(State))
def test_several_capacities_may_do_what_any_one_of_them_may(state):
    wrong = []
    for pair in itertools.combinations(Capacity, 2):
        for action in Action:
            if allowed(state, action, set(pair)) is not expected_allowed(state, action, pair):
                wrong.append((action.value, *pair))
    assert wrong == []


@pytest.mark.parametrize("state, action", list(itertools.product(State, Action)))
def test_nobody_acting_in_no_capacity_may_do_anything(state, action):
    assert allowed(state, action, set()) is False


@pytest.mark.parametrize("action", list(Action))
def test_each_step_leads_to_the_right_state(action):
    states, _by, to, _needs = EXPECTED[action]
    for state in State:
        found = step(state, action)
        if state in states:
            assert found is not None, f"{action} from {state}"
            assert found.to == (to.get(state) if isinstance(to, dict) else to), (action, state)
        else:
            assert found is None, f"{action} should not exist from {state}"


def test_finished_states_allow_only_revealing_the_phone():
    for state in FINISHED:
        for capacity in Capacity:
            assert set(actions_for(state, {capacity})) <= {A.REVEAL_PHONE}, (state, capacity)


def test_a_resolved_case_waits_for_the_residents_verdict():
    assert actions_for(S.RESOLVED, {C.REPORTER}) == [A.CLOSE_SOLVED, A.REOPEN]
    assert actions_for(S.RESOLVED, {C.PARTY_MEMBER, C.BRANCH_MEMBER}) == [
        A.NOTE,
        A.CLOSE_SOLVED,
        A.REOPEN,
    ]
    assert actions_for(S.RESOLVED, {C.ASSIGNEE, C.PROPERTY_MANAGER, C.PARTY_MEMBER}) == [
        A.NOTE,
        A.REVEAL_PHONE,
    ]
    assert actions_for(S.RESOLVED, {C.SYSTEM}) == [A.CLOSE_NO_FEEDBACK]


def test_an_overseer_reads_until_the_case_is_escalated_to_them():
    for state in State:
        assert actions_for(state, {C.OVERSEER}) == [A.REVEAL_PHONE], state
    assert actions_for(S.IN_PROGRESS, {C.OVERSEER, C.ESCALATED_TO}) == [
        A.REASSIGN,
        A.NOTE,
        A.REVEAL_PHONE,
        A.ESCALATE,  # the community passes it on (the service checks the level)
        A.TAKE_OVER,
        A.WAIT,
        A.ACKNOWLEDGE,
    ]


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("capacity", list(Capacity))
def test_actions_for_lists_what_the_capacity_may_do_in_table_order(state, capacity):
    expected = [a for a in Action if expected_allowed(state, a, {capacity})]
    assert actions_for(state, {capacity}) == expected


def test_actions_for_a_secretary_who_reported_the_case_joins_both_capacities():
    assert actions_for(S.FILED, {C.SECRETARY, C.REPORTER}) == [
        A.ACCEPT,
        A.REJECT,
        A.MERGE,
        A.WITHDRAW,
        A.NOTE,
        A.ADD_INFO,
        A.REVEAL_PHONE,
        A.ESCALATE,
    ]
    assert actions_for(S.IN_PROGRESS, {C.ASSIGNEE}) == [
        A.PROGRESS,
        A.NOTE,
        A.RESOLVE,
        A.REVEAL_PHONE,
        A.WAIT,
    ]
    assert actions_for(S.FILED, {C.REPORTER}) == [A.WITHDRAW, A.ADD_INFO]
    assert actions_for(S.ACCEPTED, set()) == []


@pytest.mark.parametrize("action", list(Action))
def test_missing_names_every_need_left_empty(action):
    states, _by, _to, needs = EXPECTED[action]
    state = sorted(states)[0]
    assert missing(state, action, {}) == list(needs)
    assert missing(state, action, dict.fromkeys(needs, "")) == list(needs)
    assert missing(state, action, dict.fromkeys(needs, "given")) == []


def test_missing_asks_for_exactly_what_each_decision_needs():
    assert missing(S.FILED, A.ACCEPT, {"category": "lift"}) == ["priority", "lead_party"]
    assert missing(S.FILED, A.REJECT, {"reason": "duplicate"}) == []
    assert missing(S.FILED, A.MERGE, {}) == ["target"]
    assert missing(S.ACCEPTED, A.ASSIGN, {"assignee": None}) == ["assignee"]
    assert missing(S.CONSULTING, A.REASSIGN, {}) == ["assignee"]
    assert missing(S.IN_PROGRESS, A.RESOLVE, {"body": ""}) == ["body"]
    assert missing(S.FILED, A.ADD_INFO, {}) == ["body"]
    assert missing(S.FILED, A.WITHDRAW, {}) == []
    assert missing(S.IN_PROGRESS, A.ESCALATE, {}) == ["reason"]
    assert missing(S.RESOLVED, A.CLOSE_SOLVED, {"satisfaction": "satisfied"}) == []
    assert missing(S.RESOLVED, A.REOPEN, {"satisfaction": "unsatisfied"}) == ["reason"]


def test_missing_asks_for_nothing_where_the_action_is_impossible():
    assert missing(S.CLOSED, A.ACCEPT, {}) == []
    assert missing(S.FILED, A.RESOLVE, {}) == []


@pytest.mark.parametrize("action", list(Action))
def test_only_decisions_change_the_case_row(action):
    states, _by, _to, _needs = EXPECTED[action]
    for state in states:
        changes = step(state, action).changes_case
        # …except the resident's answer to a case waiting on them, which moves it on.
        moves = action is A.ADD_INFO and state is S.WAITING
        assert changes is (action not in LEAVES_CASE_ALONE or moves), (action, state)
