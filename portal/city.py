"""`flask portal city`: a synthetic city for benchmarks. Sub-districts, communities and compounds
with their buildings, parties and staff, and two years of cases with their timelines, feedback,
consultations and photo rows, written in bulk; a share of the cases lands in the first compound
of the demo world, so that its people sign in to a busy desk. The demo world's year of history
(`portal.demo`) is written by the same `History`.

A million cases cannot go through the services in reasonable time, so each case is walked here
through the workflow's table, step by step, as its people and the sweep would have moved it,
and the rows are written in chunks (COPY on PostgreSQL, executemany elsewhere). How a
compound's people work (how fast, how well, how often residents answer) is its `Profile`.
Ids are given here, so build on a quiet database; PostgreSQL's sequences are moved past them.
Nobody is notified of what happened in the city: it leaves inboxes and outboxes alone.
"""

import json
import math
import random
import time as timer
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Table, bindparam, func, insert, select, text, update
from werkzeug.security import generate_password_hash

from portal import demo
from portal.accounts.models import Home, HomeState, Membership, Person
from portal.accounts.roles import Role
from portal.accounts.service import people_holding
from portal.cases import deadlines
from portal.cases import demo as texts
from portal.cases.categories import Category, Rule, rule_for
from portal.cases.events import CONTACTS, EventKind
from portal.cases.models import CaseCounter, Closure, Priority, Responsibility
from portal.cases.routing import community_rules
from portal.cases.workflow import (
    CLOCK_RUNS,
    FINISHED_STATES,
    INITIAL,
    MERGE_TARGETS,
    Action,
    State,
    step,
)
from portal.clock import LOCAL_ZONE, local_date, now
from portal.consultation.models import ConsultationState, Decision, Mode, ResolutionState
from portal.errors import Conflict
from portal.extensions import db
from portal.feedback.models import Satisfaction, Source
from portal.organisation.models import Building, Compound, PartyKind, SubDistrict
from portal.reports import facts
from portal.workdays import service as workdays

DAYS = 730  # the last 24 months
# The demo compound weighs as much as this many average compounds: about 2,000 of a million
# cases in a city of 2,000 compounds, and the busiest compound however small the city.
DEMO_WEIGHT = 4.0
CHUNK_CASES = 2000  # cases (with their ~10 rows each) per write and commit

# How often residents report each kind of issue.
CATEGORY_SHARE = {
    Category.REPAIR: 26,
    Category.UTILITIES: 6,
    Category.LIFT: 8,
    Category.SANITATION: 13,
    Category.GREENERY: 5,
    Category.SECURITY: 7,
    Category.PARKING: 8,
    Category.NEIGHBOUR_DISPUTE: 5,
    Category.NOISE: 7,
    Category.MAINTENANCE_FUND: 2,
    Category.RENOVATION: 2,
    Category.FEES: 4,
    Category.COMPOUND_RULES: 1,
    Category.OTHER: 8,
}
# How far a case's people mean to take it; "now" cuts the walk of the newest ones short. (A
# profile may add "reopened_unanswered": sent back once, then no answer after the second
# resolution, so that it closes not solved.)
PLANS = {"solved": 55, "no_feedback": 13, "reopened": 5, "rejected": 7, "merged": 3, "withdrawn": 3}
# Some cases stall on the way and stay open: fewer the older they are, with a chance of
# STALL_FLOOR + STALL_RECENT * exp(-age in days / STALL_DAYS). Where they stall: after the last
# action they got (None: never triaged), with these weights.
STALL_FLOOR, STALL_RECENT, STALL_DAYS = 0.015, 0.06, 45
STALLS: dict[Action | None, float] = {
    None: 0.2,
    Action.ACCEPT: 0.2,
    Action.ASSIGN: 0.4,
    Action.CONVENE: 0.15,
    Action.WAIT: 0.05,  # on hold for the resident
}
CONVENE_SHARE = 0.35  # of the cases whose category needs a consultation
PHOTO_SHARE = 0.10  # with the report; half as many again with the resolution
WAIT_SHARE = 0.06  # of the cases at work: put on hold for the resident once
URGENT_WEIGHT = 0.25  # how often an urgent report of a kind comes, against an ordinary one
HOURS = [2, 1, 1, 1, 1, 3, 8, 15, 25, 25, 22, 18, 12, 12, 15, 16, 16, 15, 18, 20, 18, 12, 7, 4]
RESIDENTS_FILE = 0.6  # of the cases of a compound whose residents have accounts
TRIES = 3  # walks of a case that must be finished by now, before it is walked promptly

AREAS = "城关 南湖 北城 东风 西园 新华 人民 解放 建设 文化 光明 和平 胜利 友谊 红旗 长青".split()
WORDS = (
    "幸福 阳光 锦绣 翠湖 金桂 银杏 碧水 丽景 康乐 东方 华府 名都 怡景 春晖 书香 紫荆 瑞祥 "
    "盛世 龙腾 凤凰 天润 海棠 兰亭 玉泉 枫林 星河 云山 泰和 安居 御景"
).split()
KINDS = "小区 花园 苑 家园 新村 公寓 雅居 嘉园".split()
COMPANIES = (
    "鲁兴 圣泽 华宇 万家 金诚 鑫源 安泰 恒信 绿野 泰山 明湖 运河 德润 嘉禾 祥和 佳美 福瑞"
).split()
TITLES = {
    Category.PARKING: "小区停车规划三方协商会",
    Category.MAINTENANCE_FUND: "维修资金使用三方协商会",
    Category.RENOVATION: "老旧小区改造意见协商会",
    Category.FEES: "物业收费与公示三方协商会",
}
PLACES = ["小区党群服务站会议室", "物业服务中心会议室", "社区党群服务中心"]
OPINIONS = {
    PartyKind.BRANCH: "建议先解决安全隐患，费用问题分步协商。",
    PartyKind.PROPERTY: "物业可以先行组织施工，费用需业主共同承担。",
    PartyKind.RESIDENTS: "多数住户同意，但希望公开费用明细。",
}
AGREED = "三方同意按方案实施，物业负责组织，居民代表负责向住户公示。"

Row = dict[str, Any]


@dataclass(frozen=True)
class Profile:
    """How a compound's people work its cases: the city's average by default. Shares are
    chances between 0 and 1; weights are relative."""

    # How far a case's people mean to take it (PLANS): how many go without feedback, how many
    # are sent back.
    plans: dict[str, float] = field(default_factory=lambda: dict(PLANS))
    stalls: bool = True  # some cases stall on the way and stay open
    slow_triage: float = 0.08  # triaged a day or more after filing
    late: float = 0.15  # the work takes about as long as the deadline allows, or longer
    overrun: tuple[float, float] = (0.9, 1.6)  # how long, then: times the deadline's days
    convene: float = CONVENE_SHARE
    wait: float = WAIT_SHARE
    photos: float = PHOTO_SHARE
    # Who gives the verdict: the resident, or a return visit by phone or at the door.
    sources: tuple[float, float, float] = (65, 25, 10)
    grid_visits: float = 0.4  # of the return visits, the grid worker's (else the branch's)
    # 满意, 基本满意, 不满意 of a resident whose problem is solved, and of one whose is not.
    satisfied: tuple[float, float, float] = (72, 22, 6)
    unsatisfied: tuple[float, float, float] = (1, 2, 12)

    def toward(self, other: "Profile", share: float) -> "Profile":
        """This profile moved `share` of the way (0 to 1) toward the other."""

        def mix(a, b):
            if isinstance(a, dict):
                return {k: mix(a.get(k, 0), b.get(k, 0)) for k in a | b}
            if isinstance(a, tuple):
                return tuple(mix(x, y) for x, y in zip(a, b, strict=True))
            if isinstance(a, bool):
                return a if share < 0.5 else b
            return a + (b - a) * share

        moved = {f.name: mix(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)}
        return replace(self, **moved)


# A case that must be finished by now and would not be: walked again the plainest way.
PROMPT = Profile(plans={"solved": 1}, stalls=False, slow_triage=0, late=0, convene=0, wait=0)


@dataclass(frozen=True)
class Pin:
    """A case planted on a day: of this kind, in this building, taken this far; its text one
    that contains `words` where one does."""

    category: Category
    building: int  # its id
    plan: str
    words: str = ""


class Writer:
    """Rows buffered per table, with ids given from each table's highest on and every column
    filled (given, its default, or NULL), written in chunks in the order foreign keys need."""

    def __init__(self, use_copy: bool | None = None):
        self.dialect = db.session.get_bind().dialect.name
        self.use_copy = self.dialect == "postgresql" if use_copy is None else use_copy
        self.rows: dict[str, list[Row]] = defaultdict(list)
        self.last: dict[str, int] = {}
        self.written: dict[str, int] = defaultdict(int)
        self.blank: dict[str, Row] = {}
        self.sequences: dict[str, str] = {}

    def id(self, name: str) -> int:
        if name not in self.last:
            table = db.metadata.tables[name]
            self.last[name] = db.session.scalar(select(func.max(table.c.id))) or 0
        self.last[name] += 1
        return self.last[name]

    def new(self, name: str, /, **values) -> Row:
        """A row of the table `name`, with the next id if it has one."""
        if name not in self.blank:
            table = db.metadata.tables[name]
            self.blank[name] = {
                c.name: getattr(c.default, "arg", None)
                if c.default and c.default.is_scalar
                else None
                for c in table.columns
            }
        row = {**self.blank[name], **values}
        if "id" in row and row["id"] is None:
            row["id"] = self.id(name)
        self.rows[name].append(row)
        return row

    def flush(self) -> None:
        for table in db.metadata.sorted_tables:
            rows = self.rows.pop(table.name, None)
            if rows:
                (self._copy if self.use_copy else self._insert)(table, rows)
                self.written[table.name] += len(rows)
        if self.dialect == "postgresql":
            for name, last in self.last.items():
                # Past the ids given here (never back), so that the app's next row gets a free one.
                db.session.execute(
                    text(
                        "SELECT setval(CAST(:seq AS regclass), GREATEST(:last, "
                        "COALESCE(pg_sequence_last_value(CAST(:seq AS regclass)), 0)))"
                    ),
                    {"seq": self._sequence(name), "last": last},
                )
        db.session.commit()

    def _sequence(self, name: str) -> str:
        if name not in self.sequences:
            found = text("SELECT pg_get_serial_sequence(:t, 'id')")
            self.sequences[name] = db.session.scalar(found, {"t": f'"{name}"'})
        return self.sequences[name]

    def _insert(self, table: Table, rows: list[Row]) -> None:
        for start in range(0, len(rows), 10_000):
            db.session.execute(insert(table), rows[start : start + 10_000])

    def _copy(self, table: Table, rows: list[Row]) -> None:
        columns = list(rows[0])
        as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
        names = ", ".join(f'"{c}"' for c in columns)
        raw = db.session.connection().connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as out,
        ):
            for row in rows:
                out.write_row([json.dumps(row[c]) if c in as_json else row[c] for c in columns])


@dataclass
class Staff:
    """Who works a compound's cases (person ids), and the routing rules of its community."""

    secretary: int
    manager: int
    fitters: list[int]
    representative: int
    branch: list[int] = field(default_factory=list)  # the secretary and the branch's members
    grid_worker: int | None = None
    residents: list[tuple[int, str, str]] = field(default_factory=list)  # id, name, phone
    rules: dict = field(default_factory=dict)


@dataclass
class Place:
    id: int
    code: str
    buildings: list[tuple[int, str]]  # id, name
    weight: float  # its share of the cases
    staff: Staff
    profile: Profile = field(default_factory=Profile)
    later: Profile | None = None  # where its profile has moved to by the end of the history


class History:
    """Cases filed at the places day by day from `first` to `until` and walked through the
    workflow up to now, written in bulk. With `finish`, every case is finished (closed,
    rejected, merged or withdrawn) by now: the desks keep only what people are working on."""

    def __init__(
        self,
        cases: int,
        seed: int,
        first: date,
        until: datetime,
        *,
        finish: bool = False,
        season: dict[int, dict[Category, float]] | None = None,
        volume: Callable[[date], float] | None = None,
    ):
        self.cases, self.finish, self.season = cases, finish, season or {}
        self.volume = volume
        self.rng = random.Random(seed)
        self.w = Writer()
        self.now = now()
        self.until = until
        self.start = datetime.combine(first, time(0), tzinfo=LOCAL_ZONE).astimezone(UTC)
        config = current_app.config
        self.tiers = deadlines.Tiers.from_config(config)
        # One calendar for the whole history, and the months after it that deadlines reach.
        self.calendar = workdays.calendar_for(first, self.now.date() + timedelta(days=400))
        self.feedback_window = timedelta(days=config["FEEDBACK_WINDOW_DAYS"])
        self.escalate_after = timedelta(hours=config["ESCALATE_AFTER_HOURS"])
        self.escalate_again = timedelta(hours=config["ESCALATE_AGAIN_AFTER_HOURS"])
        self.names = [s + g for s in demo.SURNAMES for g in demo.GIVEN]
        self.places: list[Place] = []
        self.made: dict[int, int] = defaultdict(int)  # compound id → its cases
        self.forgotten: list[Action | None] = []
        self.pins: dict[date, list[tuple[Place, Pin]]] = defaultdict(list)
        self.counters: dict[tuple[int, date], int] = {}
        self.known_counters: set[tuple[int, date]] = set()
        # compound id → its latest cases and the time of each one's last event (merge targets)
        self.recent: dict[int, deque[tuple[Row, datetime]]] = defaultdict(lambda: deque(maxlen=6))
        self.events: dict[int, list[Row]] = {}  # case id → its events, until written
        self.photos: list[tuple[Row, Row]] = []  # (photo, its event), until written
        self.hour_weights = list(accumulate(HOURS))
        self.category_weights: dict[int, list[float]] = {}  # month → cumulative weights
        self.issues: dict[Category, list[tuple[str, str, bool]]] = defaultdict(list)
        for category, description, where, urgent in texts.ISSUES + texts.MORE_ISSUES:
            self.issues[category].append((description, where, urgent))
        self.in_season: dict[tuple[Category, int], list[tuple[str, str, bool]]] = {}

    def resolution_due(self, at, rule: Rule, priority: Priority, consult: bool) -> datetime:
        span = deadlines.resolution_span(rule, priority, consult, self.tiers)
        return deadlines.due(at, span, self.calendar).at

    def person(self, role: Role, *, compound=None, community=None, sub_district=None) -> int:
        """Someone to stand in at an empty desk: only the city makes them up."""
        raise LookupError(f"nobody holds the role {role} in compound {compound}")

    # -- the places ------------------------------------------------------------------------

    def add_compound(
        self,
        compound: Compound,
        weight: float,
        profile: Profile | None = None,
        later: Profile | None = None,
        residents: bool = True,
    ) -> Place:
        """A compound of the database among the places, with its own people at every desk a
        case needs (a stand-in where a desk is empty); its residents with accounts file some
        of its cases unless `residents` is false."""

        def ids(*roles):
            return [p.id for p in people_holding(compound.id, roles)]

        def first(role):
            return (ids(role) or [self.person(role, compound=compound.id)])[0]

        verified = db.session.execute(
            select(Person.id, Person.name, Person.phone)
            .join(Home, Home.person_id == Person.id)
            .where(Home.compound_id == compound.id, Home.state == HomeState.VERIFIED)
            .order_by(Person.id)
        )
        secretary = first(Role.SECRETARY)
        staff = Staff(
            secretary=secretary,
            manager=first(Role.PROPERTY_MANAGER),
            fitters=ids(Role.PROPERTY_STAFF) or [first(Role.PROPERTY_STAFF)],
            representative=first(Role.REPRESENTATIVE),
            branch=[secretary, *ids(Role.BRANCH_MEMBER)],
            grid_worker=db.session.scalar(
                select(Membership.person_id).where(
                    Membership.role == Role.GRID_WORKER,
                    Membership.community_id == compound.community_id,
                )
            ),
            residents=[(r[0], r[1], r[2]) for r in verified] if residents else [],
            rules=community_rules(compound.community_id),
        )
        buildings = [(b.id, b.name) for b in compound.buildings]
        place = Place(
            compound.id, compound.code, buildings, weight, staff, profile or Profile(), later
        )
        self.places.append(place)
        # Numbers go on from where the compound's cases left them.
        for day, last in db.session.execute(
            select(CaseCounter.day, CaseCounter.last).where(CaseCounter.compound_id == compound.id)
        ):
            self.counters[compound.id, day] = last
            self.known_counters.add((compound.id, day))
        return place

    def pin(self, place: Place, day: date, pin: Pin) -> None:
        """A case of the pin's kind filed at the place on the day, besides the others."""
        self.pins[day].append((place, pin))

    # -- the cases -------------------------------------------------------------------------

    def days(self) -> list[tuple[date, int]]:
        """How many cases each local day gets: more lately (the portal caught on), fewer at
        weekends, a seasonal swing; the last day only as much as has passed of it."""
        last = local_date(self.until)
        first = local_date(self.start)
        span = (last - first).days + 1
        weights = []
        for n in range(span):
            day = first + timedelta(days=n)
            weight = (0.75 + 0.5 * (n + 1) / span) * (0.8 if day.weekday() >= 5 else 1.05)
            weight *= 1 + 0.15 * math.sin(2 * math.pi * day.timetuple().tm_yday / 365)
            if day == last:
                midnight = datetime.combine(day, time(0), tzinfo=LOCAL_ZONE)
                weight *= (self.until - midnight) / timedelta(days=1)
            if self.volume is not None:
                weight *= self.volume(day)
            weights.append((day, weight))
        total, running, given = sum(w for _d, w in weights), 0.0, 0
        counts = []
        for day, weight in weights:
            running += weight
            upto = round(running / total * self.cases)
            counts.append((day, upto - given))
            given = upto
        return counts

    def build_cases(self, progress: Callable[[int], None] = lambda n: None) -> None:
        rng = self.rng
        weights = list(accumulate(p.weight for p in self.places))
        last = local_date(self.until)
        pending = 0
        for day, count in self.days():
            midnight = datetime.combine(day, time(0), tzinfo=LOCAL_ZONE).astimezone(UTC)
            moments = []
            for hour in rng.choices(range(24), cum_weights=self.hour_weights, k=count):
                moment = midnight + timedelta(hours=hour, seconds=rng.randrange(3600))
                if moment >= self.until:  # the last day: only what has passed of it
                    moment = midnight + (self.until - midnight) * rng.random()
                moments.append(moment)
            where = rng.choices(self.places, cum_weights=weights, k=count)
            today: list[tuple[datetime, Place, Pin | None]] = [
                (moment, place, None) for moment, place in zip(sorted(moments), where, strict=True)
            ]
            for at, planted in self.pins.pop(day, ()):
                moment = midnight + timedelta(hours=rng.uniform(7, 21))
                today.append((min(moment, self.until - timedelta(minutes=1)), at, planted))
            today.sort(key=lambda one: one[0])
            for moment, place, pin in today:
                self.case(place, day, moment, pin)
            # The day's numbers are all given: its counters are final.
            for key in [k for k in self.counters if k[1] == day]:
                number = self.counters.pop(key)
                if key in self.known_counters:
                    self.w.rows["counter_update"].append({"c": key[0], "d": day, "last": number})
                else:
                    self.w.new("case_counter", compound_id=key[0], day=day, last=number)
            pending += len(today)
            if pending >= CHUNK_CASES or day == last:
                self.write()
                progress(pending)
                pending = 0

    def write(self) -> None:
        cases = {row["id"]: row for row in self.w.rows.get("case", ())}
        for case_id, events in self.events.items():
            events.sort(key=lambda e: e["at"])  # stable: steps at one moment keep their order
            for event in events:
                event["id"] = self.w.id("case_event")
                self.w.rows["case_event"].append(event)
            if case_id in cases:
                # Its facts, worked out as the app works them out (reports.facts).
                self.w.rows["case_fact"].append(facts.derive_row(cases[case_id], events))
        for photo, event in self.photos:
            photo["event_id"] = event["id"]
        self.events.clear()
        self.photos.clear()
        updates = self.w.rows.pop("counter_update", [])
        if updates:
            table = db.metadata.tables["case_counter"]
            db.session.execute(
                update(table)
                .where(table.c.compound_id == bindparam("c"), table.c.day == bindparam("d"))
                .values(last=bindparam("last")),
                updates,
            )
        self.w.flush()

    def case(self, place: Place, day: date, moment: datetime, pin: Pin | None = None) -> None:
        """A case filed at the place and walked as far as its plan and now allow. One that must
        be finished by now and is not is taken back and walked again: TRIES times as its
        compound's people work, then promptly; if even that cannot be done by now, it is not
        filed at all."""
        for attempt in range(TRIES + 1 if self.finish else 1):
            kept = self.keep(place) if self.finish else None
            life = self.file(place, day, moment, pin, PROMPT if attempt == TRIES else None)
            if not self.finish or life.state in FINISHED_STATES:
                break
            self.take_back(kept, life)
        else:
            return
        self.made[place.id] += 1
        if life.state in MERGE_TARGETS:
            self.recent[place.id].append((life.row, max(e["at"] for e in life.events)))

    def keep(self, place: Place) -> tuple:
        """Where the buffers stand, to take a case filed at the place back to (`take_back`):
        it can add events only to itself and to the place's latest cases (merge targets)."""
        targets = {
            row["id"]: len(self.events[row["id"]])
            for row, _last in self.recent[place.id]
            if row["id"] in self.events
        }
        return {t: len(rows) for t, rows in self.w.rows.items()}, dict(self.w.last), targets

    def take_back(self, kept: tuple | None, life: "Life") -> None:
        """Everything the case wrote, as if it had never been filed: its rows, its events, an
        event it left on the case it was merged into, its photos and its number."""
        assert kept is not None
        lengths, last, targets = kept
        for table, rows in self.w.rows.items():
            del rows[lengths.get(table, 0) :]
        self.w.last = last
        self.events.pop(life.row["id"])
        for case_id, length in targets.items():
            del self.events[case_id][length:]
        self.photos = [(p, e) for p, e in self.photos if p["case_id"] != life.row["id"]]
        key = (life.row["compound_id"], life.day)
        self.counters[key] -= 1
        if self.counters[key] == 0 and key not in self.known_counters:
            del self.counters[key]

    def categories_on(self, day: date) -> list[float]:
        """The cumulative weights of the kinds of issue in the day's month (`season`)."""
        if day.month not in self.category_weights:
            factor = self.season.get(day.month, {})
            self.category_weights[day.month] = list(
                accumulate(share * factor.get(c, 1) for c, share in CATEGORY_SHARE.items())
            )
        return self.category_weights[day.month]

    def issues_of(self, category: Category, month: int) -> list[tuple[str, str, bool]]:
        """What residents say of a kind of issue in a month: heating is not out in summer."""
        if (category, month) not in self.in_season:
            fitting = [
                issue
                for issue in self.issues[category]
                if month in texts.IN_SEASON.get(issue[0], range(1, 13))
            ]
            self.in_season[category, month] = fitting or self.issues[category]
        return self.in_season[category, month]

    def file(
        self, place: Place, day: date, moment: datetime, pin: Pin | None, profile: Profile | None
    ) -> "Life":
        rng, staff = self.rng, place.staff
        age = (self.now - moment) / timedelta(days=1)
        if profile is None:
            profile = place.profile
            if place.later is not None:  # where it stands on its way
                share = (moment - self.start) / (self.until - self.start)
                profile = profile.toward(place.later, share)
        stop: Action | str | None = "end"
        plan = rng.choices(list(profile.plans), list(profile.plans.values()))[0]
        if pin is not None:
            plan = pin.plan if profile is not PROMPT else plan
        elif self.forgotten:  # the oldest cases, however small the city: one left at each stage
            stop, plan = self.forgotten.pop(), "solved"
        elif profile.stalls and rng.random() < STALL_FLOOR + STALL_RECENT * math.exp(
            -age / STALL_DAYS
        ):
            stop = rng.choices(list(STALLS), list(STALLS.values()))[0]
        if pin is not None:
            category = pin.category
        elif stop == Action.CONVENE:
            category = rng.choice(
                [c for c in Category if rule_for(c, staff.rules).needs_consultation]
            )
        else:
            category = rng.choices(list(CATEGORY_SHARE), cum_weights=self.categories_on(day))[0]
        issues = self.issues_of(category, day.month)
        if pin is not None:
            issues = [i for i in issues if pin.words in i[0]] or issues
        weights = [URGENT_WEIGHT if urgent else 1 for _d, _w, urgent in issues]
        description, where, urgent = rng.choices(issues, weights)[0]
        building_id, building_name = rng.choice(place.buildings)
        if pin is not None:
            building_id, building_name = next(b for b in place.buildings if b[0] == pin.building)
        number = self.counters[place.id, day] = self.counters.get((place.id, day), 0) + 1
        reporter = filer = None
        who = rng.random()
        if staff.residents and who < RESIDENTS_FILE:
            reporter, name, phone = rng.choice(staff.residents)
            filer = reporter
        else:
            name, phone = rng.choice(self.names), f"1{rng.choice('58')}{rng.randrange(10**9):09d}"
            if staff.grid_worker and who > 0.9:
                filer = staff.grid_worker
        row = self.w.new(
            "case",
            number=f"{place.code}-{day:%Y%m%d}-{number:04d}",
            compound_id=place.id,
            building_id=building_id,
            category=category.value,
            description=description,
            location=f"{building_name}{where}",
            urgent=urgent,
            contact_name=name,
            contact_phone=phone,
            reporter_id=reporter,
            filed_by_id=filer,
            on_behalf=filer is not None and reporter is None,
            # Nobody holds the follow-up key of a synthetic case: a random hash stands for it.
            follow_key_hash=None if reporter else f"{rng.getrandbits(256):064x}",
            state=INITIAL.value,
            priority=(Priority.URGENT if urgent else Priority.NORMAL).value,
            needs_consultation=False,
            reopen_count=0,
            escalation_level=0,
            created_at=moment,
            updated_at=moment,
            due_at=deadlines.triage_due(moment, urgent, self.tiers),
            response_due_at=deadlines.response_due(moment, urgent, self.tiers),
            version=1,
        )
        self.events[row["id"]] = []
        life = Life(self, row, staff, rule_for(category, staff.rules), profile, day)
        life.walk(plan, stop)
        return life

    def photo(self, row: Row, event: Row, by: int | None) -> None:
        name = f"cases/{row['id']}/{self.rng.getrandbits(128):032x}"
        photo = self.w.new(
            "photo",
            case_id=row["id"],
            path=f"{name}.jpg",
            thumb_path=f"{name}.thumb.jpg",
            width=1280,
            height=960,
            size=self.rng.randint(80_000, 400_000),
            uploaded_by_id=by,
            created_at=event["at"],
        )
        self.photos.append((photo, event))


class City(History):
    """A synthetic city of `compounds` compounds and their organisation, and `cases` cases over
    the last DAYS days, a share of them in the demo world's first compound."""

    def __init__(self, compounds: int, cases: int, seed: int):
        moment = now()
        super().__init__(cases, seed, local_date(moment) - timedelta(days=DAYS - 1), moment)
        self.compounds = compounds
        self.tag = self._tag()
        self.hash = generate_password_hash(demo.PASSWORD, method="pbkdf2:sha256:1000")
        self.phones = 0
        self.demo: Place | None = None
        self.forgotten = list(STALLS)

    # -- the organisation ------------------------------------------------------------------

    def _tag(self) -> int:
        """The number of this city in the database: its codes and phone numbers carry it."""
        codes = db.session.scalars(select(SubDistrict.code).where(SubDistrict.code.like("city%")))
        tags = [int(c[4:].split("-")[0]) for c in codes if c[4:].split("-")[0].isdigit()]
        tag = max(tags, default=0) + 1
        while db.session.scalar(select(Person.id).where(Person.phone.like(f"17{tag:02d}%"))):
            tag += 1
        if tag > 99:
            raise Conflict(_l("This database holds too many cities already; use a fresh one."))
        return tag

    def person(self, role: Role, *, compound=None, community=None, sub_district=None) -> int:
        self.phones += 1
        phone = f"17{self.tag:02d}{self.phones:07d}"
        pid = self.w.new(
            "person",
            name=self.rng.choice(self.names),
            phone=phone,
            password_hash=self.hash,
            created_at=self.start,
        )["id"]
        self.w.new(
            "membership",
            person_id=pid,
            role=role.value,
            compound_id=compound,
            community_id=community,
            sub_district_id=sub_district,
            created_at=self.start,
        )
        return pid

    def organisation(self) -> None:
        rng, w, tag = self.rng, self.w, self.tag
        subs = max(1, round(self.compounds / 200))
        communities = max(1, round(self.compounds / 10))
        sub_ids = []
        for n in range(subs):
            area = AREAS[n % len(AREAS)] + (str(n // len(AREAS) + 1) if n >= len(AREAS) else "")
            sid = w.new("sub_district", code=f"city{tag}-s{n + 1}", name=f"{area}街道")["id"]
            self.person(Role.SUBDISTRICT_OVERSEER, sub_district=sid)
            sub_ids.append(sid)
        community_ids = []
        for n in range(communities):
            cid = w.new(
                "community",
                code=f"city{tag}-m{n + 1}",
                name=f"{rng.choice(WORDS)}{n + 1}社区",
                sub_district_id=sub_ids[n * subs // communities],
            )["id"]
            self.person(Role.COMMUNITY_OVERSEER, community=cid)
            community_ids.append((cid, self.person(Role.GRID_WORKER, community=cid)))
        names = [a + b for a in WORDS for b in KINDS]
        rng.shuffle(names)
        # Each company serves compounds all over the city (the ledger compares them).
        companies = {
            company: w.new("property_company", code=f"city{tag}-p{i + 1}", name=f"{company}物业")[
                "id"
            ]
            for i, company in enumerate(dict.fromkeys(COMPANIES))
        }
        for n in range(self.compounds):
            community, grid_worker = community_ids[n * communities // self.compounds]
            name = names[n % len(names)] + (f"{n // len(names) + 1}期" if n >= len(names) else "")
            code = f"c{tag}-{n + 1:05d}"
            company = rng.choice(COMPANIES)
            pid = w.new(
                "compound",
                code=code,
                name=name,
                community_id=community,
                property_company_id=companies[company],
            )["id"]
            for kind, party in (
                (PartyKind.BRANCH, f"{name}党支部"),
                (PartyKind.PROPERTY, f"{company}物业{name}项目部"),
                (PartyKind.RESIDENTS, f"{name}居民代表"),
            ):
                w.new("party", compound_id=pid, kind=kind.value, name=party)
            buildings = []
            for b in map(str, range(1, rng.randint(4, 20) + 1)):
                sort_key = Building.sort_key_for(b)
                bid = w.new(
                    "building", compound_id=pid, code=b, name=f"{b}号楼", sort_key=sort_key
                )["id"]
                buildings.append((bid, f"{b}号楼"))
            secretary = self.person(Role.SECRETARY, compound=pid)
            staff = Staff(
                secretary=secretary,
                manager=self.person(Role.PROPERTY_MANAGER, compound=pid),
                fitters=[self.person(Role.PROPERTY_STAFF, compound=pid)],
                representative=self.person(Role.REPRESENTATIVE, compound=pid),
                branch=[secretary],
                grid_worker=grid_worker,
            )
            weight = len(buildings) * rng.uniform(0.5, 1.5)
            self.places.append(Place(pid, code, buildings, weight, staff))
        w.flush()

    def add_demo_compound(self, compound: Compound) -> None:
        """The demo world's compound among the city's, the busiest of them."""
        mean = sum(p.weight for p in self.places) / max(1, len(self.places))
        self.demo = self.add_compound(compound, DEMO_WEIGHT * mean)
        self.w.flush()


class Life:
    """One case walked from filing through the workflow's table, as its people and the sweep
    would have moved it, until its plan ends or its next step would come after now."""

    def __init__(
        self, city: History, row: Row, staff: Staff, rule: Rule, profile: Profile, day: date
    ):
        self.city, self.row, self.staff, self.rule = city, row, staff, rule
        self.profile, self.day = profile, day
        self.rng = city.rng
        self.state: State = INITIAL
        self.events = city.events[row["id"]]
        # How long after a deadline the sweep (every five minutes) came by.
        self.lag = timedelta(seconds=self.rng.randint(1, 300))

    # -- steps -----------------------------------------------------------------------------

    def event(self, kind: EventKind, at, actor, role, public=True, body=None, **data) -> Row:
        event = {
            "id": None,
            "case_id": self.row["id"],
            "at": at,
            "actor_id": actor,
            "actor_role": role,
            "action": kind.value,
            "public": public,
            "body": body,
            "from_state": None,
            "to_state": None,
            "data": data,
        }
        self.events.append(event)
        return event

    def act(self, action: Action, at, actor, role, public=True, body=None, **data) -> Row:
        """The workflow's step, as cases.service._move takes it: the state it leads to, the
        row's time and version, and the event."""
        found = step(self.state, action)
        assert found is not None, (self.state, action)
        before = self.state
        to = found.target(assigned=self.row["assignee_id"] is not None)
        if to is not None:
            self.state = to
            self.row["state"] = to.value
        if found.changes_case:
            self.row["updated_at"] = at
            self.row["version"] += 1
        event = self.event(EventKind(action.value), at, actor, role, public, body, **data)
        # The first contact with the resident, as cases.service._contacts counts it (a
        # synthetic case has no phone reveals, and its return visits are by staff).
        contact = EventKind(action.value) in CONTACTS or data.get("source") not in (
            None,
            "resident",
        )
        if contact and self.row.get("responded_at") is None:
            self.row["responded_at"] = at
        event["from_state"] = before.value
        event["to_state"] = self.state.value if self.state != before else None
        return event

    def wait(self, until: datetime) -> bool:
        """What the sweep did while the case waited until `until`, or now: reminded the owners
        once its deadline passed, escalated it a day later and again three days after that.
        Whether `until` has come yet. Every step of the walk waits for its time first, so no
        step the sweep adds comes before one already taken."""
        city, row = self.city, self.row
        late, due = min(until, city.now), row["due_at"]
        if self.state in CLOCK_RUNS and due is not None and due < late:
            if row["reminded_for"] != due and due + self.lag < late:
                row["reminded_for"] = due
                at = due + self.lag
                self.event(EventKind.REMIND, at, None, "system", public=False, due=due.isoformat())
            if row["escalation_level"] == 0 and due + city.escalate_after + self.lag < late:
                self.escalate(1, due + city.escalate_after + self.lag)
            if row["escalation_level"] == 1:
                at = max(row["escalated_at"] + city.escalate_again, due) + self.lag
                if at < late:
                    self.escalate(2, at)
        return until <= city.now

    def escalate(self, level: int, at) -> None:
        row = self.row
        row["escalation_level"], row["escalated_at"] = level, at
        due = row["due_at"].isoformat()
        self.act(Action.ESCALATE, at, None, "system", False, level=level, automatic=True, due=due)

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    # -- the walk --------------------------------------------------------------------------

    def walk(self, plan: str, stop) -> None:
        rng, row, staff = self.rng, self.row, self.staff
        at = row["created_at"]
        filer = row["filed_by_id"]
        role = "on_behalf" if row["on_behalf"] else ("reporter" if filer else "visitor")
        filed = self.event(EventKind.FILE, at, filer, role, on_behalf=row["on_behalf"])
        filed["to_state"] = INITIAL.value
        if rng.random() < self.profile.photos:
            self.city.photo(row, filed, row["reporter_id"])
        if stop is None:
            self.wait(self.city.now)
            return
        if plan == "withdrawn":
            at += self.hours(0.2, 8)
            if self.wait(at):
                row["due_at"] = None
                self.act(Action.WITHDRAW, at, row["reporter_id"], "reporter")
            return
        if row["urgent"]:
            at += self.hours(0.1, 2)
        else:  # some over the triage deadline: reminded, perhaps escalated
            late = rng.random() < self.profile.slow_triage
            at += self.hours(24, 96) if late else self.hours(0.3, 20)
        if not self.wait(at) or (plan == "merged" and self.merge(at)):
            return
        if plan in ("rejected", "merged"):
            row["reject_reason"], row["due_at"] = rng.choice(texts.REJECTIONS), None
            self.act(Action.REJECT, at, staff.secretary, "secretary", body=row["reject_reason"])
            return
        self.accept(at)
        if stop == Action.ACCEPT:
            self.wait(self.city.now)
            return
        if rng.random() > 0.6:  # else assigned with the acceptance
            at += self.hours(0.5, 12)
            if not self.wait(at):
                return
        assignee = self.assign(at)
        done = self.work(at, assignee, stop)
        if done is None:
            return
        if stop == Action.ASSIGN:
            self.wait(self.city.now)
            return
        if plan in ("reopened", "reopened_unanswered"):
            reopened = self.resolve(done, assignee) and self.feedback(done, solved=False)
            if not reopened:
                return
            done = self.work(reopened, assignee, stop, updates=1)
            if done is None:
                return
        if not self.resolve(done, assignee):
            return
        if plan not in ("no_feedback", "reopened_unanswered"):  # else: closed, not solved
            self.feedback(done, solved=True)
        elif row["feedback_due_at"] + self.lag < self.city.now:
            at = row["feedback_due_at"] + self.lag
            row["closed_at"], row["closure"], row["feedback_due_at"] = (
                at,
                Closure.NO_FEEDBACK.value,
                None,
            )
            self.act(Action.CLOSE_NO_FEEDBACK, at, None, "system")
            self.keep(at, None, Source.NO_FEEDBACK, None, None, None)

    def merge(self, at) -> bool:
        """Into one of the compound's latest cases, of the same kind if there is one. A case
        whose timeline is written already takes it only if nothing happened to it since: a
        timeline runs in the order of its events' ids."""
        city = self.city
        targets = [
            row
            for row, last in city.recent[self.row["compound_id"]]
            if row["id"] in city.events or last <= at
        ]
        same = [row for row in targets if row["category"] == self.row["category"]]
        if not targets:
            return False
        target = self.rng.choice(same or targets)
        self.row["merged_into_id"], self.row["due_at"] = target["id"], None
        self.act(Action.MERGE, at, self.staff.secretary, "secretary", target=target["number"])
        merged_in = {
            **self.events[-1],
            "case_id": target["id"],
            "action": EventKind.MERGED_IN.value,
            "public": False,
            "from_state": None,
            "to_state": None,
            "data": {"source": self.row["number"]},
        }
        if target["id"] in city.events:
            city.events[target["id"]].append(merged_in)
        else:
            city.w.rows["case_event"].append({**merged_in, "id": city.w.id("case_event")})
        return True

    def accept(self, at) -> None:
        rng, row, rule = self.rng, self.row, self.rule
        priority = Priority.URGENT if row["urgent"] else Priority.NORMAL
        if priority is Priority.NORMAL and rng.random() < 0.1:
            priority = Priority.HIGH
        # Whose job it is, as the secretary records it at triage (with weights).
        options: dict[Responsibility | None, int] = {Responsibility.COMMON_AREA: 1, None: 1}
        if rule.needs_consultation:
            options = {Responsibility.CONSULTATION: 1}
        elif rule.lead_party is PartyKind.PROPERTY:
            options = {
                Responsibility.PROPERTY_CONTRACT: 6,
                Responsibility.COMMON_AREA: 3,
                Responsibility.OWNER: 1,
            }
        responsibility = rng.choices(list(options), list(options.values()))[0]
        row.update(
            priority=priority.value,
            lead_party=rule.lead_party.value,
            needs_consultation=rule.needs_consultation,
            responsibility=responsibility.value if responsibility else None,
            accepted_at=at,
            due_at=self.city.resolution_due(at, rule, priority, rule.needs_consultation),
        )
        self.act(
            Action.ACCEPT,
            at,
            self.staff.secretary,
            "secretary",
            category=row["category"],
            priority=priority.value,
            lead_party=rule.lead_party.value,
            needs_consultation=rule.needs_consultation,
        )

    def assign(self, at) -> int:
        rng, staff = self.rng, self.staff
        if self.rule.lead_party is PartyKind.PROPERTY:
            party = PartyKind.PROPERTY
            assignee = staff.manager if rng.random() < 0.3 else rng.choice(staff.fitters)
        else:
            party, assignee = PartyKind.BRANCH, rng.choice(staff.branch)
        # As cases.service records it: on its own, or as part of the acceptance.
        alone = {} if at == self.row["accepted_at"] else {"previous_id": None}
        self.row["assignee_id"] = assignee
        self.act(
            Action.ASSIGN,
            at,
            staff.secretary,
            "secretary",
            assignee_id=assignee,
            **alone,
            party=party.value,
        )
        return assignee

    def work(self, at, assignee: int, stop, updates=2) -> datetime | None:
        """Updates and notes until the work is done, with a consultation first for some of the
        cases that need one. When the work is done, or None if now comes first."""
        rng, row, rule = self.rng, self.row, self.rule
        in_time = rng.random() < 1 - self.profile.late
        share = rng.uniform(0.05, 0.6) if in_time else rng.uniform(*self.profile.overrun)
        done = at + timedelta(days=max(0.05, rule.resolution_days * share))
        if row["priority"] == Priority.URGENT.value:
            done = at + self.hours(1, 30)
        if (
            rule.needs_consultation
            and row["reopen_count"] == 0
            and (stop == Action.CONVENE or rng.random() < self.profile.convene)
        ):
            ended = self.consult(at + self.hours(1, 48), over=stop != Action.CONVENE)
            if ended is None:
                return None
            at, done = ended, max(done, ended) + self.hours(4, 72)
        # The secretary posts updates as secretary, anyone else as the assignee.
        role = Role.SECRETARY.value if assignee == self.staff.secretary else "assignee"
        for _ in range(rng.randint(0, updates)):
            at = at + (done - at) * rng.uniform(0.2, 0.7)
            if not self.wait(at):
                return None
            body = rng.choice(texts.progress_for(Category(row["category"])))
            self.act(Action.PROGRESS, at, assignee, role, body=body)
        if rng.random() < 0.3:
            at = at + (done - at) * rng.uniform(0.1, 0.5)
            if not self.wait(at):
                return None
            note = rng.choice(texts.NOTES)
            self.act(Action.NOTE, at, self.staff.secretary, "secretary", False, body=note)
        if stop == Action.WAIT or rng.random() < self.profile.wait:
            at = at + (done - at) * rng.uniform(0.1, 0.5)
            return self.wait_on_resident(at, assignee, done, stays=stop == Action.WAIT)
        return done

    def wait_on_resident(self, at, assignee: int, done, stays: bool) -> datetime | None:
        """Put on hold for the resident (access, a photo, a decision) and, unless it `stays`
        so, taken back to work by their answer or by the assignee: the deadline moves on by the
        wait, as cases.service does it. When the work is done, or None while it waits."""
        rng, row = self.rng, self.row
        if not self.wait(at):
            return None
        role = Role.SECRETARY.value if assignee == self.staff.secretary else "assignee"
        need, ask = rng.choice(texts.ASKS)
        self.act(Action.WAIT, at, assignee, role, body=ask, need=need.value)
        back = at + self.hours(3, 96)
        if stays or not self.wait(back):
            self.wait(self.city.now)
            return None
        span = deadlines.resolution_span(
            self.rule, Priority(row["priority"]), row["needs_consultation"], self.city.tiers
        )
        row["due_at"] = deadlines.after_pause(row["due_at"], span, at, back, self.city.calendar).at
        if row["reporter_id"] is not None:
            self.act(Action.ADD_INFO, back, row["reporter_id"], "reporter", body="好的，已补充。")
        else:
            self.act(Action.RESUME, back, assignee, role)
        return max(done, back) + self.hours(2, 48)

    def consult(self, at, over: bool) -> datetime | None:
        """On a consultation's agenda: convened, met (or heard on-line), signed by the three
        parties' heads, and back to work. When it ended, or None while it goes on."""
        rng, row, staff, w = self.rng, self.row, self.staff, self.city.w
        if not self.wait(at):
            return None
        online = rng.random() < 0.5
        meets = at + self.hours(48, 168)
        ends = at + timedelta(days=7) + self.hours(2, 30) if online else meets + self.hours(1, 3)
        over = over and ends < self.city.now
        title = TITLES.get(Category(row["category"]), "三方协商会")
        consultation = w.new(
            "consultation",
            compound_id=row["compound_id"],
            title=title,
            mode=(Mode.ONLINE if online else Mode.IN_PERSON).value,
            state=(ConsultationState.CONCLUDED if over else ConsultationState.OPEN).value,
            starts_at=None if online else meets,
            place=None if online else rng.choice(PLACES),
            window_closes_at=at + timedelta(days=7) if online else None,
            convened_by_id=staff.secretary,
            created_at=at,
            concluded_at=ends if over else None,
            version=2 if over else 1,
        )["id"]
        item = w.new("agenda_item", consultation_id=consultation, case_id=row["id"])["id"]
        heads = {
            PartyKind.BRANCH: staff.secretary,
            PartyKind.PROPERTY: staff.manager,
            PartyKind.RESIDENTS: staff.representative,
        }
        for party, person in heads.items():
            w.new("invitation", consultation_id=consultation, person_id=person, party=party.value)
        self.act(
            Action.CONVENE,
            at,
            staff.secretary,
            "secretary",
            consultation_id=consultation,
            title=title,
        )
        if not over:
            return None
        resolution = w.new(
            "resolution",
            item_id=item,
            text=AGREED,
            state=ResolutionState.EFFECTIVE.value,
            drafted_by_id=staff.secretary,
            created_at=ends,
            effective_at=ends,
            signed_count=3,
            version=4,
        )["id"]
        for party, person in heads.items():  # every party took part, then signed
            if online:
                opined = at + self.hours(2, 160)
                body = OPINIONS[party]
                w.new(
                    "opinion",
                    item_id=item,
                    party=party.value,
                    author_id=person,
                    body=body,
                    created_at=opined,
                )
            else:
                w.new(
                    "attendance",
                    consultation_id=consultation,
                    party=party.value,
                    present=True,
                    recorded_by_id=staff.secretary,
                    recorded_at=meets,
                )
            w.new(
                "signature",
                resolution_id=resolution,
                party=party.value,
                signer_id=person,
                decision=Decision.SIGN.value,
                at=ends,
            )
        # The clock paused while the case waited on the consultation.
        row["due_at"] += ends - at
        self.act(
            Action.END_CONSULTATION,
            ends,
            staff.secretary,
            "secretary",
            body=AGREED,
            outcome="effective",
        )
        return ends

    def resolve(self, at, assignee: int) -> bool:
        row = self.row
        if not self.wait(at):
            return False
        row["resolution"] = texts.resolution_for(Category(row["category"]))
        due, row["resolved_at"], row["due_at"] = row["due_at"], at, None
        row["feedback_due_at"] = at + self.city.feedback_window
        event = self.act(
            Action.RESOLVE,
            at,
            assignee,
            "assignee",
            body=row["resolution"],
            due=due.isoformat() if due is not None else None,
        )
        if self.rng.random() < self.profile.photos / 2:
            self.city.photo(row, event, assignee)
        return True

    def feedback(self, resolved, solved: bool) -> datetime | None:
        """The resident's verdict, or a return visit's record of it, within the window: solved
        closes the case, not solved sends it back. When it was given, or None if not yet."""
        rng, row, staff = self.rng, self.row, self.staff
        at = resolved + self.hours(2, max(3, self.city.feedback_window.days * 24 - 12))
        if at >= self.city.now:
            return None
        profile = self.profile
        source = rng.choices(list(Source)[:3], profile.sources)[0]  # resident, phone, door
        if source is Source.RESIDENT:
            by, role = row["reporter_id"], "reporter"
        elif staff.grid_worker and rng.random() < profile.grid_visits:
            by, role = staff.grid_worker, Role.GRID_WORKER.value
        else:
            by, role = staff.secretary, "branch_member"
        said = list(Satisfaction)  # satisfied, basically, dissatisfied
        satisfaction = rng.choices(said, profile.satisfied if solved else profile.unsatisfied)[0]
        noise = row["category"] == Category.NOISE.value
        comment = rng.choice(texts.COMMENTS) if solved else texts.NOT_SOLVED[noise]
        comment = comment or None
        data = {"solved": solved, "satisfaction": satisfaction.value, "source": source.value}
        if solved:
            row["closed_at"], row["closure"] = at, Closure.SOLVED.value
            row["feedback_due_at"] = None
            self.act(Action.CLOSE_SOLVED, at, by, role, body=comment, **data)
        else:
            row["reopen_count"] += 1
            row["feedback_due_at"] = row["resolved_at"] = row["resolution"] = None
            row["due_at"] = self.city.resolution_due(
                at, self.rule, Priority(row["priority"]), row["needs_consultation"]
            )
            self.act(Action.REOPEN, at, by, role, body=comment, **data)
        self.keep(at, by, source, solved, satisfaction, comment)
        return at

    def keep(self, at, by, source: Source, solved, satisfaction, comment) -> None:
        self.city.w.new(
            "feedback",
            case_id=self.row["id"],
            source=source.value,
            solved=solved,
            satisfaction=satisfaction.value if satisfaction else None,
            comment=comment,
            recorded_by_id=by,
            at=at,
        )


def demo_compound() -> Compound:
    """The first compound of the demo world, which is built first if it is not there: before
    the city gives any ids, so that the demo's rows never take one of them."""
    code = demo.COMPOUNDS[0][0]
    if db.session.scalar(select(Compound).where(Compound.code == code)) is None:
        demo.build()
    return db.session.scalars(select(Compound).where(Compound.code == code)).one()


def build(
    compounds: int, cases: int, seed: int = 1, progress: Callable[[int], None] = lambda n: None
) -> dict[str, Any]:
    """Build the city; returns the rows written per table, the demo compound's code and how
    many of the cases went there, and the seconds it took."""
    started = timer.monotonic()
    compound = demo_compound()
    city = City(compounds, cases, seed)
    city.organisation()
    city.add_demo_compound(compound)
    city.build_cases(progress)
    if city.w.dialect == "postgresql":
        db.session.execute(text("ANALYZE"))  # as autovacuum soon would: plans fit the new size
        db.session.commit()
    return {
        "rows": dict(city.w.written),
        "demo_compound": compound.code,
        "demo_cases": city.made[compound.id],
        "seconds": timer.monotonic() - started,
    }
