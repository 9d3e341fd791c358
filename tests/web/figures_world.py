"""A small world whose every figure is worked out by hand (tests/web/test_figures.py says
each): cases of Plum Garden and Bamboo Court filed, triaged, resolved, judged and closed at
chosen moments in October and November 2026, and the pages read on 3 December."""

from datetime import timedelta

from portal import clock
from portal.cases import service as cases
from portal.cases.models import Category
from portal.extensions import db
from portal.feedback import service as feedback
from portal.feedback.models import Satisfaction, Source
from portal.organisation.models import PropertyCompany
from tests import factories

S, B, D = Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.DISSATISFIED
NOVEMBER = "2026-11"
# The pages are read on 3 December 2026, 10:00 in Shanghai.
TODAY = factories.shanghai(2026, 12, 3)


def page(client, address):
    """The page as read on 3 December 2026."""
    with clock.fixed(TODAY):
        return client.get(address)


def walk(people, compound, filed, *, triage_h, resolve_d, verdicts, no_feedback=False):
    """A case filed at `filed`, triaged `triage_h` hours later (and assigned), resolved
    `resolve_d` days after filing, then judged: each verdict (solved, satisfaction) in turn a
    day after the resolution it judges ("not solved" reopens it and it is resolved again two
    days later); `no_feedback` closes it without a verdict at the end."""
    hour = timedelta(hours=1)
    with clock.fixed(filed):
        made, _key = cases.file_case(
            compound,
            compound.buildings[1],
            category=Category.REPAIR,
            description="楼道灯坏了",
            location="",
            urgent=False,
            contact_name="",
            contact_phone="",
            by=people.reporter if compound.code == "ymn" else people.czy_reporter,
        )
    secretary = people.secretary if compound.code == "ymn" else people.czy_secretary
    fitter = people.fitter if compound.code == "ymn" else people.czy_fitter
    with clock.fixed(filed + triage_h * hour):
        factories.accept(made, secretary, assignee=fitter)
    if resolve_d is None:
        return made
    resolved = filed + timedelta(days=resolve_d)
    with clock.fixed(resolved):
        cases.resolve(made, fitter, version=made.version, body="修好了")
    for solved, satisfaction in verdicts:
        with clock.fixed(resolved + timedelta(days=1)):
            feedback.give_feedback(
                made,
                made.reporter,
                solved=solved,
                satisfaction=satisfaction,
                comment=None if solved else "还是不亮",
                source=Source.RESIDENT,
            )
        if not solved:
            resolved += timedelta(days=3)
            with clock.fixed(resolved):
                cases.resolve(made, fitter, version=made.version, body="换了灯管")
    if no_feedback:
        with clock.fixed(resolved + timedelta(days=8)):
            feedback.close_without_feedback(made)
    return made


def build(world):
    people = factories.cast(
        world,
        "reporter secretary fitter overseer other_overseer street",
        locale="en",
        czy_reporter={"part": "reporter", "compound": world.czy, "name": "竹园王阿姨"},
        czy_secretary={"part": "secretary", "compound": world.czy, "name": "竹园书记"},
        czy_fitter={"part": "fitter", "compound": world.czy, "name": "竹园师傅"},
    )
    nov = lambda day, hour=10: factories.shanghai(2026, 11, day, hour)  # noqa: E731
    ymn, czy = world.ymn, world.czy
    # Each compound's property company (the ledger's rows).
    for compound, code, name in ((ymn, "luxing", "Luxing Property"), (czy, "shengze", "Shengze")):
        compound.property_company = PropertyCompany(code=code, name=name)
    db.session.commit()
    # Plum Garden, closed in November (hours to triage; days from filing to the resolution):
    walk(people, ymn, nov(2), triage_h=2, resolve_d=2, verdicts=[(True, S)])  # A
    walk(people, ymn, nov(3), triage_h=4, resolve_d=3, verdicts=[(True, S)])  # B
    walk(people, ymn, nov(4), triage_h=6, resolve_d=1, verdicts=[(True, B)])  # C
    # D: "not solved", sent back, resolved again, then nobody answered: closed, not solved.
    walk(people, ymn, nov(5), triage_h=1, resolve_d=4, verdicts=[(False, D)], no_feedback=True)
    walk(people, ymn, nov(6), triage_h=2, resolve_d=2, verdicts=[], no_feedback=True)  # E
    # F: triaged after 30 hours, past the 24-hour response deadline, nobody in touch before.
    walk(people, ymn, nov(9), triage_h=30, resolve_d=5, verdicts=[(True, S)])
    # G: resolved 20 days after filing, long past its 7 working days.
    walk(people, ymn, nov(2, 9), triage_h=2, resolve_d=20, verdicts=[(True, B)])
    # H: filed in November, still in progress and overdue on 3 December.
    walk(people, ymn, nov(12), triage_h=3, resolve_d=None, verdicts=[])
    # I: closed in October: not November's.
    walk(
        people, ymn, factories.shanghai(2026, 10, 10), triage_h=1, resolve_d=2, verdicts=[(True, S)]
    )
    # Bamboo Court: two cases, too few for a percentage.
    walk(people, czy, nov(10), triage_h=2, resolve_d=2, verdicts=[(True, S)])
    walk(people, czy, nov(11), triage_h=2, resolve_d=2, verdicts=[(True, D)])
    return people
