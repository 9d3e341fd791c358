"""Closure feedback: what the resident (or a return visit for them) said of a resolved case."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Person
from portal.clock import UTCDateTime, now
from portal.extensions import Model, enum_type


class Satisfaction(enum.StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY = "basically"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意


class Source(enum.StrEnum):
    RESIDENT = "resident"  # the reporter answered on the case page
    PHONE_VISIT = "phone_visit"  # a branch member or grid worker phoned them
    DOOR_VISIT = "door_visit"  # …or knocked on their door
    NO_FEEDBACK = "no_feedback"  # nobody answered within the window


class Feedback(Model):
    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    source: Mapped[Source] = mapped_column(enum_type(Source, 20))
    # None for "no feedback": it is never counted as solved or satisfied.
    solved: Mapped[bool | None]
    satisfaction: Mapped[Satisfaction | None] = mapped_column(enum_type(Satisfaction, 20))
    comment: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    recorded_by: Mapped[Person | None] = relationship()
