"""One vocabulary of events: every kind on a case's timeline has its partial, its audience and,
where it tells somebody, its message, in both languages."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale

from portal import signals
from portal.cases.events import AUDIENCE, EventKind
from portal.cases.workflow import Action
from portal.notifications.messages import EVENT_MESSAGES
from portal.notifications.service import KIND_FOR

TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates" / "cases" / "events"
CATALOGUES = Path(__file__).resolve().parents[2] / "portal" / "translations"
# What the data of each kind holds when the timeline draws it.
DATA = {
    "category": "lift",
    "lead_party": "property",
    "party": "property",
    "target": "ymn-20260101-0001",
    "source": "resident",
    "title": "Lift plan",
    "outcome": "effective",
    "description": "更换门禁",
    "satisfaction": "satisfied",
    "level": 1,
}


def test_every_action_of_the_workflow_is_an_event_kind():
    assert {a.value for a in Action} <= {k.value for k in EventKind}


def test_every_kind_has_its_partial_and_no_partial_is_left_over():
    assert {p.stem for p in TEMPLATES.glob("*.html")} == {k.value for k in EventKind}


def test_every_kind_says_whom_it_concerns():
    assert set(AUDIENCE) == set(EventKind)


def test_every_kind_that_concerns_somebody_has_a_message_and_no_other_does():
    told = {kind for kind, audience in AUDIENCE.items() if audience}
    assert {KIND_FOR.get(kind, kind) for kind in told} == set(EVENT_MESSAGES)


def _catalogue(locale):
    with (CATALOGUES / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_every_message_is_in_both_catalogues(locale):
    catalogue = _catalogue(locale)
    missing = [
        kind.value
        for kind, text in EVENT_MESSAGES.items()
        if not (catalogue.get(text._args[0]) and catalogue.get(text._args[0]).string)
    ]
    assert missing == []


class Event:
    def __init__(self, kind):
        self.action, self.data, self.body = kind, DATA, "正文"


@pytest.mark.parametrize("kind", list(EventKind))
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_each_partial_draws_its_event_in_both_languages(app, kind, locale):
    with app.test_request_context(), force_locale(locale):
        text = render_template_string(
            '{% include "cases/events/" ~ e.action ~ ".html" %}', e=Event(kind)
        ).strip()
    assert text
    if locale == "en" and kind not in (EventKind.PROGRESS, EventKind.NOTE):
        assert any(c.isascii() and c.isalpha() for c in text), text
    if locale == "zh_CN" and kind not in (EventKind.PROGRESS, EventKind.NOTE):
        assert any("\u4e00" <= c <= "\u9fff" for c in text.replace("正文", "")), text


def test_every_signal_has_its_subscribers_once_the_app_is_made(app):
    # Subscribers connect when create_app imports them; a service used without them would
    # skip notifications, claims or the action-item guard silently.
    for signal in (signals.case_event_recorded, signals.case_resolving, signals.home_verified):
        assert signal.receivers, signal.name
