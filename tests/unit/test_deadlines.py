"""Deadlines by tier on the Chinese working calendar (DESIGN.md section 3), worked out by hand
from the State Council's schedules for 2026, as the `holidays` package carries them."""

from datetime import date, timedelta

import pytest

from portal.cases import deadlines
from portal.cases.categories import DEFAULT_RULES, Category
from portal.cases.models import Priority
from portal.workdays import service as workdays
from portal.workdays.calendar import WorkingCalendar
from tests import factories

TIERS = deadlines.Tiers()


local, end_of = factories.shanghai, factories.end_of_day


def package_calendar(first: date, last: date) -> WorkingCalendar:
    """The package's years alone (no database): what a fresh install counts on."""
    known, off, on = set(), set(), set()
    for year in range(first.year, last.year + 1):
        found = workdays._package(year)
        if found:
            known.add(year)
            off.update(found[0])
            on.update(found[1])
    return WorkingCalendar(frozenset(known), frozenset(off), frozenset(on))


def resolution(start, category=Category.REPAIR, priority=Priority.NORMAL, consult=False):
    span = deadlines.resolution_span(DEFAULT_RULES[category], priority, consult, TIERS)
    last = span.last_day(start)
    return deadlines.due(start, span, package_calendar(start.date(), last))


def test_the_package_knows_the_2026_schedule_with_its_adjusted_working_days():
    # 国办发明电〔2025〕7号: National Day and Mid-Autumn 10.1-10.7 off, 9.20 (Sun) and 10.10
    # (Sat) worked; Spring Festival 2.15-2.23 off, 2.14 (Sat) and 2.28 (Sat) worked.
    calendar = package_calendar(date(2026, 1, 1), date(2026, 12, 31))
    assert calendar.knows(date(2026, 6, 1))
    assert [d.day for d in _days(calendar, date(2026, 10, 1), 10) if calendar.is_working(d)] == [
        8,
        9,
        10,
    ]
    assert calendar.is_working(date(2026, 9, 20)) and calendar.is_working(date(2026, 2, 28))
    assert not any(calendar.is_working(date(2026, 2, d)) for d in range(15, 24))


def _days(calendar, first, n):
    return [first + timedelta(days=i) for i in range(n)]


def test_seven_working_days_over_the_national_day_week():
    # Accepted Wed 30 Sep: 1-7 Oct off; Thu 8, Fri 9, Sat 10 (worked in exchange), Mon 12,
    # Tue 13, Wed 14, Thu 15: the seventh working day is 15 October.
    due = resolution(local(2026, 9, 30))
    assert due == deadlines.Due(end_of(2026, 10, 15), calendar_days=False)


def test_seven_working_days_over_the_spring_festival():
    # Accepted Fri 13 Feb: Sat 14 is worked (1); 15-23 off; 24, 25, 26, 27 (5); Sat 28 worked
    # (6); Sun 1 Mar off; Mon 2 Mar (7).
    assert resolution(local(2026, 2, 13)).at == end_of(2026, 3, 2)


def test_a_higher_priority_shortens_the_deadline_and_a_consultation_lengthens_it():
    start = local(2026, 9, 30)
    # 较急: 3 working days — 8, 9 and the Saturday 10 October worked in exchange.
    assert resolution(start, priority=Priority.HIGH).at == end_of(2026, 10, 10)
    # Urgent: 24 hours on the clock, holiday or not.
    assert resolution(start, priority=Priority.URGENT).at == start + timedelta(hours=24)
    # Complex: 15 working days (8, 9, 10, 12-16, 19-23, 26, 27).
    assert resolution(start, consult=True).at == end_of(2026, 10, 27)
    assert resolution(start, Category.MAINTENANCE_FUND).at == end_of(2026, 10, 27)


def test_water_power_gas_and_heating_run_on_the_clock():
    start = local(2026, 10, 1, 21, 30)  # a holiday evening
    assert resolution(start, Category.UTILITIES).at == start + timedelta(hours=24)


def test_hour_deadlines_run_on_the_clock_through_a_holiday():
    filed = local(2026, 10, 2, 23, 0)
    assert deadlines.response_due(filed, True, TIERS) == filed + timedelta(hours=2)
    assert deadlines.triage_due(filed, True, TIERS) == filed + timedelta(hours=2)
    assert deadlines.response_due(filed, False, TIERS) == filed + timedelta(hours=24)
    assert deadlines.triage_due(filed, False, TIERS) == filed + timedelta(hours=24)


def test_a_year_nobody_knows_is_counted_in_calendar_days_and_says_so():
    # 2099: no package, no import. Weekends count too; the deadline says how it was counted.
    due = resolution(local(2099, 3, 6))  # a Friday
    assert due == deadlines.Due(end_of(2099, 3, 13), calendar_days=True)
    # Straddling a known year and an unknown one: flagged as soon as one unknown day counts.
    known = WorkingCalendar(frozenset({2098}))
    assert known.add_working_days(date(2098, 12, 30), 1) == (date(2098, 12, 31), False)
    assert known.add_working_days(date(2098, 12, 30), 3) == (date(2099, 1, 2), True)


@pytest.mark.parametrize("days", [0, 1, 5, 20])
def test_counting_never_ends_on_a_day_off(days):
    calendar = package_calendar(date(2026, 1, 1), date(2026, 12, 31))
    for start in _days(calendar, date(2026, 1, 1), 330):
        last, guessed = calendar.add_working_days(start, days)
        assert not guessed
        if days:
            assert calendar.is_working(last)
            worked = _days(calendar, start + timedelta(days=1), (last - start).days)
            assert sum(calendar.is_working(d) for d in worked) == days
