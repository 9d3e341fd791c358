"""Issuing, checking and revoking API keys; which compounds a key covers; the rate limit."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, select, update

from portal.clock import now
from portal.extensions import db
from portal.open311.models import ApiKey
from portal.organisation.models import Community, Compound, SubDistrict

PREFIX_LENGTH = 8


def _hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def issue(
    name: str,
    scope: Compound | Community | SubDistrict,
    *,
    may_read: bool,
    may_file: bool,
    by=None,
) -> tuple[ApiKey, str]:
    """A new key for a client system. Returns it and the key itself, which is shown once."""
    plain = secrets.token_urlsafe(32)
    key = ApiKey(
        name=name.strip(),
        prefix=plain[:PREFIX_LENGTH],
        key_hash=_hash(plain),
        may_read=may_read,
        may_file=may_file,
        created_by_id=by.id if by else None,
        compound_id=scope.id if isinstance(scope, Compound) else None,
        community_id=scope.id if isinstance(scope, Community) else None,
        sub_district_id=scope.id if isinstance(scope, SubDistrict) else None,
    )
    db.session.add(key)
    db.session.commit()
    return key, plain


def revoke(key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = now()
        db.session.commit()


def everyone() -> list[ApiKey]:
    active_first = ApiKey.revoked_at.is_not(None)
    return list(db.session.scalars(select(ApiKey).order_by(active_first, ApiKey.id)))


def by_id(key_id: int) -> ApiKey | None:
    return db.session.get(ApiKey, key_id)


@dataclass(frozen=True)
class Caller:
    """What a call needs of its key, read in one plain statement: the rate limit's commit
    leaves it as it is (an ORM row would be read again after it), and no scope is joined."""

    id: int
    name: str
    compound_id: int | None
    community_id: int | None
    sub_district_id: int | None
    may_read: bool
    may_file: bool


def caller(plain: str | None) -> Caller | None:
    """The active key given, as a Caller, or None (unknown, revoked or empty alike)."""
    if not plain:
        return None
    found = db.session.execute(
        select(
            ApiKey.id,
            ApiKey.name,
            ApiKey.compound_id,
            ApiKey.community_id,
            ApiKey.sub_district_id,
            ApiKey.may_read,
            ApiKey.may_file,
        ).where(ApiKey.key_hash == _hash(plain), ApiKey.revoked_at.is_(None))
    ).first()
    return Caller(*found) if found else None


def find(plain: str | None) -> ApiKey | None:
    """The active key given, or None (unknown, revoked or empty alike)."""
    if not plain:
        return None
    key = db.session.scalars(select(ApiKey).where(ApiKey.key_hash == _hash(plain))).first()
    return key if key is not None and key.active else None


def spend(key: ApiKey | Caller) -> int | None:
    """Counts one call against the key's limit and notes when it was last used, in one
    statement that holds across workers. Returns None when the call may go ahead, or the
    seconds until the next window when the limit is reached."""
    moment = now()
    window = moment.replace(second=0, microsecond=0)
    calls = db.session.execute(
        update(ApiKey)
        .where(ApiKey.id == key.id)
        .values(
            window_calls=case((ApiKey.window_start == window, ApiKey.window_calls + 1), else_=1),
            window_start=window,
            last_used_at=moment,
        )
        .returning(ApiKey.window_calls)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.commit()
    if calls > current_app.config["OPEN311_CALLS_PER_MINUTE"]:
        return max(1, int((window + timedelta(minutes=1) - moment).total_seconds()))
    return None


def compound_ids(key: ApiKey | Caller):
    """The compounds a key covers, as a subquery for `Case.compound_id.in_(…)`."""
    if key.compound_id is not None:
        return select(Compound.id).where(Compound.id == key.compound_id)
    if key.community_id is not None:
        return select(Compound.id).where(Compound.community_id == key.community_id)
    return select(Compound.id).where(
        Compound.community_id.in_(
            select(Community.id).where(Community.sub_district_id == key.sub_district_id)
        )
    )


def covers(key: ApiKey | Caller, compound: Compound) -> bool:
    if key.compound_id is not None:
        return compound.id == key.compound_id
    if key.community_id is not None:
        return compound.community_id == key.community_id
    return compound.community.sub_district_id == key.sub_district_id
