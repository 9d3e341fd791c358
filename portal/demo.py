"""`flask portal demo`: a realistic demo world in Chinese, built through the same importers
administrators use, and the table of who can sign in as what."""

import csv
import io
import random

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.importing import import_people
from portal.accounts.models import Home, HomeState, Person
from portal.accounts.service import create_person
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
    # What the every-five-minutes sweep would have done by now: reminders, escalations of
    # cases long overdue, "no feedback" closures.
    sweep()


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
