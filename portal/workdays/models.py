"""A year's working calendar as kept here: imported, or copied from the package and edited."""

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import UTCDateTime, now
from portal.extensions import Model, enum_type


class YearSource(enum.StrEnum):
    IMPORTED = "imported"  # a file with the State Council's schedule (admin page or CLI)
    EDITED = "edited"  # the package's year, copied here when an administrator changed a day


class CalendarYear(Model):
    """A year kept in the database: its days below are the whole of its exceptions."""

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[YearSource] = mapped_column(enum_type(YearSource, 20))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CalendarDay(Model):
    """A day that breaks the week's rule: a holiday on a weekday (or any holiday, named), or
    a weekend day worked (调休)."""

    __tablename__ = "calendar_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool]
    name: Mapped[str] = mapped_column(String(100), default="")


class CalendarWarning(Model):
    """Administrators were told that this year's calendar is missing (once per year)."""

    __tablename__ = "calendar_warning"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    warned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
