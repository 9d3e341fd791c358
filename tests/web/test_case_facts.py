"""Each case's facts for the figures are kept in the transaction of every event that changes
them, and `flask portal facts-rebuild` works out the same facts from the events alone: on a
randomised history of filings, triage, work, waits, verdicts, reopenings and closures."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.cases import service as cases
from portal.cases.models import Case, Category, Need
from portal.errors import ServiceError
from portal.extensions import db
from portal.feedback import service as feedback
from portal.feedback.models import Satisfaction, Source
from portal.reports.facts import COLUMNS
from portal.reports.models import CaseFact
from tests import factories


def kept() -> dict[int, tuple]:
    db.session.expire_all()
    facts = db.session.scalars(select(CaseFact).order_by(CaseFact.case_id))
    return {f.case_id: tuple(getattr(f, c) for c in COLUMNS) for f in facts}


def history(world, people, rng: random.Random, count: int) -> None:
    """`count` cases, each walked a random way at random times through the services."""
    moment = factories.shanghai(2026, 9, 1)
    for number in range(count):
        moment += timedelta(hours=rng.randint(1, 40))
        at = moment

        def step(hours_low, hours_high):
            nonlocal at
            at += timedelta(hours=rng.uniform(hours_low, hours_high))
            return clock.fixed(at)

        with clock.fixed(at):
            case, _key = cases.file_case(
                world.ymn,
                world.ymn.buildings[rng.randint(0, 2)],
                category=rng.choice([Category.REPAIR, Category.LIFT, Category.NOISE]),
                description=f"第{number}件事",
                location="",
                urgent=rng.random() < 0.2,
                contact_name="",
                contact_phone="",
                by=people.reporter,
            )
        way = rng.random()
        try:
            if way < 0.1:
                with step(1, 30):
                    cases.reject(case, people.secretary, version=case.version, reason="不属于")
                continue
            if way < 0.15:
                continue  # left for triage
            with step(0.5, 40):
                factories.accept(case, people.secretary, assignee=people.fitter)
            if rng.random() < 0.3:
                with step(1, 30):
                    cases.post_update(case, people.fitter, body="在修", public=True)
            if rng.random() < 0.2:
                with step(1, 30):
                    cases.wait_on_resident(
                        case, people.fitter, version=case.version, need=Need.ACCESS, body="开门"
                    )
                with step(10, 80):
                    cases.resume(case, people.fitter, version=case.version)
            for _round in range(rng.randint(0, 3)):
                with step(5, 300):
                    cases.resolve(case, people.fitter, version=case.version, body="修好了")
                verdict = rng.random()
                with step(2, 100):
                    if verdict < 0.55:
                        feedback.give_feedback(
                            case,
                            people.reporter,
                            solved=True,
                            satisfaction=rng.choice(list(Satisfaction)),
                            comment=None,
                            source=rng.choice([Source.RESIDENT, Source.PHONE_VISIT]),
                        )
                        break
                    if verdict < 0.8:
                        feedback.give_feedback(
                            case,
                            people.reporter,
                            solved=False,
                            satisfaction=Satisfaction.DISSATISFIED,
                            comment="没修好",
                            source=Source.RESIDENT,
                        )
                    else:
                        feedback.close_without_feedback(case)
                        break
        except ServiceError:
            db.session.rollback()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rebuild_from_the_events_equals_the_facts_kept_with_them(app, world, seed):
    people = factories.cast(world, "reporter secretary fitter")
    history(world, people, random.Random(seed), 30)
    before = kept()
    assert len(before) == db.session.scalar(select(db.func.count()).select_from(Case)) == 30
    # Something of each kind was kept, or the comparison would prove little.
    column = {name: i for i, name in enumerate(COLUMNS)}
    facts = list(before.values())
    assert any(f[column["closed_at"]] for f in facts)
    assert any(f[column["reopened"]] for f in facts)
    assert any(f[column["triaged_at"]] is None for f in facts)
    result = app.test_cli_runner().invoke(args=["portal", "facts-rebuild", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "30 cases" in result.output
    assert kept() == before


def test_a_case_filed_and_not_yet_touched_has_its_facts(world):
    people = factories.cast(world, "reporter")
    case = factories.case(world, by=people.reporter)
    fact = db.session.get(CaseFact, case.id)
    assert fact is not None and fact.triaged_at is None and fact.closed_at is None


def test_a_step_undone_by_a_conflict_leaves_no_facts_behind(world):
    people = factories.cast(world, "reporter secretary")
    case = factories.case(world, by=people.reporter)
    stale = case.version
    factories.accept(case, people.secretary)
    with pytest.raises(ServiceError):
        cases.reject(case, people.secretary, version=stale, reason="重复")
    db.session.rollback()
    fact = db.session.get(CaseFact, case.id)
    assert fact.triaged_at is not None and fact.closed_at is None
