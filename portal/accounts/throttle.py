"""Holding back guessing and flooding: failed sign-ins per phone and per client address,
sign-ups and visitors' filings per address, one-time codes texted per phone and per address.

Counts live in the `throttle` table, so that every gunicorn worker and every host behind the
proxy sees the same ones (a process's memory would give each worker its own allowance), and
they need nothing beside the database the portal already has. Keys are hashed: the table
holds no phone number or address. A rule lets `free` hits through, then holds the key back
for a delay that doubles with each further hit, and at `limit` locks it for `lock`; the lock
over, or the window past, the count starts again.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta

from babel.dates import format_timedelta
from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.accounts.models import Throttle
from portal.clock import now
from portal.extensions import db


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int  # hits in the window that lock the key
    window: timedelta
    lock: timedelta
    free: int  # hits let through before the growing delay starts
    first_delay: timedelta = timedelta(seconds=2)


def rule(name: str) -> Rule:
    """The rule called `name`, with the limits the settings give now."""
    config = current_app.config
    minutes = timedelta(minutes=config["THROTTLE_LOCK_MINUTES"])
    hour = timedelta(hours=1)
    if name == "sign_in_phone":
        limit = config["SIGN_IN_FAILURES_PER_PHONE"]
        return Rule(name, limit, hour, minutes, free=min(3, limit))
    if name == "sign_in_address":
        limit = config["SIGN_IN_FAILURES_PER_ADDRESS"]
        return Rule(name, limit, hour, minutes, free=limit)
    if name == "sign_up_address":
        limit = config["SIGN_UPS_PER_ADDRESS_HOUR"]
        return Rule(name, limit, hour, hour, free=limit)
    if name == "guest_filing_address":
        limit = config["GUEST_FILINGS_PER_ADDRESS_HOUR"]
        return Rule(name, limit, hour, hour, free=limit)
    if name == "photo_upload_address":
        limit = config["PHOTO_UPLOADS_PER_ADDRESS_HOUR"]
        return Rule(name, limit, hour, hour, free=limit)
    if name == "code_phone":
        # One code, then a resend after a minute, two, four…; at the limit, an hour's lock.
        limit = config["PHONE_CODES_PER_PHONE_HOUR"]
        return Rule(name, limit, hour, hour, free=1, first_delay=timedelta(minutes=1))
    if name == "code_address":
        limit = config["PHONE_CODES_PER_ADDRESS_HOUR"]
        return Rule(name, limit, hour, hour, free=limit)
    raise KeyError(name)


def _key(rule: Rule, subject: str) -> str:
    return f"{rule.name}:{hashlib.sha256(subject.encode()).hexdigest()[:40]}"


def held_back(rule: Rule, subject: str) -> timedelta | None:
    """How long `subject` must still wait under `rule`, or None when it may go ahead."""
    until = db.session.scalar(
        select(Throttle.blocked_until).where(Throttle.key == _key(rule, subject))
    )
    moment = now()
    return until - moment if until is not None and until > moment else None


def hit(rule: Rule, subject: str) -> timedelta | None:
    """Counts one hit (a failed sign-in, a sign-up) against `subject`, committed at once and
    safe when several workers count the same key together. Returns the wait it now faces, or
    None."""
    moment = now()
    key = _key(rule, subject)
    restart = or_(
        Throttle.window_started_at < moment - rule.window,
        and_(Throttle.count >= rule.limit, Throttle.blocked_until <= moment),
    )
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Throttle)
        .values(key=key, count=1, window_started_at=moment, blocked_until=None)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "count": case((restart, 1), else_=Throttle.count + 1),
                "window_started_at": case((restart, moment), else_=Throttle.window_started_at),
            },
        )
        .returning(Throttle.count)
    )
    count = db.session.execute(statement).scalar_one()
    wait = None
    if count >= rule.limit:
        wait = rule.lock
    elif count > rule.free:
        wait = min(rule.first_delay * 2 ** (count - rule.free - 1), rule.lock)
    if wait is not None:
        db.session.execute(
            update(Throttle).where(Throttle.key == key).values(blocked_until=moment + wait)
        )
    db.session.commit()
    return wait


def held_back_any(*checks: tuple[str, str]) -> timedelta | None:
    """The wait of the first (rule name, subject) of an act that holds it back, or None: a
    sign-in is held back by its phone's count or by its address's."""
    for name, subject in checks:
        wait = held_back(rule(name), subject)
        if wait is not None:
            return wait
    return None


def hit_all(*checks: tuple[str, str]) -> timedelta | None:
    """Counts the act once under each (rule name, subject); the longest wait it now faces."""
    waits = [wait for name, subject in checks if (wait := hit(rule(name), subject)) is not None]
    return max(waits, default=None)


def clear(rule: Rule, subject: str) -> None:
    """Forgets `subject`'s count (a phone that signed in with the right password)."""
    db.session.execute(
        update(Throttle)
        .where(Throttle.key == _key(rule, subject))
        .values(count=0, blocked_until=None, window_started_at=now())
    )
    db.session.commit()


def client_address() -> str:
    """The address the request came from (the client's, behind PORTAL_PROXY_HOPS proxies)."""
    return request.remote_addr or ""


def wait_message(wait: timedelta) -> str:
    """What a person held back is told, in their language: when to try again."""
    # Rounded up, never down: told "in 1 minute" for 64 seconds, a person would be held back
    # again at the time they were given.
    seconds = math.ceil(wait.total_seconds())
    if seconds >= 60:
        seconds = math.ceil(seconds / 60) * 60
    return _(
        "Too many tries. For your safety, please try again %(when)s.",
        when=format_timedelta(
            timedelta(seconds=seconds), add_direction=True, threshold=1.0, locale=get_locale()
        ),
    )
