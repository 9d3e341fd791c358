"""`flask portal sweep`: the time-driven work nobody clicks — reminders when a deadline passes,
escalation to the community and then the sub-district, 报到 (an escalated case nobody at its
level acknowledged: a reminder, then a level up), "no feedback" closures, cases taken
out of a consultation that stalled (a resolution left unsigned past its deadline, an on-line
window closed without the meeting concluding), delivery of
the outbox, photos sent ahead of a filing that never came, a warning to administrators when
the working calendar of this year or the next is missing, and (when a retention period is
set) the removal of reporters' details from cases finished long ago. Idempotent, safe when
two run at once, and a handful of indexed queries when nothing is due."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from portal.accounts import service as accounts
from portal.cases import pending
from portal.cases import service as cases
from portal.cases.events import EventKind
from portal.cases.models import Case
from portal.cases.workflow import CLOCK_RUNS, Action, states_allowing
from portal.clock import local_date, now
from portal.consultation import service as consultations
from portal.errors import ServiceError
from portal.extensions import db, rows_changed
from portal.feedback import service as feedback
from portal.notifications.delivery import deliver
from portal.notifications.service import notify
from portal.personal_data import service as personal_data
from portal.workdays import service as workdays

# Only cases whose clock runs are reminded and escalated (DESIGN.md section 3: it pauses while
# a case waits on a scheduled consultation).
RUNNING = [s.value for s in CLOCK_RUNS]
AWAITING_FEEDBACK = [s.value for s in states_allowing(Action.CLOSE_NO_FEEDBACK)]


def _ids(*where) -> list[int]:
    return list(db.session.scalars(select(Case.id).where(*where).order_by(Case.id)))


def remind(moment) -> int:
    """Once per stage: the first sweep after a deadline passes reminds the case's owners."""
    reminded = 0
    for case_id in _ids(
        Case.state.in_(RUNNING),
        Case.due_at < moment,
        or_(Case.reminded_for.is_(None), Case.reminded_for != Case.due_at),
    ):
        # Compare-and-set on reminded_for: of two sweeps, only one changes the row. It leaves
        # the version alone, so nobody's open form goes stale over a reminder.
        claimed = rows_changed(
            db.session.execute(
                update(Case)
                .where(
                    Case.id == case_id,
                    Case.state.in_(RUNNING),
                    Case.due_at < moment,
                    or_(Case.reminded_for.is_(None), Case.reminded_for != Case.due_at),
                )
                .values(reminded_for=Case.due_at)
                .execution_options(synchronize_session=False)
            )
        )
        if claimed:
            case = db.session.get_one(Case, case_id)
            due = case.due_at.isoformat() if case.due_at else None
            cases.record(case, None, kind=EventKind.REMIND, public=False, due=due)
            reminded += 1
        db.session.commit()
    return reminded


def _each(ids, operation) -> int:
    """`operation` on each case; how many it went through for. A case another sweep got to
    first, or that moved on meanwhile, is left as it is."""
    done = 0
    for case_id in ids:
        case = db.session.get(Case, case_id)
        try:
            operation(case)
        except ServiceError:
            db.session.rollback()
            continue
        done += 1
    return done


def _escalate(ids, level) -> int:
    return _each(ids, lambda case: cases.escalate_overdue(case, level=level))


def escalate(moment) -> tuple[int, int]:
    config = current_app.config
    first = _ids(
        Case.state.in_(RUNNING),
        Case.escalation_level == 0,
        Case.due_at < moment - timedelta(hours=config["ESCALATE_AFTER_HOURS"]),
    )
    second = _ids(
        Case.state.in_(RUNNING),
        Case.escalation_level == 1,
        Case.due_at < moment,
        Case.escalated_at < moment - timedelta(hours=config["ESCALATE_AGAIN_AFTER_HOURS"]),
    )
    return _escalate(first, 1), _escalate(second, 2)


def acknowledge_overdue(moment) -> tuple[int, int]:
    """报到 not given in time: the overseers at the case's level are reminded once, with as many
    working days again to acknowledge it; when those pass too, a case at the community goes to
    the sub-district (nothing is above the sub-district: it stays reminded)."""
    due = db.session.execute(
        select(Case.id, Case.acknowledge_reminded_at, Case.escalation_level)
        .where(
            Case.acknowledge_due_at.is_not(None),
            Case.acknowledged_at.is_(None),
            Case.acknowledge_due_at < moment,
            Case.state.in_(RUNNING),
            # Reminded at the sub-district, a case has nowhere further to go.
            or_(Case.acknowledge_reminded_at.is_(None), Case.escalation_level < 2),
        )
        .order_by(Case.id)
    ).all()
    to_remind = [(case_id, level) for case_id, was_reminded, level in due if was_reminded is None]
    reminded = 0
    days = current_app.config["ACKNOWLEDGE_DAYS"]
    again = cases.working_days_from(moment, days).at if to_remind else None
    for case_id, level in to_remind:
        # Compare-and-set, leaving the version alone: of two sweeps only one reminds.
        claimed = rows_changed(
            db.session.execute(
                update(Case)
                .where(
                    Case.id == case_id,
                    Case.acknowledged_at.is_(None),
                    Case.acknowledge_reminded_at.is_(None),
                )
                .values(acknowledge_reminded_at=moment, acknowledge_due_at=again)
                .execution_options(synchronize_session=False)
            )
        )
        if claimed:
            case = db.session.get_one(Case, case_id)
            cases.record(case, None, kind=EventKind.REMIND_ACKNOWLEDGE, public=False, level=level)
            reminded += 1
        db.session.commit()
    passed_up = _each(
        [case_id for case_id, was_reminded, level in due if was_reminded and level < 2],
        cases.escalate_unacknowledged,
    )
    return reminded, passed_up


def close_without_feedback(moment) -> int:
    return _each(
        _ids(Case.state.in_(AWAITING_FEEDBACK), Case.feedback_due_at < moment),
        feedback.close_without_feedback,
    )


def warn_missing_calendar(moment) -> int:
    """Once per year: administrators told that a year's working calendar is missing (this
    year, or next year within CALENDAR_WARN_DAYS of it). How many years they were told of."""
    years = workdays.missing(local_date(moment), current_app.config["CALENDAR_WARN_DAYS"])
    if not years:
        return 0
    fresh = workdays.not_warned(years)
    for year in fresh:
        for person in accounts.administrators():
            notify(person, "calendar_missing", {"year": year}, "/admin/calendar")
    db.session.commit()
    return len(fresh)


def sweep() -> dict[str, int]:
    moment = now()
    counts = {"reminded": remind(moment)}
    counts["escalated"], counts["escalated_again"] = escalate(moment)
    counts["acknowledge_reminded"], counts["unacknowledged_escalated"] = acknowledge_overdue(moment)
    counts["closed_without_feedback"] = close_without_feedback(moment)
    counts["resolutions_lapsed"] = consultations.lapse_unsigned(moment)
    counts["released_after_window"] = consultations.release_after_window(moment)
    counts.update(deliver())
    counts["forgotten_sign_ins"] = accounts.forget_old_sign_ins(moment)
    counts["expired_pending_photos"] = pending.expire(moment)
    counts["calendar_missing"] = warn_missing_calendar(moment)
    days = current_app.config["ANONYMISE_CLOSED_AFTER_DAYS"]
    if days > 0:  # off unless the operators set a retention period
        counts["anonymised"] = personal_data.anonymise_finished(moment, days)
    return counts
