"""Consultations: agenda, attendance, opinions, resolutions, signatures, action items, notices."""

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Person
from portal.cases.models import Case
from portal.clock import UTCDateTime, local_date, now
from portal.extensions import Model, enum_type
from portal.organisation.models import Compound, PartyKind


class Mode(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


class ConsultationState(enum.StrEnum):
    OPEN = "open"  # convened, not yet concluded
    CONCLUDED = "concluded"
    CANCELLED = "cancelled"


class ResolutionState(enum.StrEnum):
    SIGNING = "signing"  # drafted, waiting for the three parties
    EFFECTIVE = "effective"  # all three signed
    DISSENTED = "dissented"  # a party dissented
    LAPSED = "lapsed"  # not signed by all three parties by its deadline (the sweep)


class Decision(enum.StrEnum):
    SIGN = "sign"
    DISSENT = "dissent"


class Consultation(Model):
    __tablename__ = "consultation"
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    mode: Mapped[Mode] = mapped_column(enum_type(Mode, 20))
    state: Mapped[ConsultationState] = mapped_column(
        enum_type(ConsultationState, 20), default=ConsultationState.OPEN
    )
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # in person
    place: Mapped[str | None] = mapped_column(String(200))  # in person
    window_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # on-line
    convened_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    compound: Mapped[Compound] = relationship()
    convened_by: Mapped[Person] = relationship()
    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="consultation", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    invitations: Mapped[list["Invitation"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan"
    )
    attendance: Mapped[list["Attendance"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan"
    )

    @property
    def window_open(self) -> bool:
        return (
            self.mode is Mode.ONLINE
            and self.state is ConsultationState.OPEN
            and self.window_closes_at is not None
            and now() < self.window_closes_at
        )


class AgendaItem(Model):
    __tablename__ = "agenda_item"
    __table_args__ = (UniqueConstraint("consultation_id", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="items")
    case: Mapped[Case] = relationship()
    opinions: Mapped[list["Opinion"]] = relationship(
        back_populates="item", order_by="Opinion.id", cascade="all, delete-orphan"
    )
    resolution: Mapped["Resolution | None"] = relationship(
        back_populates="item", uselist=False, cascade="all, delete-orphan"
    )

    def current_opinion(self, party: PartyKind) -> "Opinion | None":
        mine = [o for o in self.opinions if o.party == party]
        return mine[-1] if mine else None


class Invitation(Model):
    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("consultation_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    party: Mapped[PartyKind] = mapped_column(enum_type(PartyKind, 20))

    consultation: Mapped[Consultation] = relationship(back_populates="invitations")
    person: Mapped[Person] = relationship()


class Attendance(Model):
    """Whether a party took part in an in-person meeting, and who came for it."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("consultation_id", "party"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    party: Mapped[PartyKind] = mapped_column(enum_type(PartyKind, 20))
    present: Mapped[bool] = mapped_column(default=False)
    attendees: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    consultation: Mapped[Consultation] = relationship(back_populates="attendance")


class Opinion(Model):
    """A party's opinion on an agenda case. The latest counts; earlier ones stay on the record."""

    __tablename__ = "opinion"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    party: Mapped[PartyKind] = mapped_column(enum_type(PartyKind, 20))
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    item: Mapped[AgendaItem] = relationship(back_populates="opinions")
    author: Mapped[Person] = relationship()


class Resolution(Model):
    __tablename__ = "resolution"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[ResolutionState] = mapped_column(
        enum_type(ResolutionState, 20), default=ResolutionState.SIGNING
    )
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Indexed: the figures count the resolutions that came into effect in a period.
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Signed by the three parties by then, or the sweep lets it lapse and the case goes back
    # to work (RESOLUTION_SIGN_DAYS working days from its drafting).
    sign_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every signature, so that two last signatures at once cannot both miss
    # that the resolution is complete: the row changes, and its version is checked.
    signed_count: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    item: Mapped[AgendaItem] = relationship(back_populates="resolution")
    signatures: Mapped[list["Signature"]] = relationship(
        back_populates="resolution", order_by="Signature.id", cascade="all, delete-orphan"
    )
    action_items: Mapped[list["ActionItem"]] = relationship(
        back_populates="resolution", order_by="ActionItem.id", cascade="all, delete-orphan"
    )

    def signature(self, party: PartyKind) -> "Signature | None":
        return next((s for s in self.signatures if s.party == party), None)


class Signature(Model):
    __tablename__ = "signature"
    __table_args__ = (UniqueConstraint("resolution_id", "party"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(ForeignKey("resolution.id"), index=True)
    party: Mapped[PartyKind] = mapped_column(enum_type(PartyKind, 20))
    signer_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    decision: Mapped[Decision] = mapped_column(enum_type(Decision, 20))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    resolution: Mapped[Resolution] = relationship(back_populates="signatures")
    signer: Mapped[Person] = relationship()


class ActionItem(Model):
    """What one party's named person will do for a resolution, by when; tracked until done."""

    __tablename__ = "action_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(ForeignKey("resolution.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    party: Mapped[PartyKind] = mapped_column(enum_type(PartyKind, 20))
    assignee_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_note: Mapped[str | None] = mapped_column(Text)

    resolution: Mapped[Resolution] = relationship(back_populates="action_items")
    case: Mapped[Case] = relationship()
    assignee: Mapped[Person] = relationship()

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_on < local_date()


class Notice(Model):
    """A notice the secretary posts on the compound's noticeboard (公示)."""

    __tablename__ = "notice"
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Moderation: hidden from residents by the secretary or an overseer, why and when; the
    # compound's people still read it, marked hidden.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    hidden_reason: Mapped[str | None] = mapped_column(Text)

    compound: Mapped[Compound] = relationship()
    posted_by: Mapped[Person] = relationship(foreign_keys=[posted_by_id])
    hidden_by: Mapped[Person | None] = relationship(foreign_keys=[hidden_by_id])
