"""`flask portal demo`: a realistic demo world in Chinese, built through the same importers
administrators use, and the table of who can sign in as what. Its recent cases are made through
the services people use; the year before them is walked in bulk (`portal.city.History`), each
compound as its people and property company work, so that the figures tell a story."""

import csv
import io
import random
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.importing import import_people
from portal.accounts.models import Home, HomeState, Person
from portal.accounts.service import create_person
from portal.cases.categories import Category
from portal.cases.demo import RECENT_DAYS
from portal.clock import local_date, now
from portal.extensions import db
from portal.organisation.importing import import_org
from portal.organisation.models import Compound

PASSWORD = "demo1234"

SUB_DISTRICT = ("jy", "济阳街道")
COMMUNITIES = [("nc", "南池社区"), ("bh", "北湖社区")]
# code, name, community, number of buildings, property company
COMPOUNDS = [
    ("ymn", "颐美南苑", "nc", 6, "鲁兴物业"),
    ("czy", "翠竹园", "nc", 4, "圣泽物业"),
    ("bhhy", "北湖花园", "bh", 8, "鲁兴物业"),
    ("jyxq", "金宇小区", "bh", 5, "华宇物业"),
]
# The property companies' codes: 鲁兴 serves two compounds, in two communities.
PROPERTY_COMPANIES = {"鲁兴物业": "luxing", "圣泽物业": "shengze", "华宇物业": "huayu"}
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
    "程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史贺顾毛郝孔"
)
GIVEN = [
    "建国",
    "秀英",
    "桂兰",
    "志强",
    "丽华",
    "海燕",
    "明",
    "静",
    "伟",
    "敏",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "超",
    "秀兰",
    "玉梅",
    "德福",
    "淑珍",
    "国庆",
    "红梅",
    "晓东",
    "春梅",
    "立新",
    "桂英",
    "文杰",
    "金凤",
    "振华",
    "凤英",
    "卫东",
    "小红",
    "永强",
    "玉兰",
]

# (role, phone suffix, description shown in the sign-in table)
COMPOUND_STAFF = [
    ("secretary", "000001", "小区党支部书记"),
    ("branch_member", "000002", "支委、楼栋长"),
    ("branch_member", "000003", "党员"),
    ("property_manager", "000011", "物业经理"),
    ("property_staff", "000012", "物业维修工"),
    ("property_staff", "000013", "物业保洁主管"),
    ("representative", "000021", "居民代表"),
    ("representative", "000022", "居民代表（业委会）"),
]
RESIDENTS_PER_COMPOUND = 6
PENDING_PER_COMPOUND = 2

# -- the year before the recent cases -----------------------------------------------------------

# From the first day of the month a year before this one until ten days ago: every case of it
# finished by now, so that the desks hold only the recent cases people are working on (it files
# a third as many where those are, so that the months stay alike). Filed by residents without
# accounts, or by the grid worker for them: the sign-in table's residents keep their own cases.
HISTORY_CASES = 1100
HISTORY_SEED = 2025
HISTORY_GAP = timedelta(days=10)
HISTORY_BESIDE_RECENT = 0.35


def _plans(no_feedback: float, reopened: float, unanswered: float) -> dict[str, float]:
    """How far the cases go, in percent: without feedback; sent back once, then solved or
    left unanswered (closed not solved); turned away."""
    turned_away = {"rejected": 7, "merged": 3, "withdrawn": 3}
    solved = 100 - no_feedback - reopened - unanswered - sum(turned_away.values())
    return {
        "solved": solved,
        "no_feedback": no_feedback,
        "reopened": reopened,
        "reopened_unanswered": unanswered,
        **turned_away,
    }


def _working(triage, late, answered, grid_visits, satisfied, plans) -> dict:
    """A compound's people (portal.city.Profile's fields): the share the secretary triages a
    day or more late; the share the property company finishes late (and how late); who answers
    (the resident, by phone or at the door) and how much of the calling the grid worker does;
    满意 / 基本满意 / 不满意 of the solved; how far the cases go."""
    return {
        "slow_triage": triage,
        "late": late,
        "overrun": (1.3, 3.0),
        "sources": answered,
        "grid_visits": grid_visits,
        "satisfied": satisfied,
        "plans": plans,
    }


# Each compound: cases a building brings, how its people worked a year ago and, where that
# changed over the year, how they work now.
HISTORY = {
    # 颐美南苑, 鲁兴物业: steady and middling; the lifts of building 3 keep failing.
    "ymn": (1.0, _working(0.06, 0.12, (60, 30, 10), 0.4, (70, 24, 6), _plans(12, 5, 2)), None),
    # 翠竹园, 圣泽物业: prompt, rarely sent back, residents content; the branch calls back.
    "czy": (1.0, _working(0.03, 0.06, (50, 38, 12), 0.5, (84, 13, 3), _plans(5, 2, 0)), None),
    # 北湖花园, 鲁兴物业: good a year ago, slipping since (its project office short of staff):
    # later, more work sent back, fewer residents answering; leaks in building 5.
    "bhhy": (
        1.1,
        _working(0.04, 0.08, (60, 30, 10), 0.4, (80, 16, 4), _plans(8, 3, 0)),
        _working(0.2, 0.55, (75, 20, 5), 0.2, (30, 35, 35), _plans(22, 10, 5)),
    ),
    # 金宇小区, 华宇物业: poor a year ago, better since a new manager came and the grid worker
    # took up return visits.
    "jyxq": (
        1.0,
        _working(0.2, 0.7, (80, 15, 5), 0.2, (10, 30, 60), _plans(28, 10, 6)),
        _working(0.04, 0.08, (45, 40, 15), 0.7, (70, 24, 6), _plans(6, 3, 0)),
    ),
}
# What residents report more of, or less, in each month (1 when not named): heating in winter,
# greenery, rubbish and noise in summer, fireworks and visitors' cars at the Spring Festival,
# renovation in spring, heating fees in autumn.
SEASON = {
    1: {
        Category.UTILITIES: 2.5,
        Category.SECURITY: 1.5,
        Category.PARKING: 1.6,
        Category.GREENERY: 0.2,
    },
    2: {
        Category.UTILITIES: 2.0,
        Category.SECURITY: 1.5,
        Category.PARKING: 1.6,
        Category.GREENERY: 0.2,
    },
    3: {Category.UTILITIES: 1.4, Category.GREENERY: 0.6},
    4: {Category.GREENERY: 1.6, Category.RENOVATION: 1.8},
    5: {Category.GREENERY: 2.2, Category.RENOVATION: 1.6, Category.SANITATION: 1.2},
    6: {
        Category.GREENERY: 2.5,
        Category.SANITATION: 1.6,
        Category.NOISE: 1.3,
        Category.UTILITIES: 1.3,
    },
    7: {
        Category.GREENERY: 2.5,
        Category.SANITATION: 1.8,
        Category.NOISE: 1.4,
        Category.UTILITIES: 1.5,
    },
    8: {
        Category.GREENERY: 2.2,
        Category.SANITATION: 1.7,
        Category.NOISE: 1.3,
        Category.UTILITIES: 1.4,
    },
    9: {Category.GREENERY: 1.5, Category.SANITATION: 1.2},
    10: {Category.SANITATION: 1.2, Category.FEES: 2.0},
    11: {Category.UTILITIES: 2.8, Category.FEES: 1.8, Category.GREENERY: 0.4},
    12: {Category.UTILITIES: 3.0, Category.GREENERY: 0.2, Category.SECURITY: 1.2},
}
# Problems that come back: (compound, building, kind, words its text has, {months before this
# one: how far each of that month's cases went}). Each is one building's same kind of case in
# three or more of the last six months, none turned away, merged or withdrawn.
RECURRING = [
    (
        "ymn",
        "3",
        Category.LIFT,
        "电梯",
        {
            4: ["reopened", "solved"],
            3: ["solved", "solved"],
            2: ["reopened", "solved", "no_feedback"],
            1: ["solved", "solved"],
        },
    ),
    (
        "bhhy",
        "5",
        Category.UTILITIES,
        "漏水",
        {
            5: ["solved", "solved", "solved"],
            4: ["solved", "no_feedback"],
            3: ["reopened", "solved", "solved"],
            2: ["solved", "reopened", "solved"],
            1: ["solved", "no_feedback", "solved"],
        },
    ),
    (
        "jyxq",
        "2",
        Category.SANITATION,
        "垃圾",
        {5: ["solved", "solved"], 4: ["no_feedback", "solved"], 2: ["solved", "solved"]},
    ),
]


def _csv(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _people():
    """[(name, phone, role, scope, building, room, description)] of the whole world."""
    rng = random.Random(2024)
    names = set()

    def name():
        while True:
            candidate = rng.choice(SURNAMES) + rng.choice(GIVEN)
            if candidate not in names:
                names.add(candidate)
                return candidate

    people = [
        (name(), "13800000000", "admin", "", "", "", "系统管理员"),
        (name(), "13800000001", "subdistrict_overseer", SUB_DISTRICT[0], "", "", "街道党工委"),
    ]
    for c, (code, cname) in enumerate(COMMUNITIES, start=1):
        people.append(
            (name(), f"1380000001{c}", "community_overseer", code, "", "", f"{cname}党委")
        )
        people.append((name(), f"1380000002{c}", "grid_worker", code, "", "", f"{cname}网格员"))
    for i, (code, cname, _community, buildings, _company) in enumerate(COMPOUNDS, start=1):
        for role, suffix, description in COMPOUND_STAFF:
            people.append((name(), f"1390{i}{suffix}", role, code, "", "", f"{cname}{description}"))
        for n in range(1, RESIDENTS_PER_COMPOUND + 1):
            building = str((n - 1) % buildings + 1)
            room = f"{rng.randint(1, 3)}-{rng.randint(1, 6)}0{rng.randint(1, 2)}"
            people.append(
                (name(), f"1370{i}0001{n:02d}", "resident", code, building, room, f"{cname}居民")
            )
    return people, name


def build() -> bool:
    """Build the world unless it is already here. Returns whether anything was built."""
    if db.session.scalar(select(Compound).where(Compound.code == COMPOUNDS[0][0])):
        return False
    org_rows = []
    for code, cname, community, buildings, company in COMPOUNDS:
        community_name = dict(COMMUNITIES)[community]
        for b in range(1, buildings + 1):
            org_rows.append(
                [
                    SUB_DISTRICT[0],
                    SUB_DISTRICT[1],
                    community,
                    community_name,
                    code,
                    cname,
                    str(b),
                    f"{b}号楼",
                    f"{cname}小区党支部",
                    f"{company}{cname}项目部",
                    f"{cname}居民代表",
                    PROPERTY_COMPANIES[company],
                    company,
                ]
            )
    import_org(
        _csv(
            [
                "sub_district_code",
                "sub_district_name",
                "community_code",
                "community_name",
                "compound_code",
                "compound_name",
                "building_code",
                "building_name",
                "branch_name",
                "property_name",
                "residents_name",
                "property_company_code",
                "property_company_name",
            ],
            org_rows,
        )
    )
    people, name = _people()
    import_people(
        _csv(
            ["name", "phone", "role", "scope", "building", "room", "password"],
            [(*p[:6], PASSWORD) for p in people],
        )
    )
    # A few residents who signed up on their own and wait for the secretary.
    for i, (code, _cname, _community, _buildings, _company) in enumerate(COMPOUNDS, start=1):
        compound = db.session.scalars(select(Compound).where(Compound.code == code)).one()
        for n in range(1, PENDING_PER_COMPOUND + 1):
            person = create_person(name(), f"1370{i}0009{n:02d}", PASSWORD)
            db.session.add(
                Home(
                    person=person,
                    compound_id=compound.id,
                    building=compound.buildings[n - 1],
                    room=f"{n}-30{n}",
                    state=HomeState.PENDING,
                )
            )
    db.session.commit()
    _build_cases()
    return True


def _build_cases() -> None:
    from portal.accounts.models import Membership, Person
    from portal.accounts.roles import Role
    from portal.cases.demo import build_cases
    from portal.consultation.demo import build_consultations
    from portal.feedback.sweep import sweep
    from portal.recurring.detect import detect

    for i, (code, _cname, _community, *_rest) in enumerate(COMPOUNDS, start=1):
        compound = db.session.scalars(select(Compound).where(Compound.code == code)).one()
        grid_worker = db.session.scalar(
            select(Person)
            .join(Membership)
            .where(
                Membership.role == Role.GRID_WORKER,
                Membership.community_id == compound.community_id,
            )
        )
        build_cases(compound, grid_worker, seed=i)
        build_consultations(compound)
    _build_history()
    # What the every-five-minutes sweep would have done by now: reminders, escalations of
    # cases long overdue, "no feedback" closures; and last night's look for recurring problems.
    sweep()
    detect()


def _month_back(today: date, months: int) -> date:
    """The first day of the month `months` before today's."""
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _build_history() -> None:
    """The year before the recent cases, walked in bulk, every case of it finished by now."""
    from portal import city

    moment = now()
    until = moment - HISTORY_GAP
    today = local_date(moment)
    recent = local_date(moment - timedelta(days=RECENT_DAYS))
    history = city.History(
        HISTORY_CASES,
        HISTORY_SEED,
        _month_back(today, 12),
        until,
        finish=True,
        season=SEASON,
        volume=lambda day: HISTORY_BESIDE_RECENT if day >= recent else 1,
    )
    places = {}
    for code, _cname, _community, buildings, _company in COMPOUNDS:
        compound = db.session.scalars(select(Compound).where(Compound.code == code)).one()
        per_building, then, later = HISTORY[code]
        places[code] = history.add_compound(
            compound,
            buildings * per_building,
            city.Profile(photos=0, stalls=False, **then),
            city.Profile(photos=0, stalls=False, **later) if later else None,
            residents=False,
        )
    last_day = local_date(until)
    for code, building_code, category, words, months in RECURRING:
        place = places[code]
        building = next(b for b, name in place.buildings if name == f"{building_code}号楼")
        for back, plans in months.items():
            first = _month_back(today, back)
            last = min(_month_back(today, back - 1) - timedelta(days=1), last_day)
            for plan in plans:
                day = first + timedelta(days=history.rng.randrange((last - first).days + 1))
                history.pin(place, day, city.Pin(category, building, plan, words))
    history.build_cases()


def sign_in_table() -> str:
    people, _name = _people()
    lines = [
        _(
            "Everyone below signs in at http://127.0.0.1:5000/login with the password %(password)s",
            password=PASSWORD,
        ),
        "",
    ]
    for person_name, phone, _role, _scope, _b, _r, description in people:
        lines.append(f"  {phone}  {person_name:<6}\t{description}")
    # The residents still waiting for their secretary to verify them, by name.
    waiting = db.session.execute(
        select(Person.phone, Person.name, Compound.name)
        .join(Home, Home.person_id == Person.id)
        .join(Compound, Compound.id == Home.compound_id)
        .where(
            Home.state == HomeState.PENDING,
            Compound.code.in_([c[0] for c in COMPOUNDS]),
        )
        .order_by(Person.phone)
    )
    for phone, person_name, compound_name in waiting:
        lines.append(f"  {phone}  {person_name:<6}\t{compound_name}居民（待核实）")
    return "\n".join(lines)
