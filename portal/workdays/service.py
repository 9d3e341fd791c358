"""The working calendar in force: the package's years, overlaid by the years kept here.

A year kept in the database (imported, or edited by an administrator) is taken from there
alone; any other year from the `holidays` package when it knows that year's schedule (it lists
the year's adjusted working days once the State Council has published them); a year known to
neither is counted in calendar days.
"""

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import holidays
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from portal.clock import now
from portal.csvimport import ImportRejected, read_rows
from portal.extensions import db
from portal.workdays.calendar import WorkingCalendar
from portal.workdays.models import CalendarDay, CalendarWarning, CalendarYear, YearSource

# How a file names the two kinds of day (English or the words on the State Council's notice).
KINDS = {"holiday": False, "休": False, "休息": False, "workday": True, "班": True, "上班": True}
REQUIRED = ("date", "kind")
OPTIONAL = ("name",)


@dataclass(frozen=True)
class Day:
    """A day that breaks the week's rule, as a page shows it."""

    day: date
    working: bool
    name: str


@functools.cache
def _package(year: int, language: str = "zh_CN") -> tuple[dict[date, str], frozenset[date]] | None:
    """The package's holidays (with their names) and adjusted working days for a year, or None
    when it does not know the year's schedule."""
    known = holidays.country_holidays("CN", years=year, language=language)
    on = frozenset(d for d in known.weekend_workdays if d.year == year)
    if not on:
        return None
    return {d: str(name) for d, name in known.items() if d.year == year}, on


def package_knows(year: int) -> bool:
    return _package(year) is not None


def _kept_years(first: int, last: int) -> dict[int, CalendarYear]:
    rows = db.session.scalars(select(CalendarYear).where(CalendarYear.year.between(first, last)))
    return {row.year: row for row in rows}


def calendar_for(start: date, end: date) -> WorkingCalendar:
    """The calendar from the first of `start`'s year to the last of `end`'s: one query when no
    year of them is kept here, two when one is."""
    kept = _kept_years(start.year, end.year)
    known: set[int] = set(kept)
    off: set[date] = set()
    on: set[date] = set()
    if kept:
        for day in db.session.scalars(
            select(CalendarDay).where(
                CalendarDay.day.between(date(min(kept), 1, 1), date(max(kept), 12, 31))
            )
        ):
            if day.day.year in kept:
                (on if day.working else off).add(day.day)
    for year in range(start.year, end.year + 1):
        package = None if year in kept else _package(year)
        if package is not None:
            known.add(year)
            off.update(package[0])
            on.update(package[1])
    return WorkingCalendar(frozenset(known), frozenset(off), frozenset(on))


# -- what the administrators' page shows ---------------------------------------------------


@dataclass(frozen=True)
class YearState:
    year: int
    source: str  # "package", a YearSource value, or "missing"
    holidays: int
    workdays: int
    updated_at: datetime | None = None


def _language() -> str:
    locale = get_locale()
    return "zh_CN" if locale is None or locale.language == "zh" else "en_US"


def days_of(year: int) -> tuple[str, list[Day]]:
    """Where a year's calendar comes from, and its days (holidays named in the reader's
    language when they come from the package)."""
    kept = db.session.get(CalendarYear, year)
    if kept is not None:
        rows = db.session.scalars(
            select(CalendarDay)
            .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(CalendarDay.day)
        )
        return kept.source.value, [Day(r.day, r.working, r.name) for r in rows]
    package = _package(year, _language())
    if package is None:
        return "missing", []
    names, on = package
    found = [Day(d, False, n) for d, n in names.items()] + [Day(d, True, "") for d in on]
    return "package", sorted(found, key=lambda e: e.day)


def years(today: date) -> list[YearState]:
    """Last year, this year, next year and any other year kept here, newest first."""
    kept = {row.year: row for row in db.session.scalars(select(CalendarYear))}
    shown = sorted(set(kept) | {today.year - 1, today.year, today.year + 1}, reverse=True)
    states = []
    for year in shown:
        source, days = days_of(year)
        working = sum(1 for d in days if d.working)
        states.append(
            YearState(
                year,
                source,
                len(days) - working,
                working,
                kept[year].updated_at if year in kept else None,
            )
        )
    return states


def missing(today: date, warn_days: int) -> list[int]:
    """The years whose calendar is needed and missing: this year, and next year once it is
    less than `warn_days` away."""
    wanted = [today.year]
    if date(today.year + 1, 1, 1) - today <= timedelta(days=warn_days):
        wanted.append(today.year + 1)
    unknown = [y for y in wanted if not package_knows(y)]
    if not unknown:
        return []
    kept = _kept_years(min(unknown), max(unknown))
    return [y for y in unknown if y not in kept]


def not_warned(years_missing: list[int]) -> list[int]:
    """Those of the years nobody has been warned of yet; marks them warned."""
    warned = set(
        db.session.scalars(
            select(CalendarWarning.year).where(CalendarWarning.year.in_(years_missing))
        )
    )
    fresh = [y for y in years_missing if y not in warned]
    db.session.add_all(CalendarWarning(year=y, warned_at=now()) for y in fresh)
    return fresh


# -- changes -------------------------------------------------------------------------------


def _keep(year: int, by, source: YearSource) -> None:
    """The year kept here from now on: a year the package knows is copied first."""
    kept = db.session.get(CalendarYear, year)
    if kept is None:
        package = _package(year)
        if package is not None:
            names, on = package
            db.session.add_all(CalendarDay(day=d, working=False, name=n) for d, n in names.items())
            db.session.add_all(CalendarDay(day=d, working=True, name="") for d in on)
        kept = CalendarYear(year=year, source=source)
        db.session.add(kept)
    kept.source = source if source is YearSource.IMPORTED else kept.source
    kept.updated_by_id, kept.updated_at = (by.id if by else None), now()
    db.session.flush()


def set_day(day: date, *, working: bool, name: str, by) -> None:
    """A holiday or an adjusted working day, added or changed by an administrator."""
    _keep(day.year, by, YearSource.EDITED)
    row = db.session.get(CalendarDay, day)
    if row is None:
        db.session.add(CalendarDay(day=day, working=working, name=name.strip()))
    else:
        row.working, row.name = working, name.strip()
    db.session.commit()


def remove_day(day: date, *, by) -> None:
    """The day follows the week's rule again."""
    _keep(day.year, by, YearSource.EDITED)
    db.session.execute(delete(CalendarDay).where(CalendarDay.day == day))
    db.session.commit()


def import_file(raw: bytes, *, by=None) -> dict[str, int]:
    """A CSV file of days (`date,kind,name`; kind `holiday`/`休` or `workday`/`班`), one or
    more whole years: each year in it replaces what was kept or known of that year. Checked
    whole before anything is written (ImportRejected lists every bad line)."""
    rows, problems = read_rows(raw, REQUIRED, OPTIONAL)
    days: dict[date, tuple[bool, str]] = {}
    for line, values in rows:
        try:
            day = date.fromisoformat(values["date"])
        except ValueError:
            problems.append((line, _l("the date is not a date like 2027-10-01")))
            continue
        working = KINDS.get(values["kind"].lower())
        if working is None:
            problems.append((line, _l("the kind is neither holiday nor workday")))
        elif working and day.weekday() < 5:
            problems.append((line, _l("a working day in exchange falls on a Saturday or Sunday")))
        elif day in days:
            problems.append((line, _l("this date is on an earlier line too")))
        elif len(values.get("name", "")) > 100:
            problems.append((line, _l("the name is longer than 100 characters")))
        else:
            days[day] = (working, values.get("name", ""))
    if not problems and not days:
        problems.append((2, _l("the file holds no days")))
    if problems:
        raise ImportRejected(problems)
    imported = sorted({d.year for d in days})
    for year in imported:
        # Kept from now on (with the package's days, if it knew the year), then replaced.
        _keep(year, by, YearSource.IMPORTED)
        db.session.execute(
            delete(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
        )
    db.session.add_all(CalendarDay(day=d, working=w, name=n) for d, (w, n) in days.items())
    db.session.commit()
    workdays = sum(1 for w, _n in days.values() if w)
    return {"years": len(imported), "holidays": len(days) - workdays, "workdays": workdays}
