"""What the figures are counted from: one row of facts per case, kept in the transaction of
every event that changes them (reports.facts), so that a figures page reads these rows by
compound and period instead of working each case out from its events."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from portal.cases.categories import Category
from portal.cases.models import Closure
from portal.clock import UTCDateTime
from portal.extensions import Model, enum_type
from portal.feedback.models import Satisfaction
from portal.organisation.models import PartyKind

# What the figures of the cases closed in a period read (reports.definitions).
CLOSED_READS = [
    "visited",
    "responded_on_time",
    "solved",
    "satisfaction",
    "resolved_on_time",
    "reopened",
    "resolve_seconds",
    "category",
    "lead_party",
]


class CaseFact(Model):
    __tablename__ = "case_fact"
    __table_args__ = (
        # A figure reads one period of a set of compounds, by the moment it is counted at:
        # filed, triaged or closed (a case counts in the month it was closed). On PostgreSQL
        # each index also carries what its figures read, so that a sub-district's months are
        # counted from the index alone (an index-only scan) instead of visiting every row.
        Index(
            "ix_case_fact_compound_filed",
            "compound_id",
            "filed_at",
            postgresql_include=["category", "lead_party"],
        ),
        Index(
            "ix_case_fact_compound_triaged",
            "compound_id",
            "triaged_at",
            postgresql_include=["triage_seconds", "category", "lead_party"],
        ),
        Index(
            "ix_case_fact_compound_closed",
            "compound_id",
            "closed_at",
            postgresql_include=CLOSED_READS,
        ),
    )
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), primary_key=True
    )
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"))
    category: Mapped[Category] = mapped_column(enum_type(Category))
    lead_party: Mapped[PartyKind | None] = mapped_column(enum_type(PartyKind, 20))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Accepted, rejected or merged: the first triage, and how long after filing (seconds).
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    triage_seconds: Mapped[int | None]
    # The resident was contacted, or the case triaged, by the response deadline.
    responded_on_time: Mapped[bool] = mapped_column(default=False)
    # The resolution that stands (none after a reopen, until the next one), how long after
    # filing, and whether it came by its deadline (None: no deadline on record).
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_seconds: Mapped[int | None]
    resolved_on_time: Mapped[bool | None]
    reopened: Mapped[bool] = mapped_column(default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closure: Mapped[Closure | None] = mapped_column(enum_type(Closure, 20))
    # The resident's last verdict (their own answer or a recorded return visit): a valid
    # return visit. None of these for a case nobody gave a verdict on.
    visited: Mapped[bool] = mapped_column(default=False)
    solved: Mapped[bool | None]
    satisfaction: Mapped[Satisfaction | None] = mapped_column(enum_type(Satisfaction, 20))
