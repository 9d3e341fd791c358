"""What a walk through every role found, put right: the timeline names whom a case was given
to and the role each step was taken in; a conflict gives back what was typed; the convene form
ticks nothing by itself; a resident's own building comes preselected."""

import re

import pytest

from portal.cases import service
from portal.cases.categories import Category
from portal.cases.workflow import State
from portal.extensions import db
from tests import factories
from tests.conftest import sign_in, texts


@pytest.fixture
def team(world):
    return factories.cast(world, "reporter secretary manager fitter")


def test_the_timeline_names_the_assignee_and_the_role_of_each_step(client, world, team):
    case = factories.case(
        world,
        State.IN_PROGRESS,
        by=team.reporter,
        secretary=team.secretary,
        assignee=team.fitter,
        assign_after_accept=True,
    )
    service.post_update(case, team.fitter, body="明天上午来修", public=True)
    for viewer in (team.secretary, team.reporter):
        sign_in(client, viewer)
        timeline = client.get(f"/cases/{case.number}").get_data(as_text=True)
        timeline = texts_of(timeline.split('id="timeline"', 1)[1])
        # 孙师傅 is Plum Garden's property staff member in the factories' cast.
        assert f"已派给{team.fitter.name}（物业）" in timeline, timeline
        assert f"{team.secretary.name}（书记）" in timeline
        assert f"{team.fitter.name}（承办人）" in timeline
        assert f"{team.reporter.name}（" not in timeline  # the resident needs no role


def texts_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_conflict_gives_back_what_was_typed_beside_the_case_as_it_stands(client, world, team):
    case = factories.case(
        world, State.IN_PROGRESS, by=team.reporter, secretary=team.secretary, assignee=team.fitter
    )
    seen = case.version
    # Meanwhile the secretary reassigns the case: the fitter's open form is stale.
    service.assign(case, team.secretary, version=case.version, assignee=team.manager)
    sign_in(client, team.manager)
    typed = "更换了三楼楼道的声控灯，并检查了整栋楼的线路。"
    response = client.post(f"/cases/{case.number}/resolve", data={"version": seen, "body": typed})
    assert response.status_code == 409
    page = texts(response)
    assert typed in page  # not lost
    assert "未保存" in page
    html = response.get_data(as_text=True)
    # …and the form to send it again carries the case's version as it stands now.
    db.session.expire_all()
    current = db.session.get(type(case), case.id).version
    assert re.search(rf'name="version" type="hidden" value="{current}"', html)
    again = client.post(f"/cases/{case.number}/resolve", data={"version": current, "body": typed})
    assert again.status_code == 302, texts(again)


def test_the_convene_form_ticks_no_case_by_itself(client, world, team):
    factories.case(
        world,
        State.ACCEPTED,
        by=team.reporter,
        secretary=team.secretary,
        needs_consultation=True,
        description="想用维修资金修外墙",
    )
    sign_in(client, team.secretary)
    html = client.get("/c/ymn/consultations/new").get_data(as_text=True)
    assert 'name="cases"' in html
    assert not re.search(r'<input[^>]*checked[^>]*name="cases"', html)
    assert not re.search(r'<input[^>]*name="cases"[^>]*checked', html)


def test_a_residents_own_building_is_preselected(client, world):
    someone = factories.resident(world.ymn, building_code="3", room="3-502")
    sign_in(client, someone)
    html = client.get("/c/ymn/report").get_data(as_text=True)
    building = next(b for b in world.ymn.buildings if b.code == "3")
    assert re.search(rf'<option selected value="{building.id}"', html), html
    # The QR code of another building still wins: it is where the resident stands.
    html = client.get("/c/ymn/report?building=1").get_data(as_text=True)
    first = next(b for b in world.ymn.buildings if b.code == "1")
    assert re.search(rf'<option selected value="{first.id}"', html)


def test_a_visitor_without_the_qr_code_finds_their_compounds_filing_form(client, world):
    front = client.get("/")
    assert front.status_code == 200
    assert 'name="q"' in front.get_data(as_text=True)
    found = client.get("/?q=plum")
    html = found.get_data(as_text=True)
    assert 'href="/c/ymn/report"' in html and "Plum Garden" in html
    assert "/c/czy/report" not in html
    filing = client.get("/c/ymn/report")
    assert filing.status_code == 200
    nothing = client.get("/?q=%E4%B8%8D%E5%AD%98%E5%9C%A8")  # 不存在
    assert "没有找到这个小区" in texts(nothing)
    assert "/report" not in nothing.get_data(as_text=True).split('id="compound-list"')[1]


def test_merge_by_choosing_one_of_the_likely_duplicates(client, world, team):
    # Issue 9 point 12 (DESIGN.md section 3: "merge into an existing case about the same
    # thing"): the triage form offers the same building's open cases of the kind.
    first = factories.case(world, by=team.reporter, building="2", description="楼道灯坏了")
    elsewhere = factories.case(world, by=team.reporter, building="1", description="一号楼灯坏了")
    other_kind = factories.case(
        world, by=team.reporter, building="2", category=Category.LIFT, description="电梯停了"
    )
    again = factories.case(world, by=team.reporter, building="2", description="二楼灯不亮")
    sign_in(client, team.secretary)
    html = client.get(f"/cases/{again.number}").get_data(as_text=True)
    offered = re.findall(r'name="pick" value="([^"]+)"', html)
    assert offered == [first.number]
    assert elsewhere.number not in offered and other_kind.number not in offered
    # Nothing chosen and nothing typed: said, and nothing merged.
    empty = client.post(f"/cases/{again.number}/merge", data={"version": again.version})
    assert empty.status_code == 422
    assert "请选择要合并到的事项，或填写它的编号" in texts(empty)
    response = client.post(
        f"/cases/{again.number}/merge", data={"version": again.version, "pick": first.number}
    )
    assert response.status_code == 302, texts(response)
    db.session.expire_all()
    merged = db.session.get(type(again), again.id)
    assert merged.state is State.MERGED and merged.merged_into_id == first.id
    # The queue row's triage forms offer them too, and a typed number still works.
    late = factories.case(world, by=team.reporter, building="1", description="一号楼也不亮")
    queue = client.get(f"/c/ymn/cases?triage={late.id}")
    assert f'name="pick" value="{elsewhere.number}"' in queue.get_data(as_text=True)
    typed = client.post(
        f"/cases/{late.number}/merge",
        data={"version": late.version, "target": elsewhere.number},
    )
    assert typed.status_code == 302, texts(typed)
