"""Look-ups of the organisation that views and services share."""

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.organisation.models import Community, Compound, SubDistrict


def _compounds(*where, limit=None, details=True):
    """Compounds with their community and sub-district, and (`details`) their buildings and
    parties."""
    loads = [selectinload(Compound.community).selectinload(Community.sub_district)]
    if details:
        loads += [selectinload(Compound.buildings), selectinload(Compound.parties)]
    return list(
        db.session.scalars(
            select(Compound)
            .where(*where)
            .options(*loads)
            .order_by(Compound.name, Compound.id)
            .limit(limit)
        )
    )


def compound_by_code(code: str) -> Compound | None:
    found = _compounds(Compound.code == code.lower())
    return found[0] if found else None


def compounds_by_ids(ids) -> list[Compound]:
    return _compounds(Compound.id.in_(list(ids))) if ids else []


def compounds_in_communities(ids) -> list[Compound]:
    return _compounds(Compound.community_id.in_(list(ids))) if ids else []


def compounds_in_sub_districts(ids, details=True) -> list[Compound]:
    if not ids:
        return []
    return _compounds(
        Compound.community_id.in_(
            select(Community.id).where(Community.sub_district_id.in_(list(ids)))
        ),
        details=details,
    )


def search_compounds(query: str, limit: int = 30) -> list[Compound]:
    if not query:
        return _compounds(limit=limit)
    pattern = f"%{query}%"
    return _compounds(or_(Compound.name.ilike(pattern), Compound.code.ilike(pattern)), limit=limit)


def scope_by_code(level: str, code: str):
    """The compound, community or sub-district with this code (level from accounts.roles.Scope)."""
    models: dict[str, type[Compound] | type[Community] | type[SubDistrict]] = {
        "compound": Compound,
        "community": Community,
        "sub_district": SubDistrict,
    }
    model = models.get(level)
    if model is None or not code:
        return None
    return db.session.scalars(select(model).where(model.code == code.strip().lower())).first()
