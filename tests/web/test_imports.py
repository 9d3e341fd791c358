"""Administrators import the organisation and its people from CSV files with `flask portal`."""

import re
from datetime import UTC, datetime

import pytest
from flask import g
from sqlalchemy import select

from portal import clock
from portal.accounts.models import Home, HomeState, Person
from portal.accounts.roles import Role
from portal.extensions import db
from portal.organisation import queries as org
from portal.organisation.models import Community, Compound, PartyKind, PropertyCompany, SubDistrict
from tests import factories
from tests.conftest import texts

ORG_HEADER = (
    "sub_district_code,sub_district_name,community_code,community_name,compound_code,"
    "compound_name,building_code"
)
ORG_HEADER_FULL = ORG_HEADER + ",building_name,branch_name,property_name,residents_name"
PEOPLE_HEADER = "name,phone,role,scope,building,room,password,language"


def run(app, *args, **kwargs):
    """`flask portal …` as an administrator types it; each run starts in a fresh context."""
    g.pop("_flask_babel", None)
    return app.test_cli_runner().invoke(args=["portal", *args], **kwargs)


def write(tmp_path, name, lines, encoding="utf-8", newline="\n"):
    path = tmp_path / name
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def dump():
    """Every row of every table, to see that a run changed nothing."""
    return {
        table.name: db.session.execute(select(table).order_by(*table.primary_key)).all()
        for table in db.metadata.sorted_tables
    }


def reported_lines(output):
    return [int(n) for n in re.findall(r"^line (\d+):", output, re.M)]


def count(model):
    return len(db.session.scalars(select(model)).all())


def sign_in_lands_on(app, phone, password):
    """Where a fresh browser lands after signing in, and the text of that page."""
    client = app.test_client()
    response = client.post("/login", data={"phone": phone, "password": password})
    assert response.status_code == 302, texts(response)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return response.headers["Location"], texts(page)


# -- import-org ---------------------------------------------------------------------------

GOOD_ORG = [
    ORG_HEADER_FULL,
    "jy,济阳街道,nc,南池社区,ymn,颐美南苑,1,1号楼,颐美南苑党支部,鲁兴物业颐美项目部,颐美居民代表",
    "jy,济阳街道,nc,南池社区,ymn,颐美南苑,2,2号楼,,,",
    "jy,济阳街道,nc,南池社区,ymn,颐美南苑,10,,,,",
    ",,,,,,,,,,",  # Excel's trailing empty row
    "jy,济阳街道,nc,南池社区,czy,Bamboo Court,A,,,,",
    "jy,济阳街道,nc,南池社区,czy,Bamboo Court,2,,,,",
]


def test_import_org_creates_the_chain_down_to_buildings_and_each_compounds_three_parties(
    app, tmp_path
):
    result = run(app, "import-org", str(write(tmp_path, "org.csv", GOOD_ORG)), "--lang", "en")

    assert result.exit_code == 0, result.output
    # 1 sub-district, 1 community, 2 compounds, 5 buildings, 6 parties
    assert "Done: 15 created, 0 updated." in result.output
    sub = db.session.scalar(select(SubDistrict))
    assert (sub.code, sub.name) == ("jy", "济阳街道")
    assert [(c.code, c.name) for c in sub.communities] == [("nc", "南池社区")]
    ymn = db.session.scalar(select(Compound).where(Compound.code == "ymn"))
    czy = db.session.scalar(select(Compound).where(Compound.code == "czy"))
    assert ymn.name == "颐美南苑" and ymn.community.code == czy.community.code == "nc"
    # Numbers sort as numbers; a missing building name is made from the code.
    assert [(b.code, b.name) for b in ymn.buildings] == [
        ("1", "1号楼"),
        ("2", "2号楼"),
        ("10", "Building 10"),
    ]
    assert [(b.code, b.name) for b in czy.buildings] == [("2", "Building 2"), ("A", "Building A")]
    assert {p.kind: p.name for p in ymn.parties} == {
        PartyKind.BRANCH: "颐美南苑党支部",
        PartyKind.PROPERTY: "鲁兴物业颐美项目部",
        PartyKind.RESIDENTS: "颐美居民代表",
    }
    assert {p.kind: p.name for p in czy.parties} == {
        PartyKind.BRANCH: "Bamboo Court party branch",
        PartyKind.PROPERTY: "Bamboo Court property management",
        PartyKind.RESIDENTS: "Bamboo Court resident representatives",
    }


def test_import_org_twice_changes_nothing_the_second_time(app, tmp_path):
    path = write(tmp_path, "org.csv", GOOD_ORG)
    assert run(app, "import-org", str(path), "--lang", "en").exit_code == 0
    before = dump()

    again = run(app, "import-org", str(path), "--lang", "en")

    assert again.exit_code == 0, again.output
    assert "Done: 0 created, 0 updated." in again.output
    assert dump() == before


def test_import_org_rejects_every_bad_line_by_number_and_changes_nothing(app, tmp_path):
    existing = write(tmp_path, "existing.csv", [ORG_HEADER, "sd,Harbour,cm,Lakeside,czy,Bamboo,1"])
    assert run(app, "import-org", str(existing), "--lang", "en").exit_code == 0
    before = dump()
    bad = write(
        tmp_path,
        "bad.csv",
        [
            ORG_HEADER_FULL,
            "sd,Harbour,cm3,East Hill,hl,Hill Lane,1,,,,",  # 2 good
            ",,,,,,,,,,",  # 3 empty: skipped, still counted
            "sd,Harbour,cm3,East Hill,Hill_2,Hill Two,1,,,,",  # 4 upper case and _ in a code
            "sd,Harbour,cm3,East Hill,hl3,Hill Three,1 号,,,,",  # 5 a space and 号 in a building
            "sd,Harbour,cm3,East Hill,hl4,,1,,,,",  # 6 no compound name
            "sd,Harbour,cm3,East Hill,hl,Hill Lane Two,2,,,,",  # 7 hl named differently
            "sd,Harbour,cm3,East Hill,hl,Hill Lane,1,,,,",  # 8 building 1 of hl again
            "sd,Harbour,cm3,East Hill,czy,Bamboo,9,,,,",  # 9 czy is in community cm
            "sd,Harbour,cm3,East Hill,hl,Hill Lane,3,,,,",  # 10 good
        ],
    )

    result = run(app, "import-org", str(bad), "--lang", "en")

    assert result.exit_code != 0
    out = result.output
    assert "Nothing was changed. Fix these lines and run the import again:" in out
    assert reported_lines(out) == [4, 5, 6, 7, 8, 9]
    assert "line 4: compound_code Hill_2: use lower-case letters, digits and hyphens" in out
    assert "line 5: building_code 1 号: use letters, digits and hyphens" in out
    assert "line 6: empty: compound_name" in out
    assert "line 7: compound hl is described differently on an earlier line" in out
    assert "line 8: building 1 of hl appears twice" in out
    assert "line 9: compound czy already belongs to another community" in out
    assert dump() == before


@pytest.mark.parametrize(
    "header, message",
    [
        (ORG_HEADER.replace(",building_code", ""), "line 1: missing columns: building_code"),
        (ORG_HEADER + ",floors", "line 1: unknown columns: floors"),
    ],
)
def test_import_org_with_a_wrong_header_reports_line_1(app, tmp_path, header, message):
    path = write(tmp_path, "org.csv", [header, "sd,Harbour,cm,Lakeside,ymn,Plum,1,7"])

    result = run(app, "import-org", str(path), "--lang", "en")

    assert result.exit_code != 0
    assert message in result.output
    assert reported_lines(result.output) == [1]
    assert count(SubDistrict) == count(Compound) == 0


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_import_org_reads_chinese_from_excel_files(app, tmp_path, encoding):
    lines = [
        ORG_HEADER,
        "jy,济阳街道,nc,南池社区,ymn,颐美南苑,1",
        "jy,济阳街道,bh,北湖社区,bhhy,北湖花园,1",
    ]
    path = write(tmp_path, "org.csv", lines, encoding=encoding, newline="\r\n")
    if encoding == "gb18030":  # as Excel on Chinese Windows saves it: not UTF-8 at all
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")

    result = run(app, "import-org", str(path), "--lang", "zh_CN")

    assert result.exit_code == 0, result.output
    assert "完成：新建" in result.output
    assert db.session.scalar(select(SubDistrict.name)) == "济阳街道"
    assert sorted(db.session.scalars(select(Community.name))) == sorted(["南池社区", "北湖社区"])
    ymn = db.session.scalar(select(Compound).where(Compound.code == "ymn"))
    assert ymn.name == "颐美南苑"
    assert [b.name for b in ymn.buildings] == ["1号楼"]
    assert ymn.party(PartyKind.BRANCH).name == "颐美南苑小区党支部"


def test_import_org_again_in_another_language_changes_nothing(app, tmp_path):
    path = write(tmp_path, "org.csv", [ORG_HEADER, "jy,济阳街道,nc,南池社区,ymn,颐美南苑,1"])
    assert run(app, "import-org", str(path), "--lang", "en").exit_code == 0
    before = dump()

    again = run(app, "import-org", str(path))

    assert "完成：新建 0 项，更新 0 项。" in again.output
    assert dump() == before


def test_import_org_rejects_a_compound_whose_party_names_differ_between_lines(app, tmp_path):
    path = write(
        tmp_path,
        "org.csv",
        [
            ORG_HEADER + ",branch_name",
            "jy,济阳街道,nc,南池社区,ymn,颐美南苑,1,颐美南苑党支部",
            "jy,济阳街道,nc,南池社区,ymn,颐美南苑,2,颐美党支部",
        ],
    )

    result = run(app, "import-org", str(path), "--lang", "en")

    assert result.exit_code != 0
    assert reported_lines(result.output) == [3]
    assert "line 3: compound ymn: branch_name differs from an earlier line" in result.output
    assert count(Compound) == 0


def test_import_org_takes_a_party_name_from_whichever_line_of_the_compound_gives_it(app, tmp_path):
    path = write(
        tmp_path,
        "org.csv",
        [
            ORG_HEADER + ",branch_name",
            "jy,济阳街道,nc,南池社区,ymn,颐美南苑,1,",
            "jy,济阳街道,nc,南池社区,ymn,颐美南苑,2,颐美南苑党支部",
        ],
    )

    result = run(app, "import-org", str(path), "--lang", "en")

    assert result.exit_code == 0, result.output
    # 1 sub-district, 1 community, 1 compound, 2 buildings, 3 parties; none renamed
    assert "Done: 8 created, 0 updated." in result.output
    ymn = db.session.scalar(select(Compound).where(Compound.code == "ymn"))
    assert ymn.party(PartyKind.BRANCH).name == "颐美南苑党支部"


def test_import_org_renames_a_building_only_when_the_file_names_it(app, tmp_path):
    unnamed = write(
        tmp_path,
        "org.csv",
        [ORG_HEADER + ",building_name", "jy,济阳街道,nc,南池社区,ymn,颐美南苑,1,"],
    )
    named = write(
        tmp_path,
        "org2.csv",
        [ORG_HEADER + ",building_name", "jy,济阳街道,nc,南池社区,ymn,颐美南苑,1,东楼"],
    )
    assert run(app, "import-org", str(unnamed), "--lang", "en").exit_code == 0

    result = run(app, "import-org", str(named), "--lang", "en")
    again = run(app, "import-org", str(unnamed))

    assert "Done: 0 created, 1 updated." in result.output
    assert "完成：新建 0 项，更新 0 项。" in again.output
    assert db.session.scalars(select(Compound)).one().buildings[0].name == "东楼"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_import_org_refuses_a_file_in_another_encoding_on_line_1(app, tmp_path, encoding):
    path = write(
        tmp_path,
        "org.csv",
        [ORG_HEADER, "jy,济阳街道,nc,南池社区,ymn,颐美南苑,1"],
        encoding=encoding,
    )

    result = run(app, "import-org", str(path), "--lang", "en")

    assert result.exit_code == 1
    assert "line 1: unsupported encoding: save the file as UTF-8 or GB18030" in result.output
    assert reported_lines(result.output) == [1]
    assert count(SubDistrict) == 0


# -- import-people -------------------------------------------------------------------------


def good_people(existing):
    return [
        PEOPLE_HEADER,
        "李华,15812340101,secretary,ymn,,,secret-0101,",
        "王芳,15812340102,property_manager,ymn,,,secret-0102,",
        "张伟,15812340103,representative,ymn,,,secret-0103,en",
        "赵敏,15812340104,grid_worker,cm,,,secret-0104,",
        "孙丽,15812340105,community_overseer,cm2,,,secret-0105,",
        "周强,15812340106,subdistrict_overseer,sd,,,secret-0106,",
        "吴军,15812340107,admin,,,,secret-0107,",
        "陈静,15812340108,resident,ymn,2,2-501,secret-0108,",
        "刘洋,15812340109,resident,czy,1,1-101,secret-0109,",
        f"{existing.name},{existing.phone},branch_member,ymn,,,,",  # known: no password needed
    ]


def roles_of(phone):
    person = db.session.scalar(select(Person).where(Person.phone == phone))
    return {
        (
            m.role.value,
            (m.compound or m.community or m.sub_district).code if m.role.value != "admin" else "",
        )
        for m in person.memberships
    }


def test_import_people_gives_each_their_role_and_scope_and_they_sign_in_to_their_desks(
    app, world, tmp_path
):
    existing = factories.person(name="老党员")
    result = run(
        app,
        "import-people",
        str(write(tmp_path, "people.csv", good_people(existing))),
        "--lang",
        "en",
    )

    assert result.exit_code == 0, result.output
    # 9 people, 8 roles, 2 homes
    assert "Done: 19 created, 0 updated." in result.output
    assert roles_of("15812340101") == {("secretary", "ymn")}
    assert roles_of("15812340104") == {("grid_worker", "cm")}
    assert roles_of("15812340105") == {("community_overseer", "cm2")}
    assert roles_of("15812340106") == {("subdistrict_overseer", "sd")}
    assert roles_of("15812340107") == {("admin", "")}
    assert roles_of(existing.phone) == {("branch_member", "ymn")}
    homes = db.session.scalars(select(Home).join(Home.person).order_by(Person.phone)).all()
    assert [(h.person.name, h.compound.code, h.building.code, h.room, h.state) for h in homes] == [
        ("陈静", "ymn", "2", "2-501", HomeState.VERIFIED),
        ("刘洋", "czy", "1", "1-101", HomeState.VERIFIED),
    ]

    desks = {
        "15812340101": "/desk/secretary",
        "15812340102": "/desk/property_manager",
        "15812340103": "/desk/representative",
        "15812340104": "/desk/grid_worker",
        "15812340105": "/desk/community_overseer",
        "15812340106": "/desk/subdistrict_overseer",
        "15812340107": "/admin/",
        "15812340108": "/my",
        "15812340109": "/my",
    }
    for phone, desk in desks.items():
        landed, _page = sign_in_lands_on(app, phone, "secret-0" + phone[-3:])
        assert landed == desk, phone
    _landed, page = sign_in_lands_on(app, "15812340108", "secret-0108")
    assert "Plum Garden · Building 2 · 2-501 已核实" in page
    _landed, page = sign_in_lands_on(app, "15812340103", "secret-0103")
    assert "Hello, 张伟" in page  # language en from the file
    assert sign_in_lands_on(app, existing.phone, factories.PASSWORD)[0] == "/desk/branch_member"


def test_import_people_twice_changes_nothing_and_never_resets_a_password(app, world, tmp_path):
    existing = factories.person(name="老党员")
    lines = good_people(existing)
    assert (
        run(app, "import-people", str(write(tmp_path, "p.csv", lines)), "--lang", "en").exit_code
        == 0
    )
    before = dump()

    again = run(app, "import-people", str(write(tmp_path, "p.csv", lines)), "--lang", "en")
    new_password = [line.replace("secret-0101", "changed-0101") for line in lines]
    third = run(app, "import-people", str(write(tmp_path, "p2.csv", new_password)), "--lang", "en")

    for result in (again, third):
        assert result.exit_code == 0, result.output
        assert "Done: 0 created, 0 updated." in result.output
    assert dump() == before
    assert sign_in_lands_on(app, "15812340101", "secret-0101")[0] == "/desk/secretary"
    refused = app.test_client().post(
        "/login", data={"phone": "15812340101", "password": "changed-0101"}
    )
    assert refused.status_code == 422


BAD_PEOPLE = [
    "name,phone,role,scope,building,room,password",
    "好人,15812340201,secretary,ymn,,,secret-0201",  # 2 good
    "短号,1581234020,secretary,ymn,,,secret-0202",  # 3 ten digits
    "无角,15812340203,janitor,ymn,,,secret-0203",  # 4 no such role
    "错层,15812340204,grid_worker,ymn,,,secret-0204",  # 5 ymn is a compound, not a community
    "无房,15812340205,resident,ymn,1,,secret-0205",  # 6 no room
    "无楼,15812340206,resident,ymn,9,9-101,secret-0206",  # 7 ymn has buildings 1-3
    "无密,15812340207,representative,ymn,,,",  # 8 new and no password
    "冒名,15812340201,branch_member,ymn,,,secret-0201",  # 9 line 2's phone, another name
]


def test_import_people_rejects_every_bad_line_by_number_and_changes_nothing(app, world, tmp_path):
    before = dump()

    result = run(app, "import-people", str(write(tmp_path, "bad.csv", BAD_PEOPLE)), "--lang", "en")

    assert result.exit_code != 0
    out = result.output
    assert reported_lines(out) == [3, 4, 5, 6, 7, 8, 9]
    assert "line 3: phone 1581234020 is not an 11-digit mobile number" in out
    assert "line 4: unknown role janitor" in out
    assert "line 5: no community with code ymn" in out
    assert "line 6: a resident needs a room" in out
    assert "line 7: compound ymn has no building 9" in out
    assert "line 8: a new person needs a password of at least 8 characters" in out
    assert "line 9: phone 15812340201 appears earlier with another name" in out
    assert dump() == before
    assert (
        app.test_client()
        .post("/login", data={"phone": "15812340201", "password": "secret-0201"})
        .status_code
        == 422
    )


def test_import_messages_are_in_chinese_unless_asked_otherwise(app, world, tmp_path):
    result = run(app, "import-people", str(write(tmp_path, "bad.csv", BAD_PEOPLE)))

    assert result.exit_code != 0
    assert "未做任何更改。请修正以下各行后重新导入：" in result.output
    assert "第 3 行：手机号 1581234020 不是 11 位手机号码" in result.output
    assert "第 4 行：未知角色 janitor" in result.output


def test_import_people_reports_a_room_too_long_by_line_number(app, world, tmp_path):
    room = "2单元15楼1503室（南向，靠电梯）东边户"  # 22 characters
    path = write(
        tmp_path,
        "p.csv",
        [
            "name,phone,role,scope,building,room,password",
            f"陈静,15812340108,resident,ymn,2,{room},secret-0108",
        ],
    )
    before = dump()

    result = run(app, "import-people", str(path), "--lang", "en")

    assert reported_lines(result.output) == [2]
    assert dump() == before


def test_import_people_reports_a_line_with_more_values_than_columns(app, world, tmp_path):
    path = write(
        tmp_path,
        "p.csv",
        [
            "name,phone,role,scope,building,room,password",
            "王芳,15812340102,secretary,ymn,,,secret-01,02",
        ],
    )

    result = run(app, "import-people", str(path), "--lang", "en")

    assert reported_lines(result.output) == [2]
    assert count(Person) == 0


@pytest.mark.parametrize(
    "header, line",
    [
        (
            "name,phone,role,scope,building,room,password,",
            "王芳,15812340102,secretary,ymn,,,secret-01,02",
        ),
        ("name,phone,role,,scope", "王芳,15812340102,secretary,secret-0102,ymn"),
    ],
    ids=["unnamed column at the end", "unnamed column between"],
)
def test_import_people_reports_a_value_under_a_column_without_a_name(
    app, world, tmp_path, header, line
):
    path = write(tmp_path, "p.csv", [header, line])

    result = run(app, "import-people", str(path), "--lang", "en")

    assert "line 2: more values than columns (quote values that contain commas)" in result.output
    assert reported_lines(result.output) == [2]
    assert count(Person) == 0


def test_import_people_ignores_empty_cells_beyond_the_header(app, world, tmp_path):
    path = write(
        tmp_path,
        "p.csv",
        [
            "name,phone,role,scope,building,room,password",
            "王芳,15812340102,secretary,ymn,,,secret-0102,,,",
        ],
    )

    result = run(app, "import-people", str(path), "--lang", "en")

    assert result.exit_code == 0, result.output
    assert "Done: 2 created, 0 updated." in result.output


def test_import_people_needs_a_new_persons_password_and_language_on_one_line_only(
    app, world, tmp_path
):
    path = write(
        tmp_path,
        "p.csv",
        [
            PEOPLE_HEADER,
            "李华,15812340101,secretary,ymn,,,,",
            "李华,15812340101,resident,ymn,1,1-302,secret-0101,en",
            "李华,15812340101,branch_member,ymn,,,other-0101,",  # the first password counts
        ],
    )

    result = run(app, "import-people", str(path), "--lang", "en")
    again = run(app, "import-people", str(path), "--lang", "en")

    assert result.exit_code == 0, result.output
    # 1 person, 2 roles, 1 home; the person is created in English, not changed to it
    assert "Done: 4 created, 0 updated." in result.output
    assert "Done: 0 created, 0 updated." in again.output
    assert roles_of("15812340101") == {("secretary", "ymn"), ("branch_member", "ymn")}
    assert db.session.scalar(select(Person.locale)) == "en"
    assert sign_in_lands_on(app, "15812340101", "secret-0101")[0] == "/desk/secretary"
    assert (
        app.test_client()
        .post("/login", data={"phone": "15812340101", "password": "other-0101"})
        .status_code
        == 422
    )


def test_import_people_reports_a_new_person_without_a_good_password_once(app, world, tmp_path):
    path = write(
        tmp_path,
        "p.csv",
        [
            PEOPLE_HEADER,
            "王芳,15812340102,secretary,ymn,,,,",  # 2 no password on any line
            "王芳,15812340102,representative,ymn,,,,",
            "张伟,15812340103,secretary,czy,,,,",
            "张伟,15812340103,representative,czy,,,short,",  # 5 the first password is short
            "张伟,15812340103,branch_member,czy,,,secret-0103,",
        ],
    )

    result = run(app, "import-people", str(path), "--lang", "en")

    assert reported_lines(result.output) == [2, 5]
    assert "line 2: a new person needs a password of at least 8 characters" in result.output
    assert count(Person) == 0


def test_import_people_rejects_a_person_whose_language_differs_between_lines(app, world, tmp_path):
    path = write(
        tmp_path,
        "p.csv",
        [
            PEOPLE_HEADER,
            "张伟,15812340103,secretary,ymn,,,secret-0103,en",
            "张伟,15812340103,representative,ymn,,,,",  # empty: the language stays
            "张伟,15812340103,branch_member,ymn,,,,zh_CN",  # 4
        ],
    )

    result = run(app, "import-people", str(path), "--lang", "en")

    assert reported_lines(result.output) == [4]
    assert "line 4: phone 15812340103 appears earlier with another language" in result.output
    assert count(Person) == 0


def test_import_people_verifies_a_residents_home_awaiting_verification(app, world, tmp_path):
    waiting = factories.resident(
        world.ymn, "2", "2-501", HomeState.PENDING, name="陈静", phone="15812340108"
    )
    declined = factories.resident(
        world.ymn, "1", "1-101", HomeState.DECLINED, name="刘洋", phone="15812340109"
    )
    path = write(
        tmp_path,
        "p.csv",
        [
            "name,phone,role,scope,building,room,password",
            "陈静,15812340108,resident,ymn,2,2-501,",
            "刘洋,15812340109,resident,ymn,1,1-101,",
        ],
    )
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)

    with clock.fixed(moment):
        result = run(app, "import-people", str(path), "--lang", "en")
    again = run(app, "import-people", str(path), "--lang", "en")

    assert result.exit_code == 0, result.output
    assert "Done: 0 created, 1 updated." in result.output
    assert "Done: 0 created, 0 updated." in again.output
    home = db.session.scalars(select(Home).where(Home.person_id == waiting.id)).one()
    assert (home.state, home.decided_at, home.decided_by) == (HomeState.VERIFIED, moment, None)
    # A home the secretary declined is the secretary's decision, not the register's.
    assert [h.state for h in declined.homes] == [HomeState.DECLINED]
    assert count(Home) == 2


# -- create-admin --------------------------------------------------------------------------


def test_create_admin_makes_someone_who_signs_in_to_administration(app, tmp_path):
    result = run(
        app,
        "create-admin",
        "--lang",
        "en",
        input="管理员老周\n15812340999\nsecret-0999\nsecret-0999\n",
    )

    assert result.exit_code == 0, result.output
    assert "管理员老周 (15812340999) is an administrator." in result.output
    landed, page = sign_in_lands_on(app, "15812340999", "secret-0999")
    assert landed == "/admin/"
    assert "管理员老周" in page


def test_create_admin_refuses_a_phone_that_is_not_a_mobile_number(app):
    result = run(
        app,
        "create-admin",
        "--lang",
        "en",
        "--name",
        "Zhou",
        "--phone",
        "1581234099",
        "--password",
        "secret-0999",
    )

    assert result.exit_code != 0
    assert "Enter an 11-digit mobile number, e.g. 13812345678." in result.output
    assert count(Person) == 0


@pytest.mark.parametrize("name", ["", "   ", "周" * 51], ids=["empty", "spaces", "51 characters"])
def test_create_admin_refuses_an_empty_or_too_long_name(app, name):
    result = run(
        app,
        "create-admin",
        "--lang",
        "en",
        "--name",
        name,
        "--phone",
        "15812340999",
        "--password",
        "secret-0999",
    )

    assert result.exit_code != 0
    assert "Enter a name of at most 50 characters." in result.output
    assert count(Person) == 0


def test_import_people_takes_an_e_mail_column_as_given(app, world, tmp_path):
    existing = factories.member(Role.PROPERTY_MANAGER, world.ymn, name="陈静", phone="15812340121")
    path = write(
        tmp_path,
        "p.csv",
        [
            PEOPLE_HEADER + ",email",
            "李华,15812340120,secretary,ymn,,,secret-0120,,li@example.cn",
            "李华,15812340120,branch_member,ymn,,,,,",  # empty: the address stays
            "陈静,15812340121,property_manager,ymn,,,,,chen@example.cn",
        ],
    )

    result = run(app, "import-people", str(path), "--lang", "en")
    again = run(app, "import-people", str(path), "--lang", "en")

    assert result.exit_code == 0, result.output
    assert "Done: 3 created, 1 updated." in result.output
    assert "Done: 0 created, 0 updated." in again.output
    emails = dict(db.session.execute(select(Person.phone, Person.email)).all())
    assert emails["15812340120"] == "li@example.cn"
    assert emails[existing.phone] == "chen@example.cn"


def test_import_people_rejects_a_malformed_or_differing_e_mail(app, world, tmp_path):
    path = write(
        tmp_path,
        "p.csv",
        [
            PEOPLE_HEADER + ",email",
            "李华,15812340120,secretary,ymn,,,secret-0120,,li@example.cn",
            "李华,15812340120,branch_member,ymn,,,,,hua@example.cn",  # 3
            "张伟,15812340122,secretary,ymn,,,secret-0122,,not-an-address",  # 4
        ],
    )

    result = run(app, "import-people", str(path), "--lang", "en")

    assert reported_lines(result.output) == [3, 4]
    assert "line 3: phone 15812340120 appears earlier with another e-mail address" in result.output
    assert "line 4: email not-an-address is not an e-mail address" in result.output
    assert count(Person) == 0


# -- property companies ----------------------------------------------------------------------

COMPANY_HEADER = ORG_HEADER + ",property_company_code,property_company_name"


def test_import_org_names_the_property_company_serving_each_compound(app, tmp_path):
    path = write(
        tmp_path,
        "org.csv",
        [
            COMPANY_HEADER,
            "jy,济阳街道,nc,南池社区,ymn,颐美南苑,1,luxing,鲁兴物业",
            "jy,济阳街道,nc,南池社区,ymn,颐美南苑,2,luxing,鲁兴物业",
            "jy,济阳街道,bh,北湖社区,bhhy,北湖花园,1,luxing,鲁兴物业",
            "jy,济阳街道,nc,南池社区,czy,翠竹园,1,,",
        ],
    )
    assert run(app, "import-org", str(path), "--lang", "en").exit_code == 0
    companies = db.session.scalars(select(PropertyCompany)).all()
    assert [(c.code, c.name) for c in companies] == [("luxing", "鲁兴物业")]
    assert sorted(c.code for c in companies[0].compounds) == ["bhhy", "ymn"]
    assert org.compound_by_code("czy").property_company is None
    again = run(app, "import-org", str(path), "--lang", "en")
    assert "0 created, 0 updated" in again.output


def test_import_org_refuses_a_company_named_two_ways_or_half_given(app, tmp_path):
    path = write(
        tmp_path,
        "org.csv",
        [
            COMPANY_HEADER,
            "jy,济阳街道,nc,南池社区,ymn,颐美南苑,1,luxing,鲁兴物业",
            "jy,济阳街道,nc,南池社区,czy,翠竹园,1,luxing,鲁兴物业公司",
            "jy,济阳街道,nc,南池社区,bhhy,北湖花园,1,huayu,",
            "jy,济阳街道,nc,南池社区,ymn,颐美南苑,2,huayu,华宇物业",
        ],
    )
    result = run(app, "import-org", str(path), "--lang", "en")
    assert result.exit_code != 0
    assert reported_lines(result.output) == [3, 4, 5]
    assert "line 5: compound ymn: property_company_code differs from an earlier line" in (
        result.output
    )
    assert count(PropertyCompany) == 0
