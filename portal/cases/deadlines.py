"""Stage deadlines (DESIGN.md section 3), computed in Asia/Shanghai time and stored in UTC.

The tiers, as defaults (settings, docs/operations.md):

- triage within 24 hours of filing, 2 when the resident says it is urgent;
- the response, the first contact with the resident, within 24 hours of filing, 2 when the
  case is urgent;
- resolution: an urgent case (a risk to life or property) within 24 hours of acceptance;
  water, power, gas or heating within the hours of its category's rule (24); 较急 within 3
  working days; otherwise the category's working days (ordinary 7, and 15 where the three
  parties consult), by the end of the last local day.

Hour deadlines run on the clock. Day deadlines count working days on the Chinese calendar
(`portal.workdays`): a day of a year whose calendar is missing counts as a calendar day, and
the deadline says so. Pure Python: the calendar and the tiers are handed in.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from portal.cases.categories import Rule
from portal.cases.models import Priority
from portal.clock import LOCAL_ZONE
from portal.workdays.calendar import WorkingCalendar


@dataclass(frozen=True)
class Tiers:
    triage_hours_urgent: int = 2
    triage_hours: int = 24
    response_hours_urgent: int = 2
    response_hours: int = 24
    urgent_hours: int = 24
    high_days: int = 3
    complex_days: int = 15

    @classmethod
    def from_config(cls, config) -> "Tiers":
        return cls(
            config["TRIAGE_HOURS_URGENT"],
            config["TRIAGE_HOURS"],
            config["RESPONSE_HOURS_URGENT"],
            config["RESPONSE_HOURS"],
            config["URGENT_RESOLUTION_HOURS"],
            config["HIGH_PRIORITY_DAYS"],
            config["COMPLEX_DAYS"],
        )


@dataclass(frozen=True)
class Span:
    """How long a stage may take: hours on the clock, or working days."""

    hours: int = 0
    days: int = 0

    def last_day(self, start: datetime) -> date:
        """The latest local day a calendar for these working days must reach (with room for
        Spring Festival and National Day weeks)."""
        return start.astimezone(LOCAL_ZONE).date() + timedelta(days=self.days * 2 + 21)


@dataclass(frozen=True)
class Due:
    at: datetime
    # Counted in calendar days on some day of a year whose working calendar is missing.
    calendar_days: bool = False


def triage_due(filed_at: datetime, urgent: bool, tiers: Tiers) -> datetime:
    return filed_at + timedelta(hours=tiers.triage_hours_urgent if urgent else tiers.triage_hours)


def response_due(filed_at: datetime, urgent: bool, tiers: Tiers) -> datetime:
    hours = tiers.response_hours_urgent if urgent else tiers.response_hours
    return filed_at + timedelta(hours=hours)


def resolution_span(rule: Rule, priority: Priority, needs_consultation: bool, tiers: Tiers) -> Span:
    if priority is Priority.URGENT:
        return Span(hours=tiers.urgent_hours)
    if rule.resolution_hours:
        return Span(hours=rule.resolution_hours)
    days = max(rule.resolution_days, tiers.complex_days if needs_consultation else 0)
    if priority is Priority.HIGH:
        days = min(days, tiers.high_days)
    return Span(days=days)


def _end_of(day: date, zone) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_ZONE).astimezone(zone)


def after_pause(
    due_at: datetime,
    span: Span,
    paused_at: datetime,
    resumed_at: datetime,
    calendar: WorkingCalendar | None,
) -> Due:
    """The deadline once a pause (waiting on the resident) is over. In hours: moved on by the
    time paused. In days: moved on by the working days the pause took, each working day from
    the one it began on up to the day before it ended (a pause within a day costs none; from
    a Friday to the Monday, one)."""
    if span.hours:
        return Due(due_at + (resumed_at - paused_at))
    calendar = calendar or WorkingCalendar(frozenset())
    first = paused_at.astimezone(LOCAL_ZONE).date()
    days = [
        first + timedelta(days=i)
        for i in range((resumed_at.astimezone(LOCAL_ZONE).date() - first).days)
    ]
    lost = sum(1 for d in days if calendar.is_working(d))
    last, guessed = calendar.add_working_days(due_at.astimezone(LOCAL_ZONE).date(), lost)
    return Due(_end_of(last, due_at.tzinfo), guessed or not all(calendar.knows(d) for d in days))


def due(start: datetime, span: Span, calendar: WorkingCalendar | None) -> Due:
    """When a stage of `span` that starts at `start` is due. Without a calendar, days are
    calendar days (and the deadline says so)."""
    if span.hours:
        return Due(start + timedelta(hours=span.hours))
    calendar = calendar or WorkingCalendar(frozenset())
    last, guessed = calendar.add_working_days(start.astimezone(LOCAL_ZONE).date(), span.days)
    return Due(_end_of(last, start.tzinfo), guessed)
