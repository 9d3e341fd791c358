"""How a figure reads, on a page and in a report: rates as percentages with one decimal, the
composite as points out of 100, times in hours or days, changes in percentage points; and a
rate over too few cases as its counts."""

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from portal.reports.definitions import DURATION, MIN_DENOMINATOR

NONE = "—"


def percent(rate: float | None) -> str:
    return NONE if rate is None else format_percent(rate, "#,##0.0%")


def rate_or_counts(figures, key: str) -> str:
    """The rate, or "numerator / denominator" when the denominator is under the minimum."""
    below = figures.denominator(key)
    if below >= MIN_DENOMINATOR:
        return percent(figures.rate(key))
    if below == 0:
        return NONE
    return _(
        "%(part)s of %(whole)d",
        part=format_decimal(round(figures.numerator(key), 1), "#,##0.#"),
        whole=below,
    )


def score(value: float | None) -> str:
    return NONE if value is None else format_decimal(value, "#,##0.0")


def duration(key: str, value: float | None) -> str:
    if value is None:
        return NONE
    number = format_decimal(value, "#,##0.0")
    if DURATION[key].unit_seconds == 3600:
        return _("%(number)s h", number=number)
    return _("%(number)s d", number=number)


def change(now: float | None, before: float | None, points: bool = True) -> str:
    """The change since the period before, signed: in percentage points for a rate (given as
    fractions), in points for a score."""
    if now is None or before is None:
        return ""
    step = (now - before) * (100 if points else 1)
    signed = format_decimal(step, "+#,##0.0;-#,##0.0")
    return _("%(change)s pts", change=signed) if points else signed


def weight(value: float) -> str:
    return format_decimal(value, "#,##0.##")


def text(figures, kind: str, key: str) -> str:
    """A figure as it reads in a report: `kind` as in a figures table's columns."""
    if kind == "rate":
        return rate_or_counts(figures, key)
    if kind == "composite":
        return score(figures.composite())
    if kind == "median":
        return duration(key, figures.median(key))
    if kind == "p90":
        return duration(key, figures.p90(key))
    if key == "actions_on_time":
        return f"{figures.count(key)} / {figures.count('actions_done')}"
    return str(figures.count(key))


def difference(figures, before, kind: str, key: str) -> str:
    """The change of a figure since the period before: percentage points for a rate, points
    for the composite, the signed difference for a count of the period."""
    if kind == "rate":
        return change(figures.rate(key), before.rate(key))
    if kind == "composite":
        return change(figures.composite(), before.composite(), points=False)
    if kind == "count" or key in ("consultations", "resolutions"):
        return format_decimal(figures.count(key) - before.count(key), "+#,##0;-#,##0")
    return ""
