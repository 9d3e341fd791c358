"""The periods figures are counted over: a month, a quarter, a year or a range of days, in
Asia/Shanghai (what people mean by "this month"), and the period just before each."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from babel.dates import format_skeleton
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from portal.clock import LOCAL_ZONE, local_date

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
YEAR = re.compile(r"^(\d{4})$")
# A custom range may not reach before this, nor run longer than this many days.
EARLIEST = date(2000, 1, 1)
LONGEST_DAYS = 3 * 366


def _month_start(year: int, month: int) -> date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, 1)


@dataclass(frozen=True)
class Period:
    """Days `first` to `last`, both included; `code` names it in an address ("2026-12",
    "2026-Q4", "2026", or "" for a range given by its days)."""

    first: date
    last: date
    code: str = ""

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), LOCAL_ZONE).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), LOCAL_ZONE).astimezone(UTC)

    @property
    def kind(self) -> str:
        for kind, pattern in (("month", MONTH), ("quarter", QUARTER), ("year", YEAR)):
            if pattern.match(self.code):
                return kind
        return "range"

    def previous(self) -> "Period":
        """The period of the same kind just before: last month, last quarter, last year, or
        as many days just before a range."""
        kind = self.kind
        if kind == "month":
            return month(self.first.year, self.first.month - 1)
        if kind == "quarter":
            return quarter(self.first.year, (self.first.month - 1) // 3)
        if kind == "year":
            return year(self.first.year - 1)
        days = self.last - self.first + timedelta(days=1)
        return Period(self.first - days, self.first - timedelta(days=1))

    @property
    def args(self) -> dict[str, str]:
        """The query arguments that name the period in an address."""
        if self.code:
            return {"period": self.code}
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}

    @property
    def label(self) -> str:
        kind = self.kind
        if kind == "month":
            return format_skeleton("yMMMM", self.first, locale=get_locale())
        if kind == "quarter":
            return _("%(year)d Q%(quarter)d", year=self.first.year, quarter=self.quarter)
        if kind == "year":
            return str(self.first.year)
        return _(
            "%(first)s to %(last)s",
            first=format_date(self.first, "medium"),
            last=format_date(self.last, "medium"),
        )

    @property
    def quarter(self) -> int:
        return (self.first.month - 1) // 3 + 1


def month(year_: int, month_: int) -> Period:
    first = _month_start(year_, month_)
    last = _month_start(first.year, first.month + 1) - timedelta(days=1)
    return Period(first, last, f"{first:%Y-%m}")


def quarter(year_: int, number: int) -> Period:
    """The `number`th quarter (0 is the last quarter of the year before)."""
    first = _month_start(year_, (number - 1) * 3 + 1)
    last = _month_start(first.year, first.month + 3) - timedelta(days=1)
    return Period(first, last, f"{first.year}-Q{(first.month - 1) // 3 + 1}")


def year(year_: int) -> Period:
    return Period(date(year_, 1, 1), date(year_, 12, 31), f"{year_:04d}")


def this_month() -> Period:
    today = local_date()
    return month(today.year, today.month)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def parse(code: str | None, first: str | None = None, last: str | None = None) -> Period | None:
    """The period an address names; this month when it names none; None when what it names
    is not a period the figures can be counted over."""
    if first or last:
        start, end = _day(first), _day(last)
        if start is None or end is None or end < start or start < EARLIEST:
            return None
        if (end - start).days >= LONGEST_DAYS or end > local_date() + timedelta(days=366):
            return None
        return Period(start, end)
    code = (code or "").strip()
    if not code:
        return this_month()
    found = MONTH.match(code) or QUARTER.match(code) or YEAR.match(code)
    if found is None or not EARLIEST.year <= int(found[1]) <= local_date().year + 1:
        return None
    if found.re is MONTH:
        return month(int(found[1]), int(found[2])) if 1 <= int(found[2]) <= 12 else None
    if found.re is QUARTER:
        return quarter(int(found[1]), int(found[2]))
    return year(int(found[1]))


def choices(today: date | None = None) -> list[tuple[str, list[Period]]]:
    """What the period picker offers, by kind: the last 13 months, 8 quarters and 3 years."""
    today = today or local_date()
    months = [month(today.year, today.month - n) for n in range(13)]
    quarters = [quarter(today.year, (today.month - 1) // 3 + 1 - n) for n in range(8)]
    years = [year(today.year - n) for n in range(3)]
    return [("month", months), ("quarter", quarters), ("year", years)]


def last_months(period: Period, count: int = 12) -> list[Period]:
    """The `count` months up to the one the period ends in, oldest first."""
    return [month(period.last.year, period.last.month - n) for n in range(count - 1, -1, -1)]
