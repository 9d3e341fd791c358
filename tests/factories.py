"""Small builders for the organisation, its people and their cases, through the same services
the app uses.

- `world()`: one sub-district, two communities, two compounds (Plum Garden and Bamboo Court).
- `cast(world, "reporter", "secretary", …)`: the people a test needs, each in the part they
  play (PARTS), with the usual names.
- `case(world, State.RESOLVED, by=…, secretary=…, assignee=…)`: a case filed and walked to a
  state through the case and feedback services, as the people would.
- `phone_photo()`: a 12-megapixel JPEG of a phone photo's weight (about 2.7 MB).
"""

import io
import itertools
from contextlib import nullcontext
from datetime import UTC, datetime
from types import SimpleNamespace

from PIL import Image

from portal import clock
from portal.accounts import service
from portal.accounts.models import Home, HomeState
from portal.accounts.roles import Role
from portal.cases import service as cases
from portal.cases.categories import Category
from portal.cases.models import Case, Priority
from portal.cases.workflow import State
from portal.clock import LOCAL_ZONE
from portal.extensions import db
from portal.feedback import service as feedback
from portal.feedback.models import Satisfaction, Source
from portal.organisation.models import Building, Community, Compound, Party, PartyKind, SubDistrict

PASSWORD = "password123"
_phones = itertools.count(1)


def next_phone() -> str:
    return f"1390000{next(_phones):04d}"


# -- the organisation ----------------------------------------------------------------------


def sub_district(code="sd", name="Harbour sub-district") -> SubDistrict:
    thing = SubDistrict(code=code, name=name)
    db.session.add(thing)
    db.session.flush()
    return thing


def community(sub=None, code="cm", name="Lakeside community") -> Community:
    thing = Community(code=code, name=name, sub_district=sub or sub_district())
    db.session.add(thing)
    db.session.flush()
    return thing


def compound(comm=None, code="ymn", name="Plum Garden", buildings=("1", "2", "3")) -> Compound:
    thing = Compound(code=code, name=name, community=comm or community())
    db.session.add(thing)
    db.session.flush()
    for b in buildings:
        db.session.add(
            Building(
                compound=thing, code=b, name=f"Building {b}", sort_key=Building.sort_key_for(b)
            )
        )
    for kind in PartyKind:
        db.session.add(Party(compound=thing, kind=kind, name=f"{name} {kind.value}"))
    db.session.commit()
    return thing


def world() -> SimpleNamespace:
    """One sub-district with two communities: Lakeside with Plum Garden (ymn), North Lake with
    Bamboo Court (czy), each compound with buildings 1-3 and its three parties."""
    sub = sub_district()
    comm = community(sub)
    ymn = compound(comm, code="ymn", name="Plum Garden")
    other_comm = community(sub, code="cm2", name="North Lake community")
    czy = compound(other_comm, code="czy", name="Bamboo Court")
    return SimpleNamespace(sub=sub, community=comm, ymn=ymn, czy=czy, other_community=other_comm)


# -- people --------------------------------------------------------------------------------


def person(name="Wang Fang", phone=None, password=PASSWORD, locale="zh_CN"):
    someone = service.create_person(name, phone or next_phone(), password, locale)
    db.session.commit()
    return someone


def member(role: Role, scope=None, **kwargs):
    someone = person(**kwargs)
    service.grant_role(someone, role, scope)
    db.session.commit()
    return someone


def resident(compound_, building_code="1", room="1-101", state=HomeState.VERIFIED, **kwargs):
    someone = person(**kwargs)
    building = next(b for b in compound_.buildings if b.code == building_code)
    db.session.add(
        Home(person=someone, compound_id=compound_.id, building=building, room=room, state=state)
    )
    db.session.commit()
    return someone


# The parts people play in the tests, with their usual names. A resident (role None) lives in
# the world's Plum Garden, in the building given; a member holds the role in Plum Garden, its
# community, the other community or the sub-district.
PARTS: dict[str, tuple[Role | None, str, str]] = {
    "reporter": (None, "2", "王阿姨"),
    "neighbour": (None, "1", "赵大妈"),
    "secretary": (Role.SECRETARY, "compound", "李书记"),
    "deputy": (Role.SECRETARY, "compound", "张书记"),
    "manager": (Role.PROPERTY_MANAGER, "compound", "赵经理"),
    "fitter": (Role.PROPERTY_STAFF, "compound", "孙师傅"),
    "staff": (Role.PROPERTY_STAFF, "compound", "孙师傅"),
    "electrician": (Role.PROPERTY_STAFF, "compound", "钱电工"),
    "member": (Role.BRANCH_MEMBER, "compound", "周党员"),
    "branch": (Role.BRANCH_MEMBER, "compound", "周党员"),
    "representative": (Role.REPRESENTATIVE, "compound", "吴代表"),
    "grid": (Role.GRID_WORKER, "community", "刘网格"),
    "overseer": (Role.COMMUNITY_OVERSEER, "community", "社区陈主任"),
    "other_overseer": (Role.COMMUNITY_OVERSEER, "other_community", "北湖社区吴主任"),
    "street": (Role.SUBDISTRICT_OVERSEER, "sub", "街道周书记"),
}


def cast(world, *parts: str, locale: str | None = None, **changes: dict) -> SimpleNamespace:
    """The people of a test, each under the name of their part: `cast(world, "reporter
    secretary fitter").fitter` is 孙师傅, Plum Garden's property staff. Names go in one string
    or several, as namedtuple's fields; people are made in the order named (which fixes their
    ids), then anyone named only by a keyword. `locale` is everyone's language (the factories'
    zh_CN unless given).

    A keyword changes one person: `reporter={"room": "2-301", "locale": "en"}` (any argument
    of `resident` or `member`: name, phone, locale, building_code, room, state). Someone whose
    name is no part of PARTS says whom they are like ("part") and where ("compound" for a
    resident or a compound's member, "scope" for an overseer):
    `czy_secretary={"part": "secretary", "compound": world.czy, "name": "竹园书记"}`."""
    people = {}
    for name in dict.fromkeys([*" ".join(parts).split(), *changes]):
        given = dict(changes.get(name, {}))
        role, where, usual = PARTS[given.pop("part", name)]
        given.setdefault("name", usual)
        if locale is not None:
            given.setdefault("locale", locale)
        home = given.pop("compound", world.ymn)
        if role is None:
            given.setdefault("building_code", where)
            people[name] = resident(home, **given)
        else:
            scope = given.pop("scope", home if where == "compound" else getattr(world, where))
            people[name] = member(role, scope, **given)
    return SimpleNamespace(**people)


# -- cases ---------------------------------------------------------------------------------

# How far each state is along the walk case() takes.
_WALK = [State.FILED, State.ACCEPTED, State.IN_PROGRESS, State.RESOLVED, State.CLOSED]


def accept(
    case: Case,
    by,
    *,
    category: Category | None = None,
    priority=Priority.NORMAL,
    lead_party=PartyKind.PROPERTY,
    needs_consultation=False,
    assignee=None,
    **more,
) -> Case:
    """The secretary's triage of the case as it stands: its own category unless another is
    given, normal priority, the property company leading, no consultation."""
    return cases.accept(
        case,
        by,
        version=case.version,
        category=category or case.category,
        priority=priority,
        lead_party=lead_party,
        needs_consultation=needs_consultation,
        assignee=assignee,
        **more,
    )


def case(
    where,
    state: State = State.FILED,
    *,
    by=None,
    secretary=None,
    assignee=None,
    building: str = "2",
    category: Category = Category.REPAIR,
    description: str = "楼道灯坏了",
    location: str = "",
    urgent: bool = False,
    contact_name: str = "",
    contact_phone: str = "",
    processed_photos=(),
    priority: Priority = Priority.NORMAL,
    lead_party: PartyKind = PartyKind.PROPERTY,
    needs_consultation: bool = False,
    assign_after_accept: bool = False,
    reason: str = "不属于小区范围",
    resolution: str = "修好了",
    satisfaction: Satisfaction = Satisfaction.SATISFIED,
    at=None,
) -> Case:
    """A case filed in the world's Plum Garden (or in `where`, a compound) and walked to
    `state` through the services:

    - filed by `by` (a resident, or staff on someone's behalf; None is a visitor, whose
      follow-up key is dropped);
    - rejected by `secretary` with `reason`; or withdrawn by `by`;
    - accepted by `secretary` (category as filed, `priority`, `lead_party`);
    - in progress: `assignee` assigned with the acceptance, or in a step of its own after it
      with `assign_after_accept` (a case left accepted has no assignee, whatever is given);
    - resolved by the assignee with `resolution`;
    - closed by the reporter's feedback: solved, with `satisfaction`.

    Everything happens at `at` (clock.fixed) when given, else now."""
    compound_ = where if isinstance(where, Compound) else where.ymn
    place = next(b for b in compound_.buildings if b.code == building)
    with clock.fixed(at) if at is not None else nullcontext():
        made, _key = cases.file_case(
            compound_,
            place,
            category=category,
            description=description,
            location=location,
            urgent=urgent,
            contact_name=contact_name,
            contact_phone=contact_phone,
            processed_photos=processed_photos,
            by=by,
        )
        if state is State.FILED:
            return made
        if state is State.WITHDRAWN:
            return cases.withdraw(made, by, version=made.version)
        if secretary is None:
            raise ValueError(f"a case {state} needs the secretary who triages it")
        if state is State.REJECTED:
            return cases.reject(made, secretary, version=made.version, reason=reason)
        if state not in _WALK:
            raise ValueError(f"case() does not walk a case to {state}")
        later = _WALK.index(state) >= _WALK.index(State.IN_PROGRESS)
        if later and assignee is None:
            raise ValueError(f"a case {state} needs its assignee")
        together = later and not assign_after_accept
        accept(
            made,
            secretary,
            priority=priority,
            lead_party=lead_party,
            needs_consultation=needs_consultation,
            assignee=assignee if together else None,
        )
        if later and not together:
            cases.assign(made, secretary, version=made.version, assignee=assignee)
        if _WALK.index(state) >= _WALK.index(State.RESOLVED):
            cases.resolve(made, assignee, version=made.version, body=resolution)
        if state is State.CLOSED:
            feedback.give_feedback(
                made,
                by,
                solved=True,
                satisfaction=satisfaction,
                comment=None,
                source=Source.RESIDENT,
            )
        return made


def shanghai(year, month, day, hour=10, minute=0) -> datetime:
    """A moment given in Shanghai time (as people there say it), in UTC as it is stored."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_ZONE).astimezone(UTC)


def end_of_day(year, month, day) -> datetime:
    """The last second of a Shanghai day: where a deadline in days ends."""
    return datetime(year, month, day, 23, 59, 59, tzinfo=LOCAL_ZONE).astimezone(UTC)


def phone_photo(size=(4000, 3000)) -> bytes:
    """A photo as a phone takes it: 12 megapixels and about 2.7 MB, with coarse shapes and fine
    grain, so that it scales and compresses like a real one (pure noise would not)."""
    coarse = (size[0] // 20, size[1] // 20)
    shapes = Image.merge(
        "RGB", [Image.effect_noise(coarse, 90).resize(size, Image.BICUBIC) for _ in range(3)]
    )
    grain = Image.effect_noise(size, 25).convert("RGB")
    out = io.BytesIO()
    Image.blend(shapes, grain, 0.06).save(out, "JPEG", quality=92)
    return out.getvalue()
