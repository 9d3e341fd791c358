"""API keys: which client system may read or file cases, in which part of the organisation."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, now
from portal.extensions import Model
from portal.organisation.models import Community, Compound, SubDistrict


class ApiKey(Model):
    """One client system's key. Only a hash of the key is stored; it is shown once."""

    __tablename__ = "api_key"
    __table_args__ = (
        # Exactly one scope: a compound, a community or a sub-district.
        CheckConstraint(
            "(CASE WHEN compound_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN community_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN sub_district_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_scope",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # The client system, e.g. "12345 hotline platform": shown on the cases it files.
    name: Mapped[str] = mapped_column(String(100))
    # The first characters of the key, so administrators can tell keys apart.
    prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    sub_district_id: Mapped[int | None] = mapped_column(ForeignKey("sub_district.id"), index=True)
    may_read: Mapped[bool] = mapped_column(default=True)
    may_file: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The rate limit's current window (a minute) and the calls made in it: kept in the
    # database, so the limit holds across workers and hosts.
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_calls: Mapped[int] = mapped_column(default=0)

    compound: Mapped[Compound | None] = relationship(lazy="joined")
    community: Mapped[Community | None] = relationship(lazy="joined")
    sub_district: Mapped[SubDistrict | None] = relationship(lazy="joined")

    @property
    def scope(self) -> Compound | Community | SubDistrict:
        found = self.compound or self.community or self.sub_district
        assert found is not None  # the check constraint holds one
        return found

    @property
    def active(self) -> bool:
        return self.revoked_at is None
