"""Cases, their events (the timeline), photos, the daily number counter and routing overrides."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Person
from portal.cases.categories import Category
from portal.cases.events import EventKind
from portal.cases.workflow import (
    CLOCK_RUNS,
    INITIAL,
    OPEN_STATES,
    Action,
    State,
    states_allowing,
)
from portal.clock import UTCDateTime, now
from portal.extensions import Model, enum_type
from portal.organisation.models import Building, Community, Compound, PartyKind


class Priority(enum.StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"


class Responsibility(enum.StrEnum):
    """Whose job it is, recorded at triage (DESIGN.md section 3)."""

    PROPERTY_CONTRACT = "property_contract"
    COMMON_AREA = "common_area"
    OWNER = "owner"
    GOVERNMENT = "government"
    CONSULTATION = "consultation"


class Need(enum.StrEnum):
    """What a case waiting on the resident needs from them (DESIGN.md section 3)."""

    ACCESS = "access"  # access to the flat
    PHOTO = "photo"
    DECISION = "decision"
    OTHER = "other"


class Closure(enum.StrEnum):
    """How a case closed. "No feedback" is never counted as solved or satisfied."""

    SOLVED = "solved"
    NO_FEEDBACK = "no_feedback"


# The states a case waits on the resident in: those it resumes from.
WAITING_STATES = states_allowing(Action.RESUME)

# A case whose current deadline nobody has been reminded of yet (see the sweep).
UNREMINDED = "due_at IS NOT NULL AND (reminded_for IS NULL OR reminded_for <> due_at)"
# An escalated case nobody at its level has acknowledged yet (报到, see the sweep).
UNACKNOWLEDGED = "acknowledge_due_at IS NOT NULL AND acknowledged_at IS NULL"
ESCALATED = "escalation_level > 0"
# Escalated and still open: what an overseer's count of escalated cases reads (a few percent
# of all the escalated cases a city keeps).
OPEN_ESCALATED = (
    "escalation_level > 0 AND state IN ("
    + ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATES))
    + ")"
)


class Case(Model):
    __tablename__ = "case"
    __table_args__ = (
        # Queue order is read as one ordered range per state (cases.queries.page): the id
        # breaks ties in the index itself, so no page sorts more rows than it shows.
        Index("ix_case_compound_state_due", "compound_id", "state", "due_at", "id"),
        Index("ix_case_assignee_state_due", "assignee_id", "state", "due_at", "id"),
        # The sweep looks across compounds; each of its look-ups reads only what it acts on:
        # deadlines not yet reminded of (a partial index: once reminded, a case leaves it),
        # escalation by level (the second escalation asks for an overdue case escalated long
        # enough ago: escalated_at is checked in the index, so no row is read to be dropped),
        # and the resolved cases by feedback deadline.
        Index(
            "ix_case_state_due_unreminded",
            "state",
            "due_at",
            sqlite_where=text(UNREMINDED),
            postgresql_where=text(UNREMINDED),
        ),
        Index(
            "ix_case_state_level_due_escalated",
            "state",
            "escalation_level",
            "due_at",
            "escalated_at",
        ),
        Index("ix_case_state_feedback_due", "state", "feedback_due_at"),
        # 报到: the escalated cases not yet acknowledged, by their deadline (the sweep), and
        # the escalated cases oldest first (the overseers' list): both partial, so they hold
        # only the few cases that ever went up.
        Index(
            "ix_case_acknowledge_due",
            "acknowledge_due_at",
            sqlite_where=text(UNACKNOWLEDGED),
            postgresql_where=text(UNACKNOWLEDGED),
        ),
        Index(
            "ix_case_escalated_oldest",
            "escalated_at",
            "id",
            sqlite_where=text(ESCALATED),
            postgresql_where=text(ESCALATED),
        ),
        Index(
            "ix_case_open_escalated",
            "compound_id",
            "escalation_level",
            sqlite_where=text(OPEN_ESCALATED),
            postgresql_where=text(OPEN_ESCALATED),
        ),
        # The Open311 API pages a compound's cases by when they were filed: the ids of a page
        # come from this index alone, for any number of compounds.
        Index("ix_case_compound_created", "compound_id", "created_at", "id"),
        # The sweep's anonymisation looks for finished cases not yet anonymised, by when they
        # last changed (portal.personal_data).
        Index("ix_case_state_anonymised_updated", "state", "anonymised_at", "updated_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # <compound-code>-<yyyymmdd>-<nnnn>: printed on receipts, spoken on the phone; never reused.
    number: Mapped[str] = mapped_column(String(60), unique=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"))
    category: Mapped[Category] = mapped_column(enum_type(Category))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(200), default="")
    urgent: Mapped[bool] = mapped_column(default=False)

    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(20), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    on_behalf: Mapped[bool] = mapped_column(default=False)
    # sha256 of the private follow-up key a visitor gets; the key itself is never stored.
    follow_key_hash: Mapped[str | None] = mapped_column(String(64))

    state: Mapped[State] = mapped_column(enum_type(State), default=INITIAL)
    priority: Mapped[Priority] = mapped_column(enum_type(Priority), default=Priority.NORMAL)
    lead_party: Mapped[PartyKind | None] = mapped_column(enum_type(PartyKind))
    needs_consultation: Mapped[bool] = mapped_column(default=False)
    responsibility: Mapped[Responsibility | None] = mapped_column(enum_type(Responsibility))
    referred_to: Mapped[str | None] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # Indexed: deleting or anonymising a case checks who was merged into it.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    # Closure: when the resident's feedback is due, when and how the case closed, and how
    # often it reopened.
    feedback_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closure: Mapped[Closure | None] = mapped_column(enum_type(Closure, 20))
    reopen_count: Mapped[int] = mapped_column(default=0)
    # The deadline the owners were last reminded of, so the sweep reminds once per stage.
    reminded_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 0 at the compound, 1 escalated to the community, 2 to the sub-district.
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 报到: an overseer at the level the case reached acknowledges it by this deadline (working
    # days); who took charge of it and when; when the sweep reminded them that nobody had.
    acknowledge_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    acknowledge_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Personal data (PIPL, portal.personal_data): an overseer may keep a case's free text and
    # photos for the record when its reporter's details go; when they went.
    retained: Mapped[bool] = mapped_column(default=False, server_default=false())
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moderation (cases.moderation): the secretary or an overseer hid the description from
    # the public, why and when; staff still read it, marked hidden.
    description_hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    description_hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    description_hidden_reason: Mapped[str | None] = mapped_column(Text)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The deadline of the current stage (triage, then resolution); None once finished.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The deadline was counted in calendar days over a year whose working calendar is missing.
    due_on_calendar_days: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The response: the first contact with the resident is due, and when it happened (an update
    # they can read, a call — the phone revealed, then a note — or a return visit recorded).
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic locking: every change of the row checks and bumps it.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    compound: Mapped[Compound] = relationship()
    building: Mapped[Building] = relationship()
    reporter: Mapped[Person | None] = relationship(foreign_keys=[reporter_id])
    filed_by: Mapped[Person | None] = relationship(foreign_keys=[filed_by_id])
    assignee: Mapped[Person | None] = relationship(foreign_keys=[assignee_id])
    acknowledged_by: Mapped[Person | None] = relationship(foreign_keys=[acknowledged_by_id])
    description_hidden_by: Mapped[Person | None] = relationship(
        foreign_keys=[description_hidden_by_id]
    )
    merged_into: Mapped["Case | None"] = relationship(remote_side=[id])
    events: Mapped[list["CaseEvent"]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list["Photo"]] = relationship(
        back_populates="case", order_by="Photo.id", cascade="all, delete-orphan"
    )

    @property
    def waiting_on_resident(self) -> bool:
        """On hold for the resident: what only the resident's answer or a resume ends."""
        return self.state in WAITING_STATES

    @property
    def awaiting_response(self) -> bool:
        """Nobody has been in touch with the resident yet, and the case is still being worked."""
        return (
            self.response_due_at is not None
            and self.responded_at is None
            and (self.state in CLOCK_RUNS)
        )

    @property
    def response_late(self) -> bool:
        """The first contact came after its deadline, or is overdue and still to come."""
        if self.response_due_at is None:
            return False
        if self.responded_at is not None:
            return self.responded_at > self.response_due_at
        return self.state in CLOCK_RUNS and now() > self.response_due_at

    @property
    def awaiting_acknowledgement(self) -> bool:
        """报到: escalated, still open, and nobody at its level has taken charge of it yet."""
        return (
            self.escalation_level > 0 and self.acknowledged_at is None and self.state in OPEN_STATES
        )

    @property
    def acknowledgement_late(self) -> bool:
        return (
            self.awaiting_acknowledgement
            and self.acknowledge_due_at is not None
            and self.acknowledge_due_at < now()
        )

    @property
    def is_overdue(self) -> bool:
        # Past its deadline while its clock runs (it pauses during a consultation).
        return self.due_at is not None and self.due_at < now() and self.state in CLOCK_RUNS


class CaseEvent(Model):
    """One step on a case's timeline. Appended, never edited or deleted."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # The role the actor acted in (secretary, assignee, reporter, visitor…).
    actor_role: Mapped[str] = mapped_column(String(30))
    action: Mapped[EventKind] = mapped_column(enum_type(EventKind))
    public: Mapped[bool] = mapped_column(default=True)
    body: Mapped[str | None] = mapped_column(Text)
    from_state: Mapped[State | None] = mapped_column(enum_type(State))
    to_state: Mapped[State | None] = mapped_column(enum_type(State))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Moderation: a public event's text hidden from the public (cases.moderation).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    hidden_reason: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[Person | None] = relationship(foreign_keys=[actor_id])
    hidden_by: Mapped[Person | None] = relationship(foreign_keys=[hidden_by_id])
    photos: Mapped[list["Photo"]] = relationship(back_populates="event", order_by="Photo.id")


class Photo(Model):
    """A re-encoded, metadata-free image stored under instance/.

    Served only to those who may see its case.
    """

    __tablename__ = "photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_event.id"), index=True)
    # Relative to the upload folder; names are random, never the uploaded name.
    path: Mapped[str] = mapped_column(String(200))
    thumb_path: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Moderation: hidden from the public, served to staff only (cases.moderation).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    hidden_reason: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="photos")
    hidden_by: Mapped[Person | None] = relationship(foreign_keys=[hidden_by_id])
    event: Mapped[CaseEvent | None] = relationship(back_populates="photos")


class PendingPhoto(Model):
    """A checked photo sent ahead of the filing it belongs to: chosen in a browser that sends
    photos as they are picked, or kept when a filing came back with errors. It is tied to the
    browser that sent it (`owner`, a random value in that browser's session), becomes a case's
    Photo when the filing goes through, and is deleted by the sweep when it is left unused."""

    __tablename__ = "pending_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    # The handle the form carries: random, unguessable, never the uploaded name.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    owner: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(200))
    thumb_path: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)


class CaseCounter(Model):
    """The last case number given in a compound on a (Shanghai) day."""

    __tablename__ = "case_counter"
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class CategoryRule(Model):
    """A community's override of a category's routing rule."""

    __tablename__ = "category_rule"
    __table_args__ = (UniqueConstraint("community_id", "category"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    category: Mapped[Category] = mapped_column(enum_type(Category))
    lead_party: Mapped[PartyKind] = mapped_column(enum_type(PartyKind))
    needs_consultation: Mapped[bool] = mapped_column(default=False)
    resolution_days: Mapped[int]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


class ReplyTemplate(Model):
    """A reply the case work uses often (常用回复), inserted into an update or a rejection
    reason and edited before it is posted: a compound's, kept by its secretary, or a
    community's for all its compounds, kept by its overseers; for one category, or for any."""

    __tablename__ = "reply_template"
    __table_args__ = (
        CheckConstraint("(compound_id IS NULL) <> (community_id IS NULL)", name="one_owner"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    # None: offered on a case of any category.
    category: Mapped[Category | None] = mapped_column(enum_type(Category))
    title: Mapped[str] = mapped_column(String(50))
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    compound: Mapped[Compound | None] = relationship()
    community: Mapped[Community | None] = relationship()

    @property
    def owner(self):
        """The compound or the community that keeps it."""
        return self.compound if self.compound_id is not None else self.community


class Supporter(Model):
    """A resident with the same problem as an open case, who follows it instead of filing again
    ("me too"): signed in, they are told as it moves; a visitor follows it with a key of their
    own. Counted on the case as one more resident it affects."""

    __tablename__ = "supporter"
    __table_args__ = (UniqueConstraint("case_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    # A visitor's follow key, hashed like a case's own.
    key_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
