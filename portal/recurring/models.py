"""A recurring problem (每月一题): the same kind of case coming back in one place, raised as a
topic with its cases, taken to a consultation or to the community, and closed with what was
done about it."""

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Person
from portal.cases.categories import Category
from portal.cases.models import Case
from portal.clock import UTCDateTime, now
from portal.consultation.models import Consultation
from portal.extensions import Model, enum_type
from portal.organisation.models import Building, Community, Compound
from portal.reports import periods


class Reach(enum.StrEnum):
    """Where the cases cluster."""

    BUILDING = "building"  # one building, month after month
    COMPOUND = "compound"  # one compound, month after month, no single building
    COMMUNITY = "community"  # several compounds of one community in one month


class TopicState(enum.StrEnum):
    RAISED = "raised"  # found, nobody has taken it anywhere yet
    ON_AGENDA = "on_agenda"  # on a consultation's agenda
    SENT = "sent"  # sent to the community by the compound's secretary
    CLOSED = "closed"  # its outcome is recorded


# The states in which a topic still waits for an outcome.
OPEN_TOPIC_STATES = (TopicState.RAISED, TopicState.ON_AGENDA, TopicState.SENT)

topic_case = Table(
    "topic_case",
    Model.metadata,
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", ForeignKey("case.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Topic(Model):
    __tablename__ = "topic"
    __table_args__ = (
        # The desks ask for a compound's or a community's open topics.
        Index("ix_topic_compound_state", "compound_id", "state"),
        Index("ix_topic_community_state", "community_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reach: Mapped[Reach] = mapped_column(enum_type(Reach, 20))
    category: Mapped[Category] = mapped_column(enum_type(Category))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"))  # not community
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))  # building only
    # The months its cases came in, as "2026-11", oldest first, kept up to date while it is open.
    months: Mapped[str] = mapped_column(String(100))
    state: Mapped[TopicState] = mapped_column(enum_type(TopicState, 20), default=TopicState.RAISED)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # When the nightly look last added cases to it: whoever acts on what they saw before is told.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_note: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    community: Mapped[Community] = relationship()
    compound: Mapped[Compound | None] = relationship()
    building: Mapped[Building | None] = relationship()
    consultation: Mapped[Consultation | None] = relationship()
    closed_by: Mapped[Person | None] = relationship()
    cases: Mapped[list[Case]] = relationship(
        secondary=topic_case, order_by=lambda: Case.created_at.desc()
    )

    # Set by the look-ups that list topics (recurring.queries.counted): how many cases it has
    # and the numbers of its newest, without loading every case of a compound's six months.
    case_count = 0
    newest_numbers: tuple[str, ...] = ()

    @property
    def month_list(self) -> list[str]:
        return self.months.split(",") if self.months else []

    @property
    def month_periods(self) -> list[periods.Period]:
        return [p for p in map(periods.parse, self.month_list) if p is not None]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TOPIC_STATES
