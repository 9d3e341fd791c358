"""Operations on people: sign-in, sign-up, verification of homes, roles."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from portal import permissions, signals
from portal.accounts import codes
from portal.accounts.models import Home, HomeState, Membership, Person, SignIn, Throttle
from portal.accounts.roles import SCOPE, Role, Scope
from portal.clock import now
from portal.errors import Conflict, Invalid, NotAllowed
from portal.extensions import db, rows_changed

# Checked against when the phone is unknown, so both failures cost the same time.
_DUMMY_HASH = None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def authenticate(phone: str, password: str) -> Person | None:
    """The active person with this phone and password, or None — whichever part was wrong."""
    global _DUMMY_HASH
    person = db.session.scalar(select(Person).where(Person.phone == phone.strip()))
    if person is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password("not a real password")
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(person.password_hash, password) or not person.active:
        return None
    return person


# -- sign-ins: one per device, ended on the server ----------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def begin_sign_in(person: Person, *, remember: bool, user_agent: str = "") -> str:
    """A new sign-in for `person` on one device, committed; its token goes into the session
    (and the remember cookie), never into the database."""
    config = current_app.config
    token = secrets.token_urlsafe(32)
    lasts = (
        timedelta(seconds=config["REMEMBER_COOKIE_DURATION"])
        if remember
        else timedelta(hours=config["SIGN_IN_HOURS"])
    )
    db.session.add(
        SignIn(
            token_hash=_token_hash(token),
            person=person,
            remember=remember,
            user_agent=user_agent[:200],
            expires_at=now() + lasts,
        )
    )
    db.session.commit()
    person.sign_in_token = token
    return token


def person_signed_in(token: str) -> Person | None:
    """The active person whose sign-in this token is, while it has neither ended nor
    expired; None for anything else (a copied cookie of an ended sign-in included)."""
    if not token or len(token) > 100:
        return None
    person = db.session.scalar(
        select(Person)
        .join(SignIn, SignIn.person_id == Person.id)
        .where(
            SignIn.token_hash == _token_hash(token),
            SignIn.ended_at.is_(None),
            SignIn.expires_at > now(),
            Person.active.is_(True),
        )
    )
    if person is not None:
        person.sign_in_token = token
    return person


def end_sign_in(token: str | None) -> None:
    """Ends one device's sign-in (signing out), committed."""
    if token:
        db.session.execute(
            update(SignIn)
            .where(SignIn.token_hash == _token_hash(token), SignIn.ended_at.is_(None))
            .values(ended_at=now())
        )
        db.session.commit()


def end_sign_ins(person: Person, *, keep: str | None = None) -> None:
    """Ends every sign-in of `person` (but the one whose token is `keep`), committed."""
    statement = update(SignIn).where(SignIn.person_id == person.id, SignIn.ended_at.is_(None))
    if keep:
        statement = statement.where(SignIn.token_hash != _token_hash(keep))
    db.session.execute(statement.values(ended_at=now()))
    db.session.commit()


def live_sign_ins(person: Person) -> list[SignIn]:
    """The person's sign-ins still open, newest first."""
    return list(
        db.session.scalars(
            select(SignIn)
            .where(
                SignIn.person_id == person.id,
                SignIn.ended_at.is_(None),
                SignIn.expires_at > now(),
            )
            .order_by(SignIn.created_at.desc(), SignIn.id.desc())
        )
    )


def forget_old_sign_ins(moment) -> int:
    """The sweep's tidying: sign-ins ended or expired a week ago, one-time codes a day after
    they expired, and throttle counts whose window passed a day ago and that hold nothing back.
    Committed; the number of rows gone."""
    week, day = moment - timedelta(days=7), moment - timedelta(days=1)
    gone = rows_changed(
        db.session.execute(
            delete(SignIn).where(or_(SignIn.ended_at < week, SignIn.expires_at < week))
        )
    )
    gone += codes.forget_old(moment)
    gone += rows_changed(
        db.session.execute(
            delete(Throttle).where(
                Throttle.window_started_at < day,
                or_(Throttle.blocked_until.is_(None), Throttle.blocked_until < moment),
            )
        )
    )
    db.session.commit()
    return gone


def is_current(sign_in: SignIn, token: str | None) -> bool:
    return bool(token) and sign_in.token_hash == _token_hash(token or "")


def change_password(person: Person, current: str, new: str) -> None:
    """A new password, given the current one; every other sign-in of the person ends."""
    if not check_password_hash(person.password_hash, current):
        raise Invalid(_l("The current password is not right."))
    _set_password(person, new, keep=person.sign_in_token)


def _set_password(person: Person, password: str, *, keep: str | None = None) -> None:
    """The new password, committed; every sign-in of the person but `keep` ends."""
    person.password_hash = hash_password(password)
    db.session.commit()
    end_sign_ins(person, keep=keep)


def update_profile(person: Person, *, name: str, locale: str, by_text: bool, by_email: bool):
    """The person's own details and the channels they are told on, committed."""
    person.name = name.strip()
    person.locale = locale
    person.notify_by_text, person.notify_by_email = by_text, by_email
    db.session.commit()


def reset_password(code_row, password: str) -> Person:
    """A new password for the owner of the phone a reset code was taken for; every sign-in
    of theirs ends. Committed."""
    person = _code_owner(codes.Purpose.RESET, code_row.phone)
    if person is None:
        raise codes.CodeRefused(_l("This code has expired or was used. Ask for a new one."))
    _set_password(person, password)
    return person


# -- e-mail addresses, confirmed by a link -------------------------------------------------


def _email_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="confirm-email")


def email_confirmation_token(person: Person, email: str) -> str:
    """A link's token saying that `person` may make `email` theirs, signed, with when it was
    made (on the portal's clock). It names the address the person has now, so that once one
    link is used every older one stops working."""
    return _email_signer().dumps(
        {"person": person.id, "email": email, "was": person.email, "at": now().timestamp()}
    )


def confirm_email(person: Person, token: str) -> str:
    """Makes the address the token names the person's own, committed; returns it. Raises
    Invalid for a token that is expired, forged, another person's or already used."""
    hours = current_app.config["EMAIL_CONFIRM_HOURS"]
    try:
        claim = _email_signer().loads(token)
    except (BadSignature, TypeError, ValueError):
        claim = None
    if (
        not isinstance(claim, dict)
        or not isinstance(claim.get("at"), int | float)
        or not 0 <= now().timestamp() - claim["at"] <= hours * 3600
        or claim.get("person") != person.id
        or claim.get("was") != person.email
        or not isinstance(claim.get("email"), str)
    ):
        raise Invalid(_l("This confirmation link has expired or was already used."))
    person.email = claim["email"]
    db.session.commit()
    return person.email


def remove_email(person: Person) -> None:
    person.email = None
    db.session.commit()


# -- what administrators set -----------------------------------------------------------------


def update_person(
    person: Person, by: Person, *, name, email, locale, by_text, by_email, active
) -> None:
    """An administrator sets a person's details (an address they give is taken as given),
    and deactivates or reactivates them: a deactivated person is signed out everywhere."""
    if not permissions.can(by, "manage_organisation"):
        raise NotAllowed(_l("Only administrators can change people's details."))
    if not active and person.id == by.id:
        raise Invalid(_l("You cannot deactivate yourself."))
    person.name, person.email, person.locale = name.strip(), (email or "").strip() or None, locale
    person.notify_by_text, person.notify_by_email = by_text, by_email
    person.active = active
    db.session.commit()
    if not active:
        end_sign_ins(person)


def find_by_phone(phone: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.phone == phone))


def create_person(name: str, phone: str, password: str, locale: str = "zh_CN") -> Person:
    if find_by_phone(phone):
        raise Invalid(_l("This phone number is already registered. Please sign in instead."))
    person = Person(
        name=name.strip(), phone=phone, password_hash=hash_password(password), locale=locale
    )
    db.session.add(person)
    return person


def start_sign_up(name, phone, building, room, password, locale):
    """Texts the phone a code (or, if it is registered, a warning to its owner) and keeps
    the sign-up's details with the code until it is given. Committed; the code's row."""
    details = {
        "name": name.strip(),
        "building_id": building.id,
        "room": room.strip(),
        "password_hash": hash_password(password),
        "locale": locale,
    }
    purpose = codes.Purpose.SIGN_UP
    return codes.send(
        purpose, phone, payload=details, owner=_code_owner(purpose, phone), locale=locale
    )


def _code_owner(purpose: codes.Purpose, phone: str) -> Person | None:
    """Whose phone it is, for a code: anyone registered with it, for a sign-up (who is warned
    instead); only an active person, for a reset (a deactivated one gets nothing)."""
    owner = find_by_phone(phone)
    if purpose is codes.Purpose.RESET and owner is not None and not owner.active:
        return None
    return owner


def start_reset(phone: str, locale: str):
    """Texts a code to set a new password to the phone's active owner; for a phone nobody
    active owns, texts nothing and answers the same. Committed; the code's row."""
    purpose = codes.Purpose.RESET
    return codes.send(purpose, phone, owner=_code_owner(purpose, phone), locale=locale)


def resend_code(code_row, locale: str):
    """A new code in place of `code_row` (the person asked again), with the same details."""
    purpose = codes.Purpose(code_row.purpose)
    return codes.send(
        purpose,
        code_row.phone,
        payload=code_row.payload,
        owner=_code_owner(purpose, code_row.phone),
        locale=code_row.payload.get("locale", locale),
    )


def finish_sign_up(code_row, building) -> Person:
    """The new resident, now that the code proved the phone theirs, with a home awaiting
    the secretary's verification; whoever builds on a proved phone (the visitor's earlier
    cases join the account) does so in this transaction."""
    details = code_row.payload
    if find_by_phone(code_row.phone):
        raise Invalid(_l("This phone number is already registered. Please sign in instead."))
    person = Person(
        name=details["name"],
        phone=code_row.phone,
        password_hash=details["password_hash"],
        locale=details["locale"],
    )
    db.session.add(person)
    db.session.add(
        Home(
            person=person,
            compound_id=building.compound_id,
            building=building,
            room=details["room"],
            state=HomeState.PENDING,
        )
    )
    db.session.flush()
    signals.phone_proved.send(person)
    db.session.commit()
    return person


def pending_homes(compound) -> list[Home]:
    return list(
        db.session.scalars(
            select(Home)
            .where(Home.compound_id == compound.id, Home.state == HomeState.PENDING)
            .order_by(Home.created_at, Home.id)
        )
    )


def _decide(home: Home, by: Person, state: HomeState, reason: str | None = None) -> Home:
    if not permissions.can(by, "verify_residents", home.compound):
        raise NotAllowed(_l("Only the compound's party-branch secretary can verify residents."))
    if home.state != HomeState.PENDING:
        raise Conflict(_l("This resident has already been verified or declined."))
    home.state = state
    home.decline_reason = reason or None
    home.decided_by = by
    home.decided_at = now()
    db.session.commit()
    return home


def verify_home(home: Home, by: Person) -> Home:
    # Who builds on a verified home (the case feature claims a visitor's earlier cases) does
    # so in this transaction.
    signals.home_verified.send(home.person, compound_id=home.compound_id)
    return _decide(home, by, HomeState.VERIFIED)


def decline_home(home: Home, by: Person, *, reason: str | None) -> Home:
    return _decide(home, by, HomeState.DECLINED, reason)


def set_locale(person: Person, locale: str) -> None:
    person.locale = locale
    db.session.commit()


def _scope_columns(role: Role, scope) -> dict:
    level = SCOPE[role]
    if level is Scope.GLOBAL:
        return {"compound_id": None, "community_id": None, "sub_district_id": None}
    if scope is None:
        raise Invalid(_l("This role needs a place it applies to."))
    column = {
        Scope.COMPOUND: "compound_id",
        Scope.COMMUNITY: "community_id",
        Scope.SUB_DISTRICT: "sub_district_id",
    }[level]
    columns = {"compound_id": None, "community_id": None, "sub_district_id": None}
    columns[column] = scope.id
    return columns


def find_membership(person: Person, role: Role, scope) -> Membership | None:
    columns = _scope_columns(role, scope)
    return next(
        (
            m
            for m in person.memberships
            if m.role == role and all(getattr(m, k) == v for k, v in columns.items())
        ),
        None,
    )


def grant_role(person: Person, role: Role, scope, *, by: Person | None = None) -> Membership:
    """Give person the role in scope (a compound, community or sub-district). Idempotent.
    The caller commits (an import grants many roles in one transaction)."""
    if by is not None and not permissions.can(by, "manage_organisation"):
        raise NotAllowed(_l("Only administrators can change roles."))
    existing = find_membership(person, role, scope)
    if existing:
        return existing
    membership = Membership(person=person, role=role, **_scope_columns(role, scope))
    db.session.add(membership)
    return membership


def give_role(person: Person, role: Role, scope, *, by: Person) -> Membership:
    """An administrator gives a person a role, committed."""
    membership = grant_role(person, role, scope, by=by)
    db.session.commit()
    return membership


def revoke_role(membership: Membership, by: Person) -> None:
    if not permissions.can(by, "manage_organisation"):
        raise NotAllowed(_l("Only administrators can change roles."))
    if membership.role is Role.ADMIN and membership.person_id == by.id:
        raise Invalid(_l("You cannot remove your own administrator role."))
    db.session.delete(membership)
    db.session.commit()


def enrol(
    compound, by: Person, *, role: Role, name: str, phone: str, password: str | None
) -> Person:
    """Put a person (found by phone, or created) into one of the compound's parties."""
    if not permissions.can(by, "manage_organisation"):
        raise NotAllowed(_l("Only administrators can change roles."))
    if SCOPE[role] is not Scope.COMPOUND:
        raise Invalid(_l("Choose a role inside the compound's three parties."))
    person = find_by_phone(phone)
    if person is None:
        if not password:
            raise Invalid(_l("A new person needs a first password."))
        person = create_person(name, phone, password)
    grant_role(person, role, compound)
    db.session.commit()
    return person


def make_admin(name: str, phone: str, password: str) -> Person:
    """An administrator: the person with this phone, or a new one. Committed."""
    person = find_by_phone(phone) or create_person(name, phone, password)
    grant_role(person, Role.ADMIN, None)
    db.session.commit()
    return person


def people_holding(compound_id: int, roles) -> list[Person]:
    """Active people holding any of `roles` at a compound, once each, oldest account first."""
    return list(
        db.session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.compound_id == compound_id,
                Membership.role.in_(list(roles)),
                Person.active.is_(True),
            )
            .order_by(Person.id)
            .options(selectinload(Person.memberships))  # each is shown with their party
        ).unique()
    )


def administrators() -> list[Person]:
    """Active administrators, oldest account first."""
    return list(
        db.session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.role == Role.ADMIN, Person.active.is_(True))
            .order_by(Person.id)
        ).unique()
    )
