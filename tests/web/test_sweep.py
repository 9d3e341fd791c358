"""The sweep (`flask portal sweep`): reminders when a deadline passes, escalation to the community
and then the sub-district, idempotent, cheap when nothing is due, and safe when two run at once."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from portal import clock
from portal.cases import service
from portal.cases.models import Case, CaseEvent
from portal.cases.workflow import State
from portal.extensions import db
from portal.feedback import sweep as sweep_module
from portal.feedback.models import Feedback
from portal.feedback.sweep import sweep
from portal.notifications.models import Notification
from tests import factories
from tests.conftest import sign_in, texts

# 10:00 in Shanghai on a Monday. Triage is due 24 hours after filing; the sweep escalates
# ESCALATE_AFTER_HOURS (24) after the deadline, and again ESCALATE_AGAIN_AFTER_HOURS (72) later.
T = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
OVERDUE = T + timedelta(hours=25)
ESCALATE = T + timedelta(hours=24 + 24, minutes=1)
ESCALATE_AGAIN = ESCALATE + timedelta(hours=72, minutes=1)
NOTHING = {
    "reminded": 0,
    "escalated": 0,
    "escalated_again": 0,
    "acknowledge_reminded": 0,
    "unacknowledged_escalated": 0,
    "closed_without_feedback": 0,
    "resolutions_lapsed": 0,
    "released_after_window": 0,
    "sent": 0,
    "retried": 0,
    "dead": 0,
    "forgotten_sign_ins": 0,
    "expired_pending_photos": 0,
    "calendar_missing": 0,
}


@pytest.fixture
def team(world):
    return factories.cast(world, "reporter secretary manager fitter overseer other_overseer street")


def file_at(world, team, at=T, description="楼道灯坏了一周") -> Case:
    return factories.case(world, by=team.reporter, description=description, at=at)


def walked(world, team, state, description="楼道灯坏了一周") -> Case:
    """A case filed at T and taken to `state` at T: accepted for the fitter, who resolves it."""
    return factories.case(
        world,
        state,
        by=team.reporter,
        secretary=team.secretary,
        assignee=team.fitter,
        description=description,
        resolution="换了灯泡",
        at=T,
    )


def sweep_at(moment) -> dict:
    with clock.fixed(moment):
        return sweep()


def stored(case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def events_of(case, action) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.action == action)
            .order_by(CaseEvent.id)
        )
    )


def told(case, kind) -> list[int]:
    """Who got an inbox row of this kind about the case, by person id."""
    return sorted(
        db.session.scalars(
            select(Notification.person_id).where(
                Notification.case_id == case.id, Notification.kind == kind
            )
        )
    )


def snapshot(case) -> tuple:
    """Everything a sweep could change about a case, to compare before and after."""
    db.session.expire_all()
    row = db.session.get(Case, case.id)
    return (
        db.session.scalar(select(func.count(CaseEvent.id))),
        db.session.scalar(select(func.count(Notification.id))),
        row.version,
        row.state,
        row.escalation_level,
        row.escalated_at,
        row.reminded_for,
    )


# -- reminders and escalation ------------------------------------------------------------------


def test_nothing_happens_before_the_deadline(app, world, team):
    case = file_at(world, team)
    before = snapshot(case)
    assert sweep_at(T + timedelta(hours=23, minutes=59)) == NOTHING
    assert snapshot(case) == before


def test_a_case_past_its_triage_deadline_reminds_its_owners_once(app, world, team):
    case = file_at(world, team)
    assert case.due_at == T + timedelta(hours=24)

    counts = sweep_at(OVERDUE)
    assert counts == {**NOTHING, "reminded": 1}
    [reminder] = events_of(case, "remind")
    assert (reminder.actor_id, reminder.actor_role, reminder.public) == (None, "system", False)
    assert reminder.at == OVERDUE and reminder.data == {"due": case.due_at.isoformat()}
    assert told(case, "remind") == [team.secretary.id]  # a filed case's owner: the secretary
    assert stored(case).reminded_for == case.due_at
    assert stored(case).escalation_level == 0

    # Straight after: nothing new at all.
    before = snapshot(case)
    assert sweep_at(OVERDUE) == NOTHING
    assert sweep_at(OVERDUE + timedelta(hours=1)) == NOTHING
    assert snapshot(case) == before

    # The secretary sees it on the timeline, marked internal; the resident does not.
    secretary, reporter = app.test_client(), app.test_client()
    sign_in(secretary, team.secretary), sign_in(reporter, team.reporter)
    with clock.fixed(OVERDUE):
        assert "已超过时限，已提醒相关负责人。" in texts(secretary.get(f"/cases/{case.number}"))
        assert "已超过时限" not in texts(reporter.get(f"/cases/{case.number}"))


def test_an_overdue_case_escalates_to_the_community_then_the_sub_district(app, world, team):
    case = file_at(world, team)
    sweep_at(OVERDUE)
    assert sweep_at(ESCALATE - timedelta(minutes=2)) == NOTHING  # the grace period

    counts = sweep_at(ESCALATE)
    assert counts == {**NOTHING, "escalated": 1}
    row = stored(case)
    assert (row.escalation_level, row.escalated_at, row.state) == (1, ESCALATE, State.FILED)
    [first] = events_of(case, "escalate")
    assert (first.actor_id, first.actor_role, first.public) == (None, "system", False)
    assert first.data["automatic"] is True and first.data["level"] == 1
    assert first.data["due"] == case.due_at.isoformat()
    assert told(case, "escalate") == sorted([team.overseer.id, team.secretary.id])
    assert team.other_overseer.id not in told(case, "escalate")
    assert team.street.id not in told(case, "escalate")
    # The community acknowledges it (报到: see the tests of that below), and still it does not
    # move: the overdue case goes on up once the next period passes.
    with clock.fixed(ESCALATE):
        service.acknowledge(stored(case), team.overseer, version=stored(case).version)

    before = snapshot(case)
    assert sweep_at(ESCALATE) == NOTHING
    assert sweep_at(ESCALATE_AGAIN - timedelta(minutes=2)) == NOTHING
    assert snapshot(case) == before

    counts = sweep_at(ESCALATE_AGAIN)
    assert counts == {**NOTHING, "escalated_again": 1}
    row = stored(case)
    assert (row.escalation_level, row.escalated_at) == (2, ESCALATE_AGAIN)
    second = events_of(case, "escalate")[1]
    assert second.data["automatic"] is True and second.data["level"] == 2
    assert told(case, "escalate").count(team.street.id) == 1
    with clock.fixed(ESCALATE_AGAIN):
        service.acknowledge(stored(case), team.street, version=stored(case).version)

    before = snapshot(case)
    assert sweep_at(ESCALATE_AGAIN) == NOTHING
    assert sweep_at(ESCALATE_AGAIN + timedelta(days=30)) == NOTHING  # no level 3
    assert snapshot(case) == before
    assert len(events_of(case, "escalate")) == 2 and len(events_of(case, "remind")) == 1

    overseer = app.test_client()
    sign_in(overseer, team.overseer)
    with clock.fixed(ESCALATE_AGAIN):
        page = texts(overseer.get(f"/cases/{case.number}"))
    assert "已超时较久，自动上报社区。" in page and "已超时较久，自动上报街道。" in page


def test_a_case_escalated_by_hand_is_not_escalated_again_to_the_community(app, world, team):
    case = file_at(world, team)
    with clock.fixed(T + timedelta(hours=2)):
        service.escalate(case, team.secretary, reason="物业迟迟不来，请社区协调")
    assert sweep_at(ESCALATE)["escalated"] == 0
    [by_hand] = events_of(case, "escalate")
    assert by_hand.actor_id == team.secretary.id and by_hand.body == "物业迟迟不来，请社区协调"
    # …but it goes to the sub-district once the next period has passed.
    assert sweep_at(T + timedelta(hours=2 + 72, minutes=1))["escalated_again"] == 1
    assert stored(case).escalation_level == 2


def test_each_stage_is_reminded_once_its_deadline_passes(app, world, team):
    case = file_at(world, team)
    assert sweep_at(OVERDUE)["reminded"] == 1
    with clock.fixed(OVERDUE + timedelta(minutes=5)):
        factories.accept(case, team.secretary, assignee=team.fitter)
    resolution_due = stored(case).due_at
    assert resolution_due > OVERDUE + timedelta(days=2)
    assert sweep_at(resolution_due - timedelta(minutes=1))["reminded"] == 0

    assert sweep_at(resolution_due + timedelta(minutes=1))["reminded"] == 1
    second = events_of(case, "remind")[1]
    assert second.data == {"due": resolution_due.isoformat()}
    # The owners now: the assignee, the head of the lead party and the secretary.
    assert told(case, "remind").count(team.fitter.id) == 1
    assert told(case, "remind").count(team.manager.id) == 1
    assert told(case, "remind").count(team.secretary.id) == 2
    assert sweep_at(resolution_due + timedelta(hours=1))["reminded"] == 0


def test_finished_cases_are_never_reminded_or_escalated(app, world, team):
    rejected = file_at(world, team, description="重复反映")
    with clock.fixed(T + timedelta(hours=1)):
        service.reject(rejected, team.secretary, version=rejected.version, reason="已有相同事项")
    withdrawn = file_at(world, team, description="不用了")
    with clock.fixed(T + timedelta(hours=1)):
        service.withdraw(withdrawn, team.reporter, version=withdrawn.version)
    assert sweep_at(ESCALATE_AGAIN + timedelta(days=10)) == NOTHING
    assert events_of(rejected, "remind") == [] and events_of(withdrawn, "escalate") == []


# -- cheap when nothing is due -----------------------------------------------------------------


class Statements:
    """Counts the SQL statements sent to the database while active."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _count(self, *args):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


def test_an_empty_sweep_is_a_handful_of_queries_that_does_not_grow_with_closed_cases(
    app, world, team
):
    db.session.commit()
    with Statements(db.engine) as empty:
        assert sweep_at(T + timedelta(hours=1)) == NOTHING
    # Six for the cases and the outbox, one for escalated cases nobody acknowledged (报到),
    # three that forget old sign-ins, one-time codes and throttle counts, one for photos sent
    # ahead of a filing that never came, two for consultations that stalled (resolutions
    # unsigned, on-line windows closed).
    assert 0 < empty.count <= 13, empty.count

    for number in range(50):
        walked(world, team, State.CLOSED, description=f"第{number}件：路灯不亮")
    file_at(world, team, description="还没到期的事项")
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Case.id)).where(Case.state == State.CLOSED)) == 50

    with Statements(db.engine) as fifty:
        assert sweep_at(T + timedelta(hours=1)) == NOTHING
    assert fifty.count == empty.count
    # Long after, the closed cases still cost nothing (the one open case is reminded and
    # escalated first, which is work, so it is left out by comparing the quiet sweep after it).
    assert sweep_at(ESCALATE)["escalated"] == 1
    assert sweep_at(ESCALATE_AGAIN)["escalated_again"] == 1
    assert sweep_at(ESCALATE_AGAIN + timedelta(days=30))["acknowledge_reminded"] == 1
    with Statements(db.engine) as later:
        assert sweep_at(ESCALATE_AGAIN + timedelta(days=60)) == NOTHING
    assert later.count == empty.count


# -- two sweeps at once ------------------------------------------------------------------------


def sweep_twice_at_once(app, monkeypatch, moment) -> list[dict]:
    """Two sweeps, each in its own thread, app context and session. They start together, and
    each waits for the other after every list of due cases it reads, so both act on the same
    lists: whatever one does, the other tries to do too."""
    db.session.commit()  # nothing of the test's own transaction in the way
    start = threading.Barrier(2, timeout=30)
    listed = threading.Barrier(2, timeout=30)
    original = sweep_module._ids

    def ids_then_wait(*where):
        found = original(*where)
        listed.wait()
        return found

    monkeypatch.setattr(sweep_module, "_ids", ids_then_wait)
    attempts = []
    escalate_overdue = service.escalate_overdue

    def counted(case, *, level):
        attempts.append((case.id, level))
        return escalate_overdue(case, level=level)

    monkeypatch.setattr(service, "escalate_overdue", counted)
    results: list = [None, None]

    def run(index):
        with app.app_context():
            try:
                start.wait()
                results[index] = sweep()
            except Exception as error:
                results[index] = repr(error)
                start.abort()
                listed.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    with clock.fixed(moment):  # the clock is process-wide: both threads read this moment
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    monkeypatch.setattr(sweep_module, "_ids", original)
    monkeypatch.setattr(service, "escalate_overdue", escalate_overdue)
    assert not any(thread.is_alive() for thread in threads), "a sweep is stuck"
    assert all(isinstance(r, dict) for r in results), results
    # Both sweeps went for every case due: the guards, not luck, let only one through.
    assert all(attempts.count(item) == 2 for item in attempts), attempts
    return results


def total(results, key) -> int:
    return sum(r[key] for r in results)


def test_two_sweeps_at_once_remind_once_and_escalate_once(app, world, team, monkeypatch, database):
    cases = [file_at(world, team, description=f"第{n}件：门禁失灵") for n in range(3)]

    results = sweep_twice_at_once(app, monkeypatch, ESCALATE)
    assert total(results, "reminded") == 3 and total(results, "escalated") == 3, results
    db.session.expire_all()
    for case in cases:
        assert len(events_of(case, "remind")) == 1, database.dialect
        assert len(events_of(case, "escalate")) == 1, database.dialect
        assert told(case, "remind") == [team.secretary.id]
        assert told(case, "escalate") == sorted([team.overseer.id, team.secretary.id])
        assert stored(case).escalation_level == 1

    results = sweep_twice_at_once(app, monkeypatch, ESCALATE_AGAIN)
    assert total(results, "escalated_again") == 3 and total(results, "reminded") == 0, results
    for case in cases:
        assert [e.data["level"] for e in events_of(case, "escalate")] == [1, 2]
        assert told(case, "escalate").count(team.street.id) == 1
        assert stored(case).escalation_level == 2
        assert len(events_of(case, "remind")) == 1


def test_two_sweeps_at_once_close_without_feedback_once(app, world, team, monkeypatch):
    case = walked(world, team, State.RESOLVED)
    results = sweep_twice_at_once(app, monkeypatch, T + timedelta(days=8))
    assert total(results, "closed_without_feedback") == 1, results
    assert (
        db.session.scalar(select(func.count(Feedback.id)).where(Feedback.case_id == case.id)) == 1
    )
    assert len(events_of(case, "close_no_feedback")) == 1
    assert told(case, "close_no_feedback") == [team.fitter.id]


# -- the command --------------------------------------------------------------------------------


def test_the_command_prints_the_counts(app, world, team):
    file_at(world, team)
    runner = app.test_cli_runner()
    with clock.fixed(OVERDUE):
        result = runner.invoke(args=["portal", "sweep", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Reminded 1, escalated 0 (again 0), closed without feedback 0; delivered 0, to retry 0, "
        "given up 0."
    )
    with clock.fixed(ESCALATE):
        result = runner.invoke(args=["portal", "sweep"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "提醒 0 件，上报 1 件（再次上报 0 件），未评价关闭 0 件；"
        "发送 0 条，待重试 0 条，放弃 0 条。"
    )
