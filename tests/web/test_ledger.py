"""The property company ledger (DESIGN.md section 6): each company's timeliness, reopenings and
satisfaction over the cases the property party leads in the compounds it serves, ranked, with
the cases behind each number and an export; for the overseers of the unit only."""

import csv
import io
import re

import pytest

from tests.conftest import sign_in
from tests.web.figures_world import NOVEMBER, page
from tests.web.test_figures import drill_links, listed, table


def test_the_ledger_ranks_the_companies_with_the_hand_worked_numbers(client, figures_world):
    sign_in(client, figures_world.street)
    response = page(client, f"/figures/sub-district/sd/property-companies?period={NOVEMBER}")
    assert response.status_code == 200
    rows = table(response)
    luxing = rows["luxing"]
    assert luxing["count:filed"] == "8" and luxing["count:closed"] == "7"
    assert luxing["rate:on_time_rate"] == "85.7%"
    assert luxing["median:resolve_time"] == "3.0 d"
    assert luxing["rate:reopen_rate"] == "14.3%"
    assert luxing["rate:satisfaction_rate"] == "80.0%"
    assert luxing["rate:no_feedback_share"] == "14.3%"
    assert luxing["other:overdue"] == "1"
    assert rows["luxing/ymn"] == luxing  # Luxing serves Plum Garden alone here
    assert rows["shengze"]["rate:satisfaction_rate"] == "1 of 2"
    # Ranked: the company with a satisfaction rate before the one with too few return visits.
    html = response.get_data(as_text=True)
    assert html.index('data-unit="luxing"') < html.index('data-unit="shengze"')


def test_every_number_of_the_ledger_lists_as_many_cases(client, figures_world):
    sign_in(client, figures_world.street)
    links = drill_links(
        page(client, f"/figures/sub-district/sd/property-companies?period={NOVEMBER}")
    )
    assert len(links) > 10
    for href, text in links:
        total = listed(client, href)
        if text.isdigit():
            assert total == int(text), href
        elif " of " in text:
            assert total == int(text.split(" of ")[1]), href


def test_the_ledger_exports_with_its_numbers(client, figures_world):
    sign_in(client, figures_world.overseer)
    response = page(client, f"/figures/community/cm/property-companies.csv?period={NOVEMBER}")
    assert response.get_data().startswith(b"\xef\xbb\xbf")
    header, company, compound = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    )
    row = dict(zip(header, company, strict=True))
    assert row["Property company"] == "Luxing Property" and row["Compound"] == ""
    assert row["Satisfaction rate (%)"] == "80.0" and row["Cases closed"] == "7"
    assert compound[:2] == ["Luxing Property", "Plum Garden"]


@pytest.mark.parametrize(
    "who, address",
    [
        ("other_overseer", "/figures/community/cm/property-companies"),
        ("other_overseer", "/figures/community/cm/property-companies.csv"),
        ("other_overseer", "/figures/sub-district/sd/property-companies"),
        ("secretary", "/figures/compound/ymn/property-companies"),
        ("secretary", "/figures/property-companies"),
        ("street", "/figures/compound/ymn/property-companies"),
    ],
)
def test_the_ledger_is_the_overseers_of_its_unit_only(client, figures_world, who, address):
    sign_in(client, getattr(figures_world, who))
    assert page(client, address).status_code == 404


def test_the_way_in_leads_an_overseer_to_their_units_ledger(client, figures_world):
    sign_in(client, figures_world.other_overseer)
    response = client.get("/figures/property-companies")
    assert response.headers["Location"].endswith("/figures/community/cm2/property-companies")
    html = page(client, f"/figures/community/cm2/property-companies?period={NOVEMBER}")
    assert re.search(r'data-unit="shengze"', html.get_data(as_text=True))
