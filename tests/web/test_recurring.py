"""Recurring problems (每月一题, DESIGN.md section 6; issue 8 point 7): the sweep raises a topic
for each cluster of similar cases, the desks count the open topics, and the secretary takes one
to a consultation or to the community, where its outcome is recorded."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.cases.categories import Category
from portal.cases.models import State
from portal.consultation import service as consultations
from portal.consultation.models import Mode
from portal.extensions import db
from portal.notifications.models import Notification
from portal.recurring import service
from portal.recurring.detect import detect
from portal.recurring.models import Reach, Topic, TopicState
from tests import factories
from tests.conftest import sign_in

TODAY = factories.shanghai(2026, 12, 3, 9)


def months_ago(n: int, day: int = 2):
    month = TODAY.month - n
    year = TODAY.year + (month - 1) // 12
    return factories.shanghai(year, (month - 1) % 12 + 1, day)


def filed(compound, months_back, *, building="3", category=Category.LIFT, by=None, **kwargs):
    kwargs.setdefault("at", months_ago(months_back))
    return factories.case(compound, building=building, category=category, by=by, **kwargs)


def topics() -> list[Topic]:
    db.session.expire_all()
    return list(db.session.scalars(select(Topic).order_by(Topic.id)))


def run(moment=TODAY) -> dict:
    with clock.fixed(moment):
        return detect()


@pytest.fixture(autouse=True)
def one_case_a_month_counts(app):
    """Most rules here are shown with a month counting at one case; the default of two is
    shown on its own."""
    app.config["RECURRING_CASES_A_MONTH"] = 1


@pytest.fixture
def people(world):
    return factories.cast(
        world, "reporter secretary manager representative overseer other_overseer street"
    )


@pytest.fixture
def lift_topic(world, people):
    """Lift faults in Plum Garden's building 3 in three of the last six months."""
    cases = [filed(world.ymn, n, by=people.reporter) for n in (5, 3, 0)]
    run()
    (topic,) = topics()
    return topic, cases


# -- finding them ---------------------------------------------------------------------------


def test_the_same_category_in_one_building_in_three_of_six_months_is_raised(
    world, people, lift_topic
):
    topic, cases = lift_topic
    assert topic.reach is Reach.BUILDING
    assert (topic.category, topic.compound_id, topic.building.code) == (
        Category.LIFT,
        world.ymn.id,
        "3",
    )
    assert topic.state is TopicState.RAISED
    assert sorted(c.id for c in topic.cases) == sorted(c.id for c in cases)
    assert topic.month_list == ["2026-07", "2026-09", "2026-12"]
    # The next run finds the same cluster: no second topic; a new case joins this one.
    newer = filed(world.ymn, 0, by=people.reporter)
    assert run(TODAY + timedelta(hours=1)) == {"topics_raised": 0, "topic_cases_added": 1}
    (again,) = topics()
    assert newer.id in {c.id for c in again.cases} and len(again.cases) == 4


def test_two_months_or_a_case_outside_the_window_or_turned_away_raise_nothing(world, people):
    filed(world.ymn, 6, by=people.reporter)  # seven months back: outside the six
    filed(world.ymn, 2, by=people.reporter)
    filed(world.ymn, 1, by=people.reporter)
    filed(world.ymn, 0, by=people.reporter, state=State.REJECTED, secretary=people.secretary)
    filed(world.czy, 0, by=None)  # another compound's, same building code
    assert run() == {"topics_raised": 0, "topic_cases_added": 0}
    assert topics() == []


def test_by_default_a_month_counts_with_two_cases_in_the_place(app, world, people):
    app.config["RECURRING_CASES_A_MONTH"] = 2
    for n in (4, 3, 1):
        filed(world.ymn, n, by=people.reporter)
    filed(world.ymn, 4, by=people.reporter)
    filed(world.ymn, 3, by=people.reporter)
    assert run()["topics_raised"] == 0  # two months with two, one with one
    filed(world.ymn, 1, by=people.reporter)
    assert run()["topics_raised"] == 1


def test_the_thresholds_are_settings(app, world, people):
    filed(world.ymn, 2, by=people.reporter)
    filed(world.ymn, 1, by=people.reporter)
    app.config["RECURRING_MONTHS"] = 2
    assert run()["topics_raised"] == 1


def test_a_compound_wide_cluster_no_building_explains_is_the_compounds(world, people):
    for months_back, building in ((4, "1"), (2, "2"), (1, "3")):
        filed(world.ymn, months_back, building=building, category=Category.SANITATION)
    run()
    (topic,) = topics()
    assert (topic.reach, topic.building_id, topic.category) == (
        Reach.COMPOUND,
        None,
        Category.SANITATION,
    )
    assert len(topic.cases) == 3


def test_several_compounds_of_a_community_in_one_month_make_a_community_topic(world, people):
    third = factories.compound(world.community, code="c3", name="Third Court")
    fourth = factories.compound(world.community, code="c4", name="Fourth Court")
    for compound in (world.ymn, third):
        for _ in range(2):
            filed(compound, 0, category=Category.PARKING)
    filed(fourth, 0, category=Category.PARKING)  # one case: not enough
    run()
    assert topics() == []  # two compounds with two each: not yet several
    filed(fourth, 0, category=Category.PARKING)
    run(TODAY + timedelta(hours=1))
    (topic,) = topics()
    assert (topic.reach, topic.community_id, topic.compound_id, topic.months) == (
        Reach.COMMUNITY,
        world.community.id,
        None,
        "2026-12",
    )
    assert len(topic.cases) == 6


def test_once_its_outcome_is_recorded_only_new_cases_raise_it_again(world, people, lift_topic):
    topic, _cases = lift_topic
    service.record_outcome(topic, people.secretary, outcome="更换了电梯控制柜")
    assert run(TODAY + timedelta(hours=1))["topics_raised"] == 0
    # Three more months of faults after it: raised again, with only the new cases.
    later = [
        filed(world.ymn, 0, by=people.reporter, at=TODAY + timedelta(days=d)) for d in (35, 65, 95)
    ]
    raised = run(TODAY + timedelta(days=100))
    assert raised["topics_raised"] == 1
    newest = topics()[-1]
    assert sorted(c.id for c in newest.cases) == sorted(c.id for c in later)


def test_the_nightly_command_raises_them(app, world, people):
    for n in (3, 2, 1):
        filed(world.ymn, n, by=people.reporter)
    with clock.fixed(TODAY):
        result = app.test_cli_runner().invoke(args=["portal", "recurring", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "1 raised, 3 cases added" in result.output
    assert len(topics()) == 1


def test_a_compound_gets_a_few_topics_at_a_time_the_strongest_first(app, world, people):
    app.config["RECURRING_OPEN_TOPICS"] = 2
    for category, months in (
        (Category.LIFT, (5, 4, 3, 2)),
        (Category.NOISE, (3, 2, 1)),
        (Category.SECURITY, (5, 3, 2, 1, 0)),
    ):
        for n in months:
            filed(world.ymn, n, category=category)
    run()
    assert sorted(t.category for t in topics()) == [Category.LIFT, Category.SECURITY]
    # When one is settled, the next strongest is raised.
    service.record_outcome(topics()[0], people.secretary, outcome="已处理")
    run(TODAY + timedelta(hours=1))
    assert {t.category for t in topics() if t.is_open} == {Category.NOISE, topics()[1].category}


# -- desks and lists ------------------------------------------------------------------------


def counted(html: str) -> dict[str, tuple[int, str]]:
    return {
        label.strip(): (int(n), href.replace("&amp;", "&"))
        for href, n, label in re.findall(
            r'<a href="([^"]+)"><strong class="count[^"]*">(\d+)</strong>\s*(.*?)</a>', html, re.S
        )
    }


def test_the_secretarys_desk_counts_open_topics_and_links_to_exactly_those(
    client, world, people, lift_topic
):
    people.secretary.locale = "en"
    db.session.commit()
    topic, cases = lift_topic
    sign_in(client, people.secretary)
    desk = client.get("/desk/secretary").get_data(as_text=True)
    n, href = counted(desk)["Recurring problems to take on"]
    assert (n, href) == (1, "/c/ymn/topics?state=open")
    # The desk shows the topic itself, with its cases.
    shown = desk.split('id="desk-topics"', 1)[1].split("</section>", 1)[0]
    assert f'href="/topics/{topic.id}"' in shown
    assert all(c.number in shown for c in cases)
    listing = client.get(href).get_data(as_text=True)
    assert listing.count('href="/topics/') == 1
    assert "Lift · Plum Garden" in listing


def test_the_community_desk_counts_the_communitys_open_topics(client, world, people, lift_topic):
    people.overseer.locale = "en"
    db.session.commit()
    sign_in(client, people.overseer)
    html = client.get("/desk/community_overseer").get_data(as_text=True)
    n, href = counted(html)[world.community.name]
    assert (n, href) == (1, "/community/cm/topics?state=open")
    assert f'href="/topics/{lift_topic[0].id}"' in html.split('id="desk-topics"', 1)[1]
    assert client.get(href).get_data(as_text=True).count('href="/topics/') == 1


# -- taking one on --------------------------------------------------------------------------


def _form(client, path):
    html = client.get(path).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html)
    return html, version.group(1) if version else None


def test_secretary_puts_a_topic_on_an_open_consultations_agenda(client, world, people, lift_topic):
    topic, _cases = lift_topic
    meeting = consultations.convene(
        world.ymn,
        people.secretary,
        title="十二月三方协商会",
        mode=Mode.IN_PERSON,
        case_list=[factories.case(world.ymn, State.ACCEPTED, secretary=people.secretary)],
        starts_at=TODAY + timedelta(days=3),
        place="会议室",
    )
    sign_in(client, people.secretary)
    html, version = _form(client, f"/topics/{topic.id}")
    assert "十二月三方协商会" in html
    response = client.post(
        f"/topics/{topic.id}/agenda", data={"consultation": meeting.id, "version": version}
    )
    assert response.status_code == 302
    (topic,) = topics()
    assert (topic.state, topic.consultation_id) == (TopicState.ON_AGENDA, meeting.id)
    page = client.get(f"/consultations/{meeting.id}").get_data(as_text=True)
    assert f'href="/topics/{topic.id}"' in page
    minutes = client.get(f"/consultations/{meeting.id}/minutes").get_data(as_text=True)
    assert "电梯" in minutes and "3" in minutes


def test_a_consultation_convened_on_a_topic_may_have_the_topic_alone(
    client, world, people, lift_topic
):
    topic, _cases = lift_topic
    sign_in(client, people.secretary)
    page = client.get(f"/c/ymn/consultations/new?topic={topic.id}").get_data(as_text=True)
    assert (
        'id="convened-topic"' in page and f'name="topic" type="hidden" value="{topic.id}"' in page
    )
    response = client.post(
        "/c/ymn/consultations/new",
        data={
            "topic": topic.id,
            "title": "电梯问题专题协商",
            "mode": "online",
            "window_days": "5",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    (topic,) = topics()
    assert topic.state is TopicState.ON_AGENDA
    assert topic.consultation.title == "电梯问题专题协商"
    assert topic.consultation.items == []


def test_sending_to_the_community_needs_a_note_and_tells_its_overseers(
    client, world, people, lift_topic
):
    topic, _cases = lift_topic
    sign_in(client, people.secretary)
    _html, version = _form(client, f"/topics/{topic.id}")
    empty = client.post(f"/topics/{topic.id}/send", data={"note": " ", "version": version})
    assert empty.status_code == 422
    assert "请说明小区需要社区做什么。" in empty.get_data(as_text=True)
    assert topics()[0].state is TopicState.RAISED
    response = client.post(
        f"/topics/{topic.id}/send", data={"note": "需要社区协调电梯维保单位", "version": version}
    )
    assert response.status_code == 302
    (topic,) = topics()
    assert topic.state is TopicState.SENT and topic.sent_note == "需要社区协调电梯维保单位"
    told = db.session.scalars(select(Notification).where(Notification.kind == "topic_sent")).all()
    assert [n.person_id for n in told] == [people.overseer.id]
    assert told[0].link == f"/topics/{topic.id}"
    # The community's overseer records what was done; the topic is closed.
    client.post("/logout")
    sign_in(client, people.overseer)
    _html, version = _form(client, f"/topics/{topic.id}")
    done = client.post(
        f"/topics/{topic.id}/outcome",
        data={"outcome": "社区约谈维保单位，已更换主板", "version": version},
    )
    assert done.status_code == 302
    (topic,) = topics()
    assert (topic.state, topic.outcome, topic.closed_by_id) == (
        TopicState.CLOSED,
        "社区约谈维保单位，已更换主板",
        people.overseer.id,
    )


def test_an_outcome_on_an_older_version_is_a_conflict_and_the_text_is_kept(
    client, world, people, lift_topic
):
    topic, _cases = lift_topic
    sign_in(client, people.secretary)
    _html, version = _form(client, f"/topics/{topic.id}")
    # Meanwhile the sweep adds a new case to it.
    filed(world.ymn, 0, by=people.reporter)
    run(TODAY + timedelta(hours=1))
    response = client.post(
        f"/topics/{topic.id}/outcome", data={"outcome": "我写的处理结果", "version": version}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "我写的处理结果" in html
    assert topics()[0].state is TopicState.RAISED


def test_htmx_gets_the_topic_region_back_with_what_happened(client, world, people, lift_topic):
    topic, _cases = lift_topic
    sign_in(client, people.secretary)
    _html, version = _form(client, f"/topics/{topic.id}")
    response = client.post(
        f"/topics/{topic.id}/outcome",
        data={"outcome": "已处理", "version": version},
        headers={"HX-Request": "true", "HX-Target": "topic"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith("<") and "<html" not in html
    assert 'id="topic-outcome"' in html


# -- who sees what --------------------------------------------------------------------------


def test_nobody_outside_its_scope_finds_a_topic(client, world, people, lift_topic):
    topic, _cases = lift_topic
    czy_secretary = factories.cast(
        world, czy_secretary={"part": "secretary", "compound": world.czy}
    ).czy_secretary
    for person in (people.other_overseer, czy_secretary, people.representative, people.reporter):
        client.post("/logout")
        sign_in(client, person)
        assert client.get(f"/topics/{topic.id}").status_code == 404, person.name
        assert client.post(f"/topics/{topic.id}/outcome", data={"outcome": "x"}).status_code == 404
    assert client.get("/community/cm/topics").status_code == 404
    client.post("/logout")
    sign_in(client, people.other_overseer)
    assert client.get("/community/cm/topics").status_code == 404
    assert client.get("/c/ymn/topics").status_code == 404


def test_the_property_manager_reads_a_topic_but_only_the_secretary_takes_it_on(
    client, world, people, lift_topic
):
    topic, _cases = lift_topic
    sign_in(client, people.manager)
    html, version = _form(client, f"/topics/{topic.id}")
    assert 'id="outcome-form"' not in html and 'id="send-form"' not in html
    refused = client.post(f"/topics/{topic.id}/send", data={"note": "x", "version": version})
    assert refused.status_code == 409
    assert topics()[0].state is TopicState.RAISED
    client.post("/logout")
    sign_in(client, people.street)  # the sub-district reads it, and answers for nothing here
    html, _version = _form(client, f"/topics/{topic.id}")
    assert 'id="outcome-form"' not in html


def test_the_monthly_report_lists_the_units_recurring_problems(client, world, people, lift_topic):
    _topic, _cases = lift_topic
    sign_in(client, people.street)
    for level, code in (("compound", "ymn"), ("community", "cm"), ("sub-district", "sd")):
        with clock.fixed(TODAY):
            html = client.get(f"/figures/{level}/{code}/report?period=2026-12").get_data(
                as_text=True
            )
        section = html.split('id="report-topics"', 1)
        assert len(section) == 2, level
        assert "电梯" in section[1].split("</table>")[0]
    with clock.fixed(TODAY):
        other = client.get("/figures/community/cm2/report?period=2026-12").get_data(as_text=True)
    assert 'id="report-topics"' not in other
