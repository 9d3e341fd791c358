"""Times go in and come out as UTC on every database."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.accounts.models import Person
from portal.extensions import db
from tests import factories


def test_aware_times_round_trip_as_utc(app):
    someone = factories.person()
    shanghai = timezone(timedelta(hours=8))
    someone.created_at = datetime(2026, 3, 1, 9, 30, tzinfo=shanghai)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(select(Person.created_at).where(Person.id == someone.id))
    assert stored == datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    assert stored.tzinfo is not None


def test_naive_times_are_refused(app):
    someone = factories.person()
    someone.created_at = datetime(2026, 3, 1, 9, 30)
    with pytest.raises(Exception, match="naive"):
        db.session.commit()
    db.session.rollback()
