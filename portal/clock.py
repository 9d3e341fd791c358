"""Time: one source of "now", UTC storage, Asia/Shanghai display."""

from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


_fixed: list[datetime] = []


def now() -> datetime:
    """The current time, timezone-aware in UTC (or the time set by `fixed`)."""
    return _fixed[-1] if _fixed else datetime.now(UTC)


@contextmanager
def fixed(moment: datetime):
    """Run a block at a chosen moment: the demo's history, tests with a controlled clock."""
    _fixed.append(moment.astimezone(UTC))
    try:
        yield
    finally:
        _fixed.pop()


def local_date(moment: datetime | None = None) -> date:
    """The calendar date in Asia/Shanghai, which is what people mean by 'today'."""
    return (moment or now()).astimezone(LOCAL_ZONE).date()


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC on every backend and always returns them aware.

    SQLite has no time zones and hands back naive values; PostgreSQL's timestamptz does.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use portal.clock.now()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
