"""The filing form says what it needs: required and optional fields in words, and after a failed
send a summary of what is wrong that links to each field, a title that says "error", and every
invalid field marked for screen readers. Urgent is a choice as large as the others."""

import re

import pytest
from sqlalchemy import select

from portal.cases.models import Case
from portal.extensions import db
from tests.web.test_case_flow import file_case


@pytest.fixture
def english(client, world):
    client.post("/language", data={"locale": "en"})
    return client


def label(page: str, field_id: str) -> str:
    found = re.search(rf'<label for="{field_id}">(.*?)</label>', page, re.S)
    assert found, field_id
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_every_field_says_whether_it_is_required(english, world):
    page = english.get("/c/ymn/report").get_data(as_text=True)
    assert label(page, "building") == "Building (required)"
    assert label(page, "category") == "What kind of issue (required)"
    assert label(page, "description") == "What happened (required)"
    assert label(page, "contact_name") == "Your name (required)"
    assert label(page, "contact_phone") == "Phone we can reach you on (required)"
    assert label(page, "privacy") == "I have read the privacy notice and agree (required)"
    assert label(page, "location") == "Where exactly (optional)"
    assert label(page, "photos") == "Photos (up to 4) (optional)"


def test_the_labels_say_it_in_chinese_too(client, world):
    page = client.get("/c/ymn/report").get_data(as_text=True)
    assert label(page, "description").endswith("（必填）")
    assert label(page, "location").endswith("（选填）")


def test_a_failed_send_leads_with_a_summary_linking_each_problem(english, world):
    response = file_case(english, world, description="", privacy="", contact_phone="12")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert title.startswith("Error: Report an issue")
    summary = re.search(r'<div class="error-summary"(.*?)</div>', page, re.S).group(0)
    assert 'role="alert"' in summary and "autofocus" in summary and 'tabindex="-1"' in summary
    links = re.findall(r'<a href="#([\w-]+)">([^<]*)</a>', summary)
    assert [target for target, _text in links] == ["description", "contact_phone", "privacy"]
    assert links[0][1] == "What happened: Say what happened."
    # The summary comes before the form, so that it is the first thing read.
    assert page.index("error-summary") < page.index("report-form")


def test_every_invalid_field_is_marked_and_described_the_textarea_included(english, world):
    page = file_case(english, world, description="", contact_phone="12").get_data(as_text=True)
    textarea = re.search(r"<textarea[^>]*>", page).group(0)
    assert 'aria-invalid="true"' in textarea
    assert re.search(r'aria-describedby="description-hint description-error"', textarea)
    assert '<p class="error" id="description-error">Say what happened.</p>' in page
    phone = re.search(r'<input[^>]*id="contact_phone"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in phone and "contact_phone-error" in phone
    name = re.search(r'<input[^>]*id="contact_name"[^>]*>', page).group(0)
    assert "aria-invalid" not in name
    # What the resident typed stays.
    assert 'value="王阿姨"' in page


def test_a_first_visit_has_no_summary_to_read(english, world):
    page = english.get("/c/ymn/report").get_data(as_text=True)
    assert re.search(r'<div class="error-summary"[^>]* hidden>', page)
    assert "autofocus" not in page
    assert re.search(r"<title>Report an issue", page)


def test_urgent_is_a_choice_between_two_large_options(english, world):
    page = english.get("/c/ymn/report").get_data(as_text=True)
    group = re.search(r'<fieldset class="field tiles".*?</fieldset>', page, re.S).group(0)
    assert "<legend>How urgent is it</legend>" in group
    options = re.findall(r'<input([^>]*)type="radio"([^>]*)>', group)
    assert len(options) == 2
    assert 'value="no"' in "".join(options[0]) and "checked" in "".join(options[0])
    assert 'value="yes"' in "".join(options[1]) and "checked" not in "".join(options[1])
    assert "Ordinary" in group and "Urgent" in group and "call 110, 119 or 120" in group


@pytest.mark.parametrize(
    ("sent", "urgent"), [({"urgent": "yes"}, True), ({"urgent": "no"}, False), ({}, False)]
)
def test_the_urgent_choice_is_filed(english, world, sent, urgent):
    assert file_case(english, world, **sent).status_code == 302
    case = db.session.scalars(select(Case)).one()
    assert case.urgent is urgent


def test_an_unknown_urgency_is_refused_and_the_form_kept(english, world):
    response = file_case(english, world, urgent="very")
    assert response.status_code == 422
    summary = re.search(
        r'<div class="error-summary".*?</div>', response.get_data(as_text=True), re.S
    ).group(0)
    assert '<a href="#urgent-0">How urgent is it: Not a valid choice.</a>' in summary
    assert db.session.scalars(select(Case)).first() is None
