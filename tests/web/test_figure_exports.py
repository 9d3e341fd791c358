"""The figures and the cases behind them as CSV (with the byte order mark Excel needs for
Chinese) and XLSX, with exactly the numbers the pages show, for those who may see them."""

import csv
import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook

from portal.reports import drill, periods
from tests.conftest import sign_in
from tests.web.figures_world import NOVEMBER, page


def rows_of_csv(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf"), "no byte order mark: Excel would garble Chinese"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def rows_of_xlsx(response) -> list[list]:
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_a_figures_table_exports_with_the_numbers_of_the_page(client, figures_world):
    sign_in(client, figures_world.secretary)
    address = f"/figures/compound/ymn/figures.csv?period={NOVEMBER}"
    response = page(client, address)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="figures-ymn-2026-11.csv"'
    )
    header, total, *categories = rows_of_csv(response)
    row = dict(zip(header, total, strict=True))
    assert row["Category"] == "All of Plum Garden"
    assert row["Cases closed"] == "7" and row["Valid return visits"] == "6"
    assert row["Closed, not solved"] == "1" and row["No feedback"] == "1"
    assert row["Response rate (%)"] == "83.3" and row["Satisfaction rate (%)"] == "80.0"
    assert row["Composite score"] == "82.0"
    assert row["Time to triage, median (hours)"] == "2.5"
    assert row["Time to resolve, 90th percentile (days)"] == "20.0"
    assert len(categories) == 14  # one row per category
    book = rows_of_xlsx(page(client, address.replace(".csv", ".xlsx")))
    sheet = dict(zip(book[0], book[1], strict=True))
    assert sheet["Cases closed"] == 7
    assert round(sheet["Response rate"], 4) == round(5 / 6, 4)
    assert round(sheet["Satisfaction rate"], 4) == round(4.8 / 6, 4)
    assert round(sheet["Composite score"], 1) == 82.0


def test_a_rate_over_too_few_exports_blank_not_a_percentage(client, figures_world):
    sign_in(client, figures_world.czy_secretary)
    header, total, *_rest = rows_of_csv(
        page(client, f"/figures/compound/czy/figures.csv?period={NOVEMBER}")
    )
    row = dict(zip(header, total, strict=True))
    assert row["Response rate (%)"] == "" and row["Valid return visits"] == "2"


@pytest.mark.parametrize(
    "figure, count", [("satisfaction_rate", 6), ("closed", 7), ("no_feedback", 1)]
)
def test_the_cases_behind_a_figure_export_every_one(client, figures_world, figure, count):
    sign_in(client, figures_world.secretary)
    base = f"/figures/compound/ymn/cases.%s?period={NOVEMBER}&figure={figure}"
    listed = page(client, (base % "csv").replace("/cases.csv", "/cases"))
    numbers = sorted(n for n in listed.get_data(as_text=True).split('class="case-number"')[1:])
    header, *lines = rows_of_csv(page(client, base % "csv"))
    assert header[0] == "Case number" and len(lines) == count == len(numbers)
    book = rows_of_xlsx(page(client, base % "xlsx"))
    assert len(book) == count + 1
    assert [r[0] for r in book[1:]] == [line[0] for line in lines]
    # No reporter's name or phone in an export.
    text = page(client, base % "csv").get_data(as_text=True)
    assert figures_world.reporter.phone not in text and figures_world.reporter.name not in text


def test_an_export_outside_ones_scope_is_not_found(client, figures_world):
    sign_in(client, figures_world.other_overseer)
    for address in (
        "/figures/community/cm/figures.csv",
        "/figures/compound/ymn/figures.xlsx",
        "/figures/compound/ymn/cases.csv?figure=closed",
    ):
        assert page(client, address).status_code == 404


def report_lines(response) -> dict[str, list[str]]:
    html = response.get_data(as_text=True)
    found = {}
    for key, row in re.findall(r'<tr data-figure="([^"]+)">(.*?)</tr>', html, re.S):
        found[key] = [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
    return found


def test_the_monthly_report_has_the_numbers_of_the_page_and_the_month_before(
    client,
    figures_world,
):
    sign_in(client, figures_world.secretary)
    response = page(client, f"/figures/compound/ymn/report?period={NOVEMBER}")
    assert response.status_code == 200
    lines = report_lines(response)
    # November, then October (one case closed there: too few for rates), then the change.
    assert lines["rate:response_rate"] == ["83.3%", "1 of 1", ""]
    assert lines["composite:composite"] == ["82.0", "—", ""]
    assert lines["count:closed"] == ["7", "1", "+6"]
    assert lines["count:not_solved"] == ["1", "0", "+1"]
    assert lines["count:no_feedback"] == ["1", "0", "+1"]
    assert lines["median:resolve_time"][0] == "3.0 d"
    assert lines["other:overdue"] == ["1", "", ""]
    # The categories that did worst: repairs, with the case not solved and the one without.
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    assert "most cases not solved or without feedback" in text
    assert "Repairs (leaks, lights, doors, shared facilities) 82.0 83.3% 83.3% 80.0% 1 1 1" in text
    # It prints on A4, with the minutes' paper stylesheet.
    assert "minutes.css" in response.get_data(as_text=True)


def test_the_sub_districts_report_names_its_weakest_communities(client, figures_world):
    sign_in(client, figures_world.street)
    response = page(client, f"/figures/sub-district/sd/report?period={NOVEMBER}")
    html = response.get_data(as_text=True)
    worst = re.search(r'<table class="grid" id="report-worst">(.*?)</table>', html, re.S)[1]
    # Only Lakeside has enough return visits for a composite score.
    assert "Lakeside community" in worst and "North Lake community" not in worst
    assert report_lines(response)["count:closed"][0] == "9"


def test_an_export_reads_its_cases_in_batches_and_misses_none(figures_world, world):
    ids = [world.ymn.id]
    november = periods.parse(NOVEMBER)
    whole = [row.number for row in drill.export_rows(ids, november, "closed")]
    assert len(whole) == 7
    # Pages of two: four look-ups, the same seven cases in the same order.
    assert [row.number for row in drill.export_rows(ids, november, "closed", batch=2)] == whole
