"""People, their memberships (role + scope) and residents' homes."""

import enum
from datetime import datetime
from typing import cast

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.roles import Role
from portal.clock import UTCDateTime, now
from portal.extensions import Model, enum_type
from portal.organisation.models import Building, Community, Compound, SubDistrict


class HomeState(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    DECLINED = "declined"


class Person(UserMixin, Model):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    # The sign-in name: mainland mobile numbers, 11 digits.
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Optional: where e-mail notifications go, when the portal sends e-mail.
    email: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    # The channels beyond the inbox the person is told on, where the portal has them: text
    # messages to the phone (the gateway webhook) and e-mail to a confirmed address.
    notify_by_text: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_by_email: Mapped[bool] = mapped_column(default=True, server_default=true())
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    # Read when first used (the signed-in person's, for what they may do), not with every
    # person a page names: lists that show people's roles load them in the same query.
    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        foreign_keys="Membership.person_id",
    )
    homes: Mapped[list["Home"]] = relationship(
        back_populates="person", foreign_keys="Home.person_id"
    )

    # The sign-in this request came with (set by the loader or at sign-in): what Flask-Login
    # keeps in the session and the remember cookie, so that ending it on the server ends both.
    sign_in_token = cast(str | None, None)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive people
        return self.active

    def get_id(self) -> str | None:
        return self.sign_in_token

    @property
    def roles(self) -> set[Role]:
        return {m.role for m in self.memberships}

    @property
    def verified_homes(self) -> list["Home"]:
        return [h for h in self.homes if h.state == HomeState.VERIFIED]

    @property
    def is_resident(self) -> bool:
        return bool(self.homes)


class Membership(Model):
    """One role held by one person in one scope (a compound, community or sub-district)."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint(
            "person_id",
            "role",
            "compound_id",
            "community_id",
            "sub_district_id",
            name="uq_membership_person_role_scope",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    sub_district_id: Mapped[int | None] = mapped_column(ForeignKey("sub_district.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    person: Mapped[Person] = relationship(back_populates="memberships", foreign_keys=[person_id])
    compound: Mapped[Compound | None] = relationship(lazy="joined")
    community: Mapped[Community | None] = relationship(lazy="joined")
    sub_district: Mapped[SubDistrict | None] = relationship(lazy="joined")

    @property
    def scope_name(self) -> str:
        target = self.compound or self.community or self.sub_district
        return target.name if target else ""


class Home(Model):
    """Where a resident lives; the compound's secretary verifies it before it counts."""

    __tablename__ = "home"
    __table_args__ = (UniqueConstraint("person_id", "building_id", "room"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"))
    room: Mapped[str] = mapped_column(String(20))
    state: Mapped[HomeState] = mapped_column(
        enum_type(HomeState), default=HomeState.PENDING, index=True
    )
    decline_reason: Mapped[str | None] = mapped_column(String(200))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    person: Mapped[Person] = relationship(back_populates="homes", foreign_keys=[person_id])
    compound: Mapped[Compound] = relationship(lazy="joined")
    building: Mapped[Building] = relationship(lazy="joined")
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])


class SignIn(Model):
    """One device's sign-in: the session cookie and the remember cookie carry its token, which
    is kept here only hashed. Ended on sign-out, on "sign out everywhere" and when the
    password changes; a cookie copied from an ended sign-in opens nothing."""

    __tablename__ = "sign_in"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    remember: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()


class Throttle(Model):
    """Failures (or requests) counted against one key — a phone's sign-ins, a client address's
    sign-ups — in a window, and until when the key is held back. In the database, so that
    every worker and host sees the same counts."""

    __tablename__ = "throttle"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PhoneCode(Model):
    """A one-time code texted to a phone, to prove the phone is the person's: before a
    sign-up becomes an account, before a forgotten password is reset. Kept only as a keyed
    hash; short-lived, single-use, and dead after a few wrong tries. A sign-up's details wait
    here (the password already hashed) until the code is given."""

    __tablename__ = "phone_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
