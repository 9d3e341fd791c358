"""The organisation's tables: the chain of oversight down to the building."""

import enum

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model, enum_type

CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"


class PartyKind(enum.StrEnum):
    BRANCH = "branch"
    PROPERTY = "property"
    RESIDENTS = "residents"


class SubDistrict(Model):
    __tablename__ = "sub_district"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    communities: Mapped[list["Community"]] = relationship(
        back_populates="sub_district", order_by="Community.name"
    )


class Community(Model):
    __tablename__ = "community"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    sub_district_id: Mapped[int] = mapped_column(ForeignKey("sub_district.id"), index=True)
    sub_district: Mapped[SubDistrict] = relationship(back_populates="communities")
    compounds: Mapped[list["Compound"]] = relationship(
        back_populates="community", order_by="Compound.name"
    )


class PropertyCompany(Model):
    """A property management company: it serves several compounds, as each one's property
    party (DESIGN.md section 6: the ledger compares them across the compounds they serve)."""

    __tablename__ = "property_company"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    compounds: Mapped[list["Compound"]] = relationship(
        back_populates="property_company", order_by="Compound.name"
    )


class Compound(Model):
    __tablename__ = "compound"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Printed in lobby QR codes: never changes once issued.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    community: Mapped[Community] = relationship(back_populates="compounds")
    # Where the compound is (WGS84), when the organisation file gives it: the Open311 API
    # reports it as the place of the compound's cases.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # The company that manages it, when the organisation file names one.
    property_company_id: Mapped[int | None] = mapped_column(
        ForeignKey("property_company.id"), index=True
    )
    property_company: Mapped[PropertyCompany | None] = relationship(back_populates="compounds")
    buildings: Mapped[list["Building"]] = relationship(
        back_populates="compound", order_by="Building.sort_key"
    )
    parties: Mapped[list["Party"]] = relationship(back_populates="compound")

    def party(self, kind: PartyKind) -> "Party | None":
        return next((p for p in self.parties if p.kind == kind), None)


class Building(Model):
    __tablename__ = "building"
    __table_args__ = (UniqueConstraint("compound_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    # Numeric codes sort as numbers ("2" before "10"), others after them by text.
    sort_key: Mapped[str] = mapped_column(String(40))
    compound: Mapped[Compound] = relationship(back_populates="buildings")

    @staticmethod
    def sort_key_for(code: str) -> str:
        return f"0{int(code):08d}" if code.isdigit() else f"1{code}"


class Party(Model):
    __tablename__ = "party"
    __table_args__ = (UniqueConstraint("compound_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    kind: Mapped[PartyKind] = mapped_column(enum_type(PartyKind, 20))
    name: Mapped[str] = mapped_column(String(100))
    compound: Mapped[Compound] = relationship(back_populates="parties")
