"""Every figure of DESIGN.md section 6, defined once: what puts a case in a period, which of
those cases each count takes, how each rate and time is worked out from them. The figures
pages, their drill-down lists, the exports and the tests all read these definitions, and
/figures/definitions states them in words with the weights in force."""

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, not_, true
from sqlalchemy.orm import InstrumentedAttribute

from portal.feedback.models import Satisfaction
from portal.reports.models import CaseFact as F

# A rate over fewer cases than this shows its counts instead of a percentage that would say
# more than it knows.
MIN_DENOMINATOR = 5


class Basis(enum.StrEnum):
    """The moment that puts a case in a period."""

    FILED = "filed"
    TRIAGED = "triaged"
    CLOSED = "closed"  # a case counts in the month it was closed


MOMENT = {Basis.FILED: F.filed_at, Basis.TRIAGED: F.triaged_at, Basis.CLOSED: F.closed_at}


def in_period(basis: Basis, compound_ids, period) -> tuple:
    """The facts of the compounds that the basis puts in the period."""
    moment = MOMENT[basis]
    return (F.compound_id.in_(compound_ids), moment >= period.start, moment < period.end)


@dataclass(frozen=True)
class Count:
    """How many cases put in the period by `basis` meet `where`."""

    key: str
    label: str
    explained: str
    basis: Basis
    where: ColumnElement[bool] = field(default_factory=true)


VISITED = F.visited.is_(True)
COUNTS = [
    Count("filed", _l("Cases filed"), _l("Cases filed in the period."), Basis.FILED),
    Count(
        "triaged",
        _l("Cases triaged"),
        _l("Cases accepted, rejected or merged for the first time in the period."),
        Basis.TRIAGED,
    ),
    Count(
        "closed",
        _l("Cases closed"),
        _l("Cases closed in the period: solved, or without feedback."),
        Basis.CLOSED,
    ),
    Count(
        "visited",
        _l("Valid return visits"),
        _l(
            "Closed cases on which the resident gave a verdict: their own answer, or one "
            "recorded for them on a return visit by phone or at the door. The last verdict "
            "counts."
        ),
        Basis.CLOSED,
        VISITED,
    ),
    Count(
        "responded",
        _l("Responded on time"),
        _l(
            "Of those, cases whose resident was contacted, or which were triaged, by the "
            "response deadline."
        ),
        Basis.CLOSED,
        and_(VISITED, F.responded_on_time.is_(True)),
    ),
    Count(
        "solved",
        _l("Solved"),
        _l("Of those, cases the resident says are solved."),
        Basis.CLOSED,
        and_(VISITED, F.solved.is_(True)),
    ),
    Count(
        "not_solved",
        _l("Closed, not solved"),
        _l(
            'Of those, cases whose resident\'s last word was "not solved": sent back, '
            "resolved again and closed without a new verdict. Never counted as solved."
        ),
        Basis.CLOSED,
        and_(VISITED, F.solved.is_(False)),
    ),
    Count(
        "no_feedback",
        _l("No feedback"),
        _l(
            "Closed cases on which nobody gave a verdict within the feedback window. Never "
            "counted as solved or satisfied, and not in the three rates."
        ),
        Basis.CLOSED,
        not_(VISITED),
    ),
    Count(
        "satisfied",
        _l("Satisfied"),
        _l("Return visits that said the resident is satisfied."),
        Basis.CLOSED,
        and_(VISITED, F.satisfaction == Satisfaction.SATISFIED),
    ),
    Count(
        "basically",
        _l("Basically satisfied"),
        _l("Return visits that said the resident is basically satisfied."),
        Basis.CLOSED,
        and_(VISITED, F.satisfaction == Satisfaction.BASICALLY),
    ),
    Count(
        "dissatisfied",
        _l("Dissatisfied"),
        _l("Return visits that said the resident is dissatisfied."),
        Basis.CLOSED,
        and_(VISITED, F.satisfaction == Satisfaction.DISSATISFIED),
    ),
    Count(
        "timed",
        _l("Closed with a deadline"),
        _l(
            "Closed cases whose resolution has its deadline on record (all but some filed "
            "before deadlines were recorded with the resolution)."
        ),
        Basis.CLOSED,
        F.resolved_on_time.is_not(None),
    ),
    Count(
        "on_time",
        _l("Resolved on time"),
        _l("Of those, cases resolved by their deadline (the one that stood when resolved)."),
        Basis.CLOSED,
        F.resolved_on_time.is_(True),
    ),
    Count(
        "reopened",
        _l("Reopened"),
        _l("Closed cases that were sent back to be done again at least once."),
        Basis.CLOSED,
        F.reopened.is_(True),
    ),
]
COUNT = {c.key: c for c in COUNTS}


@dataclass(frozen=True)
class Rate:
    """sum(weight * count) / denominator, each count weighted (a callable reads a setting)."""

    key: str
    label: str
    explained: str
    numerator: tuple[tuple[str, object], ...]
    denominator: str

    def weights(self) -> list[tuple[str, float]]:
        return [(k, w() if callable(w) else float(w)) for k, w in self.numerator]  # type: ignore[arg-type]


def basically_weight() -> float:
    return float(current_app.config["SATISFACTION_BASICALLY_WEIGHT"])


def composite_weights() -> tuple[float, float, float]:
    """The composite score's weights of the response, resolution and satisfaction rates."""
    parts = [float(p) for p in str(current_app.config["COMPOSITE_WEIGHTS"]).split("/")]
    if len(parts) != 3 or min(parts) < 0 or sum(parts) <= 0:
        raise ValueError("PORTAL_COMPOSITE_WEIGHTS is three weights, like 10/50/40")
    return parts[0], parts[1], parts[2]


RATES = [
    Rate(
        "response_rate",
        _l("Response rate"),
        _l("Responded on time / valid return visits."),
        (("responded", 1),),
        "visited",
    ),
    Rate(
        "resolution_rate",
        _l("Resolution rate"),
        _l("Solved / valid return visits."),
        (("solved", 1),),
        "visited",
    ),
    Rate(
        "satisfaction_rate",
        _l("Satisfaction rate"),
        _l("(Satisfied + w × basically satisfied) / valid return visits."),
        (("satisfied", 1), ("basically", basically_weight)),
        "visited",
    ),
    Rate(
        "on_time_rate",
        _l("On-time rate"),
        _l("Resolved on time / closed with a deadline."),
        (("on_time", 1),),
        "timed",
    ),
    Rate(
        "no_feedback_share",
        _l("No-feedback share"),
        _l("No feedback / cases closed."),
        (("no_feedback", 1),),
        "closed",
    ),
    Rate(
        "reopen_rate",
        _l("Reopen rate"),
        _l("Reopened / cases closed."),
        (("reopened", 1),),
        "closed",
    ),
]
RATE = {r.key: r for r in RATES}
THREE_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")


@dataclass(frozen=True)
class Other:
    """A figure not counted from the cases' facts."""

    key: str
    label: str
    explained: str


OTHERS = [
    Other(
        "overdue",
        _l("Overdue now"),
        _l(
            "Open cases past their deadline while their clock runs (not while they wait on a "
            "consultation or on the resident). Today's count, whatever the period."
        ),
    ),
    Other(
        "consultations",
        _l("Consultations held"),
        _l("Three-party consultations concluded in the period."),
    ),
    Other(
        "resolutions",
        _l("Resolutions in effect"),
        _l("Resolutions that all three parties had signed, in effect from the period."),
    ),
    Other(
        "actions_done",
        _l("Action items done"),
        _l("Action items of resolutions done in the period."),
    ),
    Other(
        "actions_on_time",
        _l("Action items done on time"),
        _l("Of those, the ones done by their due day."),
    ),
]
OTHER = {o.key: o for o in OTHERS}


@dataclass(frozen=True)
class Duration:
    """How long the cases put in the period by `basis` took, from filing to `column`."""

    key: str
    label: str
    explained: str
    basis: Basis
    column: InstrumentedAttribute
    unit_seconds: int  # shown in hours or in days


DURATIONS = [
    Duration(
        "triage_time",
        _l("Time to triage"),
        _l("From filing to the first triage, over the cases triaged in the period."),
        Basis.TRIAGED,
        F.triage_seconds,
        3600,
    ),
    Duration(
        "resolve_time",
        _l("Time to resolve"),
        _l("From filing to the resolution that stood, over the cases closed in the period."),
        Basis.CLOSED,
        F.resolve_seconds,
        86400,
    ),
]
DURATION = {d.key: d for d in DURATIONS}


def median(values: list[int]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count)."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def p90(values: list[int]) -> float | None:
    """The 90th percentile by nearest rank: the smallest value at least 90 % of them reach."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


@dataclass
class Figures:
    """One unit's figures over one period: its counts and times, and what follows from them.
    Figures of several units add up (`add`) to their parent's."""

    counts: dict[str, int] = field(default_factory=dict)
    times: dict[str, list[int]] = field(default_factory=dict)
    # What is not counted from the cases' facts: overdue now, the consultations' counts.
    other: dict[str, int] = field(default_factory=dict)

    def count(self, key: str) -> int:
        return self.counts.get(key, 0) if key in COUNT else self.other.get(key, 0)

    def add(self, other: "Figures") -> None:
        for mine, theirs in ((self.counts, other.counts), (self.other, other.other)):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value
        for key, values in other.times.items():
            self.times.setdefault(key, []).extend(values)

    def numerator(self, key: str) -> float:
        return sum(w * self.count(k) for k, w in RATE[key].weights())

    def denominator(self, key: str) -> int:
        return self.count(RATE[key].denominator)

    def rate(self, key: str) -> float | None:
        """A fraction, or None when the denominator is under MIN_DENOMINATOR."""
        below = self.denominator(key)
        return None if below < MIN_DENOMINATOR else self.numerator(key) / below

    def composite(self) -> float | None:
        """The weighted mean of the three rates, out of 100; None unless all three are."""
        rates = [r for r in (self.rate(k) for k in THREE_RATES) if r is not None]
        if len(rates) < len(THREE_RATES):
            return None
        weights = composite_weights()
        return 100 * sum(w * r for w, r in zip(weights, rates, strict=True)) / sum(weights)

    def median(self, key: str) -> float | None:
        found = median(self.times.get(key, []))
        return None if found is None else found / DURATION[key].unit_seconds

    def p90(self, key: str) -> float | None:
        found = p90(self.times.get(key, []))
        return None if found is None else found / DURATION[key].unit_seconds


def total(figures: Iterable[Figures]) -> Figures:
    whole = Figures()
    for one in figures:
        whole.add(one)
    return whole
