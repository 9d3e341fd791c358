"""The figures overseers watch (DESIGN.md section 6), on a small world whose every figure is
worked out here by hand: the pages show exactly these numbers at each level, every count's
list of cases is exactly as long, and nobody sees a unit outside their scope."""

import re
from html import unescape

import pytest

from tests import factories
from tests.conftest import sign_in
from tests.web.figures_world import NOVEMBER, B, S, page, walk


def table(response) -> dict[str, dict[str, str]]:
    """{row's unit ("*" the total): {"kind:key": the cell's text}} of a figures page."""
    html = response.get_data(as_text=True)
    found = {}
    for unit, row in re.findall(r'<tr[^>]*data-unit="([^"]+)"[^>]*>(.*?)</tr>', html, re.S):
        cells = re.findall(r'<td data-figure="([^"]+)">(.*?)</td>', row, re.S)
        found[unit] = {
            key: re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", text))).strip()
            for key, text in cells
        }
    return found


PLUM_GARDEN = {
    "count:filed": "8",
    "count:closed": "7",
    "count:visited": "6",
    # Responded on time: A B C D G (F was triaged late); over 6 return visits.
    "rate:response_rate": "83.3%",
    # Solved: A B C F G; over 6.
    "rate:resolution_rate": "83.3%",
    # (3 satisfied + 0.9 × 2 basically) / 6.
    "rate:satisfaction_rate": "80.0%",
    # (10 × 83.33 + 50 × 83.33 + 40 × 80.0) / 100.
    "composite:composite": "82.0",
    "count:not_solved": "1",
    "count:no_feedback": "1",
    # Resolved on time: all but G; over 7 closed.
    "rate:on_time_rate": "85.7%",
    "rate:reopen_rate": "14.3%",
    # Triage hours 1 2 2 2 3 4 6 30 (H triaged in November too): median 2.5, 8th of 8.
    "median:triage_time": "2.5 h",
    "p90:triage_time": "30.0 h",
    # Days to the resolution that stood: 1 2 2 3 5 7 20.
    "median:resolve_time": "3.0 d",
    "p90:resolve_time": "20.0 d",
    "other:overdue": "1",
}


def test_a_compounds_figures_are_the_hand_worked_ones(client, figures_world):
    sign_in(client, figures_world.secretary)
    response = page(client, f"/figures/compound/ymn?period={NOVEMBER}")
    assert response.status_code == 200
    rows = table(response)
    for key, expected in PLUM_GARDEN.items():
        assert rows["*"][key].split(" ")[0] == expected.split(" ")[0], key
    # One row per category: all of November's are repairs.
    assert rows["repair"]["count:closed"] == "7"
    assert rows["lift"]["count:closed"] == "0"


def test_a_rate_over_fewer_than_five_return_visits_shows_its_counts(client, figures_world):
    sign_in(client, figures_world.czy_secretary)
    rows = table(page(client, f"/figures/compound/czy?period={NOVEMBER}"))
    assert rows["*"]["rate:response_rate"] == "2 of 2"
    assert rows["*"]["rate:satisfaction_rate"] == "1 of 2"
    assert rows["*"]["composite:composite"] == "—"


def test_the_sub_district_adds_up_its_communities(client, figures_world):
    sign_in(client, figures_world.street)
    rows = table(page(client, f"/figures/sub-district/sd?period={NOVEMBER}"))
    assert rows["cm"]["count:closed"] == "7" and rows["cm2"]["count:closed"] == "2"
    whole = rows["*"]
    assert whole["count:closed"] == "9" and whole["count:visited"] == "8"
    assert whole["rate:response_rate"].startswith("87.5%")
    assert whole["rate:resolution_rate"].startswith("87.5%")
    # (4 satisfied + 0.9 × 2 basically) / 8: Bamboo Court's second was dissatisfied.
    assert whole["rate:satisfaction_rate"].startswith("72.5%")
    assert whole["count:no_feedback"] == "1" and whole["count:not_solved"] == "1"


def test_october_is_compared_and_counted_apart(client, figures_world):
    sign_in(client, figures_world.secretary)
    rows = table(page(client, "/figures/compound/ymn?period=2026-10"))
    assert rows["*"]["count:closed"] == "1"
    assert rows["*"]["rate:resolution_rate"] == "1 of 1"


def drill_links(response) -> list[tuple[str, str]]:
    html = response.get_data(as_text=True)
    return [
        (unescape(href), re.sub(r"<[^>]+>", "", text).strip())
        for href, text in re.findall(r'<a href="(/figures/[^"]+/cases\?[^"]+)">(.*?)</a>', html)
    ]


def listed(client, address) -> int:
    """How many cases the list says it has, checked against the rows on all its pages."""
    response = page(client, address)
    assert response.status_code == 200, address
    said = int(re.search(r'role="status">(\d+)', response.get_data(as_text=True))[1])
    shown = response.get_data(as_text=True).count('<li class="row">')
    assert shown == min(said, 50), address
    return said


@pytest.mark.parametrize(
    "who, address",
    [
        ("street", "/figures/sub-district/sd"),
        ("street", "/figures/community/cm"),
        ("overseer", "/figures/community/cm"),
        ("secretary", "/figures/compound/ymn"),
        ("street", "/figures/compound/czy"),
    ],
)
def test_every_count_lists_exactly_as_many_cases(client, figures_world, who, address):
    sign_in(client, getattr(figures_world, who))
    links = drill_links(page(client, f"{address}?period={NOVEMBER}"))
    assert links
    for href, text in links:
        total = listed(client, href)
        if text.isdigit():
            assert total == int(text), href
        elif " of " in text:  # a rate over too few: its denominator
            assert total == int(text.split(" of ")[1]), href


def test_a_rate_lists_the_return_visits_it_is_over(client, figures_world):
    sign_in(client, figures_world.secretary)
    base = f"/figures/compound/ymn/cases?period={NOVEMBER}&figure="
    assert listed(client, base + "satisfaction_rate") == 6
    assert listed(client, base + "on_time_rate") == 7
    assert listed(client, base + "satisfied") == 3


@pytest.mark.parametrize(
    "who, address",
    [
        ("other_overseer", "/figures/community/cm"),
        ("other_overseer", "/figures/compound/ymn"),
        ("other_overseer", "/figures/compound/ymn/cases?figure=closed"),
        ("overseer", "/figures/sub-district/sd"),
        ("czy_secretary", "/figures/compound/ymn"),
        ("czy_secretary", "/figures/compound/ymn/cases?figure=closed"),
        ("secretary", "/figures/community/cm"),
        ("fitter", "/figures/compound/ymn"),
        ("reporter", "/figures/compound/ymn"),
    ],
)
def test_nobody_sees_a_unit_outside_their_scope(client, figures_world, who, address):
    sign_in(client, getattr(figures_world, who))
    assert page(client, address).status_code == 404


def test_a_compound_of_another_community_is_not_drilled_into_from_this_one(client, figures_world):
    sign_in(client, figures_world.overseer)
    assert page(client, "/figures/community/cm/cases?figure=closed&compound=czy").status_code == 404


def test_a_period_that_is_none_is_refused_with_a_message(client, figures_world):
    sign_in(client, figures_world.secretary)
    for bad in ("period=2026-13", "period=yesterday", "from=2026-12-01&to=2026-11-01"):
        response = page(client, f"/figures/compound/ymn?{bad}")
        assert response.status_code == 400
        assert "not a period" in response.get_data(as_text=True)


def test_a_quarter_and_a_range_count_the_same_cases(client, figures_world):
    sign_in(client, figures_world.secretary)
    quarter = table(page(client, "/figures/compound/ymn?period=2026-Q4"))["*"]
    days = table(page(client, "/figures/compound/ymn?from=2026-10-01&to=2026-12-31"))["*"]
    assert quarter["count:closed"] == days["count:closed"] == "8"


def test_the_definitions_page_states_the_weights_in_force(app, client):
    response = client.get("/figures/definitions", headers={"Accept-Language": "en"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "w = 0.9" in text and "10 : 50 : 40" in text
    assert "a case counts in the month it was closed" in text.lower()
    app.config.update(SATISFACTION_BASICALLY_WEIGHT=1.0, COMPOSITE_WEIGHTS="30/35/35")
    text = client.get("/figures/definitions").get_data(as_text=True)
    assert "w = 1" in text and "30 : 35 : 35" in text


def test_the_way_in_leads_to_the_persons_own_unit(client, figures_world):
    sign_in(client, figures_world.overseer)
    response = client.get("/figures/")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/figures/community/cm"
    )
    sign_in(client, figures_world.fitter)
    assert client.get("/figures/").status_code == 404


@pytest.mark.parametrize(
    "who, role, address",
    [
        ("street", "subdistrict_overseer", "/figures/sub-district/sd"),
        ("overseer", "community_overseer", "/figures/community/cm"),
        ("secretary", "secretary", "/figures/compound/ymn"),
    ],
)
def test_the_desk_leads_to_the_figures_of_what_the_person_oversees(
    client, figures_world, who, role, address
):
    sign_in(client, getattr(figures_world, who))
    desk = client.get(f"/desk/{role}").get_data(as_text=True)
    assert f'href="{address}"' in desk
    assert client.get(address).status_code == 200


def chart_table(response, chart_id) -> list[list[str]]:
    html = response.get_data(as_text=True)
    body = re.search(rf'<table[^>]*id="{chart_id}-numbers">(.*?)</table>', html, re.S)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.S)
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in rows
    ]


def test_the_charts_draw_the_figures_and_their_tables_say_the_same(client, figures_world):
    sign_in(client, figures_world.street)
    response = page(client, f"/figures/sub-district/sd?period={NOVEMBER}")
    html = response.get_data(as_text=True)
    rows = table(response)
    # The three rates by month over the 12 months to November: only November has five return
    # visits; its numbers are the page's own.
    trend = chart_table(response, "trend")
    assert [r[0] for r in trend] == [f"2025-{m:02d}" for m in (12,)] + [
        f"2026-{m:02d}" for m in range(1, 12)
    ]
    assert trend[-1][1:] == [
        rows["*"]["rate:response_rate"].split(" ")[0],
        rows["*"]["rate:resolution_rate"].split(" ")[0],
        rows["*"]["rate:satisfaction_rate"].split(" ")[0],
    ]
    assert all(cell == "—" for r in trend[:-1] for cell in r[1:])
    # One dot per rate with a value; no line runs through months without one.
    assert html.count('<circle class="dot') == 3 and "<polyline" not in html
    # Cases filed by category: ten repairs in November, nothing else.
    assert chart_table(response, "by-category") == [
        ["Repairs (leaks, lights, doors, shared facilities)", "10"]
    ]
    assert html.count('<rect class="bar"') == 1 + 1  # the category and the one ranked compound
    # Ranked by composite score: Bamboo Court has too few return visits for one.
    assert chart_table(response, "ranked") == [["Plum Garden", "82.0"]]


def test_a_rate_drawn_over_months_follows_each_month(client, figures_world, world):
    # Five cases closed in Bamboo Court in each of September and October: a line joins the
    # two months; November's two return visits are too few to draw.
    for month_, verdict in ((9, S), (10, B)):
        for day in range(1, 6):
            filed = factories.shanghai(2026, month_, day)
            walk(
                figures_world, world.czy, filed, triage_h=1, resolve_d=1, verdicts=[(True, verdict)]
            )
    sign_in(client, figures_world.czy_secretary)
    response = page(client, f"/figures/compound/czy?period={NOVEMBER}")
    trend = chart_table(response, "trend")
    assert trend[-3][1:] == ["100.0%", "100.0%", "100.0%"]  # September: all satisfied
    assert trend[-2][1:] == ["100.0%", "100.0%", "90.0%"]  # October: basically, w = 0.9
    assert trend[-1][1:] == ["—", "—", "—"]
    html = response.get_data(as_text=True)
    assert html.count("<polyline") == 3 and html.count('<circle class="dot') == 6
    assert "ranked-numbers" not in html  # a compound has no compounds to rank
