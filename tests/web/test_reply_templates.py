"""Reply templates, 常用回复 (issue "case work" point 13; DESIGN.md section 2: the branch
secretary triages and the community oversees): the secretary keeps replies for the compound,
the community's overseers for all its compounds; a case's update and rejection forms offer
those for its category, inserted into the text (htmx, or the page again without JavaScript)
and edited before posting."""

import html

import pytest
from sqlalchemy import select

from portal.cases import replies
from portal.cases.categories import Category
from portal.cases.models import CaseEvent, ReplyTemplate
from portal.cases.workflow import State
from portal.extensions import db
from tests import factories
from tests.conftest import texts as raw_texts
from tests.web.test_oversight import client_of

LIFT_REPLY = "已通知电梯维保单位，今天下午派人检修，请勿乘坐该部电梯。"
ANY_REPLY = "您好，已收到您的反映，我们会尽快处理。"
COMMUNITY_REPLY = "此事不属于物业服务范围，请联系社区居委会。"


def texts(response) -> str:
    return html.unescape(raw_texts(response))


@pytest.fixture
def team(world):
    return factories.cast(
        world,
        "reporter secretary manager fitter overseer other_overseer",
        czy_secretary={"part": "secretary", "compound": world.czy},
        locale="en",
    )


def add(client, url, title, body, category=""):
    return client.post(url, data={"title": title, "body": body, "category": category})


@pytest.fixture
def kept(app, world, team):
    """The secretary's lift reply and general reply, and the community's reply."""
    secretary = client_of(app, team.secretary)
    assert add(secretary, "/c/ymn/replies", "电梯维保", LIFT_REPLY, "lift").status_code == 302
    assert add(secretary, "/c/ymn/replies", "已收到", ANY_REPLY).status_code == 302
    overseer = client_of(app, team.overseer)
    response = add(
        overseer, f"/community/{world.community.code}/replies", "转社区", COMMUNITY_REPLY
    )
    assert response.status_code == 302
    return {t.title: t for t in db.session.scalars(select(ReplyTemplate))}


def lift_case(world, team, state=State.IN_PROGRESS, compound=None):
    """A lift case in Plum Garden, with the fitter; or, in Bamboo Court (another community),
    accepted by its secretary."""
    if compound is not None:
        return factories.case(
            compound,
            State.ACCEPTED,
            by=team.reporter,
            secretary=team.czy_secretary,
            category=Category.LIFT,
            description="电梯停了",
        )
    return factories.case(
        world,
        state,
        by=team.reporter,
        secretary=team.secretary,
        assignee=team.fitter,
        category=Category.LIFT,
        description="3号楼电梯停了",
    )


def options(page_html, into) -> list[str]:
    picker = page_html.split(f'id="reply-{into}"', 1)[1].split("</select>", 1)[0]
    return [o.split(">", 1)[1].split("<", 1)[0] for o in picker.split("<option")[2:]]


def test_the_secretary_and_the_community_keep_replies_on_their_pages(app, world, team, kept):
    page = texts(client_of(app, team.secretary).get("/c/ymn/replies"))
    assert LIFT_REPLY in page and ANY_REPLY in page and COMMUNITY_REPLY not in page
    community = texts(
        client_of(app, team.overseer).get(f"/community/{world.community.code}/replies")
    )
    assert COMMUNITY_REPLY in community and "every compound of the community" in community
    stored = kept["电梯维保"]
    assert (stored.compound_id, stored.community_id, stored.category) == (
        world.ymn.id,
        None,
        Category.LIFT,
    )
    assert stored.updated_by_id == team.secretary.id


def test_only_the_keepers_open_the_reply_pages(app, world, team, kept):
    for who, url in (
        (team.manager, "/c/ymn/replies"),
        (team.fitter, "/c/ymn/replies"),
        (team.czy_secretary, "/c/ymn/replies"),
        (team.overseer, "/c/ymn/replies"),  # the compound's are its secretary's
        (team.other_overseer, f"/community/{world.community.code}/replies"),
        (team.secretary, f"/community/{world.community.code}/replies"),
        (team.czy_secretary, f"/replies/{kept['电梯维保'].id}"),
        (team.other_overseer, f"/replies/{kept['转社区'].id}"),
    ):
        assert client_of(app, who).get(url).status_code == 404, (who.name, url)
    refused = client_of(app, team.manager).post(f"/replies/{kept['已收到'].id}/delete")
    assert refused.status_code == 404 and db.session.get(ReplyTemplate, kept["已收到"].id)


def test_a_reply_without_title_or_text_comes_back_with_what_was_typed(app, team, kept):
    secretary = client_of(app, team.secretary)
    response = add(secretary, "/c/ymn/replies", "", "请留意停水通知")
    assert response.status_code == 422
    page = texts(response)
    assert "Give the reply a short title." in page and "请留意停水通知" in page
    response = add(secretary, "/c/ymn/replies", "太长", "字" * 1001)
    assert response.status_code == 422 and "Keep it under 1000 characters." in texts(response)
    assert db.session.scalar(select(db.func.count(ReplyTemplate.id))) == 3


def test_a_reply_is_changed_and_deleted_by_its_keeper(app, team, kept):
    secretary = client_of(app, team.secretary)
    template = kept["已收到"]
    assert "Change the reply" in texts(secretary.get(f"/replies/{template.id}"))
    response = add(
        secretary, f"/replies/{template.id}", "已收到", "您好，已收到，明天答复。", "repair"
    )
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(ReplyTemplate, template.id)
    assert (changed.body, changed.category) == ("您好，已收到，明天答复。", Category.REPAIR)
    assert secretary.post(f"/replies/{template.id}/delete").status_code == 302
    assert db.session.get(ReplyTemplate, template.id) is None


def test_a_case_offers_its_compounds_and_its_communitys_replies_for_its_category(
    app, world, team, kept
):
    case = lift_case(world, team)
    page = client_of(app, team.fitter).get(f"/cases/{case.number}").get_data(as_text=True)
    assert options(page, "update") == ["电梯维保 · Lift", "已收到", "转社区"]
    repair = factories.case(
        world, State.IN_PROGRESS, by=team.reporter, secretary=team.secretary, assignee=team.fitter
    )
    page = client_of(app, team.fitter).get(f"/cases/{repair.number}").get_data(as_text=True)
    assert options(page, "update") == ["已收到", "转社区"]
    # Another community's compound gets none of them; the resident no picker at all.
    elsewhere = lift_case(world, team, compound=world.czy)
    page = (
        client_of(app, team.czy_secretary).get(f"/cases/{elsewhere.number}").get_data(as_text=True)
    )
    assert 'id="reply-update"' not in page
    assert 'id="reply-update"' not in client_of(app, team.reporter).get(
        f"/cases/{case.number}"
    ).get_data(as_text=True)


def test_without_javascript_the_page_comes_back_with_the_reply_in_the_update(
    app, world, team, kept
):
    case = lift_case(world, team)
    fitter = client_of(app, team.fitter)
    template = kept["电梯维保"]
    response = fitter.get(f"/cases/{case.number}?into=update&reply={template.id}")
    assert response.status_code == 200
    box = response.get_data(as_text=True).split('id="update-body"', 1)[1].split("</textarea>", 1)[0]
    assert LIFT_REPLY in html.unescape(box)
    # Edited before posting: what is posted is what the person made of it.
    edited = LIFT_REPLY.replace("今天下午", "明天上午")
    posted = fitter.post(
        f"/cases/{case.number}/updates", data={"body": edited, "visibility": "public"}
    )
    assert posted.status_code == 302
    last = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    assert last.body == edited
    # A reply the case does not offer, or a form the person may not fill, changes nothing.
    other = kept["转社区"]
    outside = lift_case(world, team, compound=world.czy)
    assert LIFT_REPLY not in texts(
        client_of(app, team.czy_secretary).get(
            f"/cases/{outside.number}?into=update&reply={template.id}"
        )
    )
    assert COMMUNITY_REPLY not in texts(
        client_of(app, team.reporter).get(f"/cases/{case.number}?into=update&reply={other.id}")
    )


def test_with_htmx_the_reply_goes_after_what_was_typed(app, world, team, kept):
    case = lift_case(world, team)
    fitter = client_of(app, team.fitter)
    template = kept["电梯维保"]
    response = fitter.get(
        f"/cases/{case.number}/reply",
        query_string={"into": "update", "reply": template.id, "body": "王阿姨您好："},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    box = response.get_data(as_text=True)
    assert (
        box.strip().startswith("<textarea") and 'id="update-body"' in box and 'name="body"' in box
    )
    assert (
        html.unescape(box.split(">", 1)[1].split("</textarea>")[0]).strip()
        == f"王阿姨您好：\n{LIFT_REPLY}"
    )
    assert (
        fitter.get(
            f"/cases/{case.number}/reply", query_string={"into": "update", "reply": 999999}
        ).status_code
        == 404
    )
    assert (
        client_of(app, team.reporter)
        .get(f"/cases/{case.number}/reply", query_string={"into": "update", "reply": template.id})
        .status_code
        == 404
    )


def test_the_rejection_reason_takes_a_reply_too(app, world, team, kept):
    case = lift_case(world, team, state=State.FILED)
    secretary = client_of(app, team.secretary)
    page = secretary.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "转社区" in options(page, "reject")
    response = secretary.get(f"/cases/{case.number}?into=reject&reply={kept['转社区'].id}")
    box = (
        response.get_data(as_text=True).split('id="reject-reason"', 1)[1].split("</textarea>", 1)[0]
    )
    assert COMMUNITY_REPLY in html.unescape(box)
    inserted = secretary.get(
        f"/cases/{case.number}/reply",
        query_string={"into": "reject", "reply": kept["转社区"].id, "reason": ""},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert 'id="reject-reason"' in inserted and COMMUNITY_REPLY in html.unescape(inserted)
    # The fitter may not reject: no picker for it, and none inserted.
    fitter = client_of(app, team.fitter)
    assert (
        fitter.get(
            f"/cases/{case.number}/reply",
            query_string={"into": "reject", "reply": kept["转社区"].id},
        ).status_code
        == 404
    )


def test_usable_for_orders_the_compounds_first_then_the_categorys(app, world, team, kept):
    case = lift_case(world, team)
    assert [t.title for t in replies.usable_for(case)] == ["电梯维保", "已收到", "转社区"]
