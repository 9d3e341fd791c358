"""One-time codes texted to a phone: a sign-up proves the phone is the person's before the
account exists (so that a visitor's cases filed with that phone join it), and a forgotten
password is reset by one.

A code is six digits, lasts PHONE_CODE_MINUTES, is kept only as an HMAC keyed with the
app's secret (six digits hashed without a key are read back from a copied table in a moment),
and is used once: taking it is a compare-and-set update, so two tabs sending it together
cannot both succeed. PHONE_CODE_TRIES wrong tries kill it. Sending is throttled per phone and
per client address by the caller.

Nothing here says whether a phone is registered: asked for a sign-up code, a registered phone
gets a text telling its owner that they already have an account, and the page answers as for
a new phone; asked for a reset code, an unknown phone gets nothing, and the page answers as
for a known one. Either way a row exists whose code nobody holds.
"""

import enum
import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, update

from portal.accounts.models import PhoneCode
from portal.clock import now
from portal.errors import Invalid
from portal.extensions import db, rows_changed
from portal.notifications import channels
from portal.settings import public_base_url


class Purpose(enum.StrEnum):
    SIGN_UP = "sign_up"
    RESET = "reset"


class CodeRefused(Invalid):
    """The code given is not (or no longer) one that opens anything."""


def _hash(purpose: str, phone: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _text(phone: str, body: str) -> None:
    try:
        channels.send_now("webhook", phone, body[:120], body)
    except Exception as error:  # a gateway down or none configured: say so, keep the form
        current_app.logger.error("A one-time code could not be sent: %s", error)
        raise Invalid(
            _l("The text message could not be sent just now. Please try again in a few minutes.")
        ) from error


def _code_text(code: str, purpose: str, minutes: int) -> str:
    if purpose == Purpose.SIGN_UP:
        return _(
            "Your code to sign up at the neighbourhood case portal is %(code)s. It works for "
            "%(minutes)s minutes. Never give it to anyone.",
            code=code,
            minutes=minutes,
        )
    return _(
        "Your code to set a new password at the neighbourhood case portal is %(code)s. It works "
        "for %(minutes)s minutes. If you did not ask for it, ignore this message.",
        code=code,
        minutes=minutes,
    )


def _already_registered_text(owner_locale: str) -> str:
    base_url = public_base_url(current_app.config)
    with force_locale(owner_locale):
        text = _(
            "Someone asked to sign up at the neighbourhood case portal with this phone number, "
            "which already has an account. If it was you, sign in, or set a new password with "
            "“Forgot your password?”. If it was not you, ignore this message."
        )
        return f"{text} {base_url}/login" if base_url is not None else text


def send(purpose: Purpose, phone: str, *, payload=None, owner=None, locale: str) -> PhoneCode:
    """Texts `phone` a new code for `purpose` and returns its row, committed; earlier unused
    codes of the phone for the purpose stop working. `owner`: the person the phone already
    belongs to, if any — a sign-up for it texts the owner a warning instead of a code, and a
    reset for a phone nobody owns (owner None) texts nothing."""
    config = current_app.config
    minutes = config["PHONE_CODE_MINUTES"]
    code = f"{secrets.randbelow(10**6):06d}"
    holds_code = owner is None if purpose == Purpose.SIGN_UP else owner is not None
    if purpose == Purpose.SIGN_UP and owner is not None:
        _text(phone, _already_registered_text(owner.locale or "zh_CN"))
    elif holds_code:
        with force_locale(owner.locale if owner is not None else locale):
            _text(phone, _code_text(code, purpose, minutes))
    moment = now()
    db.session.execute(
        update(PhoneCode)
        .where(
            PhoneCode.phone == phone,
            PhoneCode.purpose == purpose.value,
            PhoneCode.used_at.is_(None),
        )
        .values(used_at=moment)
    )
    row = PhoneCode(
        phone=phone,
        purpose=purpose.value,
        # A row whose code was never sent still looks like the others, and opens nothing.
        code_hash=_hash(purpose, phone, code) if holds_code else secrets.token_hex(32),
        payload=payload or {},
        created_at=moment,
        expires_at=moment + timedelta(minutes=minutes),
    )
    db.session.add(row)
    db.session.commit()
    return row


def take(row_id: int | None, purpose: Purpose, code: str) -> PhoneCode:
    """The code row `row_id` used up by `code`, committed; raises CodeRefused, with what to do
    next, for a wrong, expired, used or worn-out code."""
    row = db.session.get(PhoneCode, row_id) if row_id else None
    if row is None or row.purpose != purpose.value:
        raise CodeRefused(_l("This code has expired or was used. Ask for a new one."))
    moment = now()
    if row.used_at is not None or row.expires_at <= moment:
        raise CodeRefused(_l("This code has expired or was used. Ask for a new one."))
    if row.attempts >= current_app.config["PHONE_CODE_TRIES"]:
        raise CodeRefused(_l("Too many wrong codes. Ask for a new one."))
    given = "".join(code.split())
    if not hmac.compare_digest(row.code_hash, _hash(purpose, row.phone, given)):
        db.session.execute(
            update(PhoneCode).where(PhoneCode.id == row.id).values(attempts=PhoneCode.attempts + 1)
        )
        db.session.commit()
        raise CodeRefused(_l("The code is not right. Check the text message and try again."))
    taken = db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None))
        .values(used_at=moment)
    )
    if rows_changed(taken) != 1:  # another request took it a moment ago
        db.session.rollback()
        raise CodeRefused(_l("This code has expired or was used. Ask for a new one."))
    db.session.commit()
    db.session.refresh(row)
    return row


def pending(row_id: int | None, purpose: Purpose) -> PhoneCode | None:
    """The code row a browser is waiting on, while it can still be used."""
    row = db.session.get(PhoneCode, row_id) if row_id else None
    if row is None or row.purpose != purpose.value or row.used_at is not None:
        return None
    return row


def forget_old(moment) -> int:
    """The sweep's tidying: codes (and the sign-up details waiting with them) a day after they
    expired. Not committed."""
    return rows_changed(
        db.session.execute(
            delete(PhoneCode).where(PhoneCode.expires_at < moment - timedelta(days=1))
        )
    )
