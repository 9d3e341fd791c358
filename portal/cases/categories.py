"""Kinds of issue and their routing rules: which party leads, whether a consultation is needed.

Pure Python; their names in the reader's language are in `portal.labels`. The defaults follow
DESIGN.md section 3 (repairs → property; neighbour disputes → branch; maintenance fund,
renovation, fees, compound rules → consultation); a community's overseers override them
(`cases.routing`).
"""

import enum
from dataclasses import dataclass

from portal.organisation.models import PartyKind


class Category(enum.StrEnum):
    REPAIR = "repair"
    UTILITIES = "utilities"  # water, power, gas, heating
    LIFT = "lift"
    SANITATION = "sanitation"
    GREENERY = "greenery"
    SECURITY = "security"
    PARKING = "parking"
    NEIGHBOUR_DISPUTE = "neighbour_dispute"
    NOISE = "noise"
    MAINTENANCE_FUND = "maintenance_fund"
    RENOVATION = "renovation"
    FEES = "fees"
    COMPOUND_RULES = "compound_rules"
    OTHER = "other"


@dataclass(frozen=True)
class Rule:
    """Who leads, whether the three parties consult, and how long resolution may take: working
    days, or hours on the clock when `resolution_hours` is set (cases.deadlines)."""

    lead_party: PartyKind
    needs_consultation: bool
    resolution_days: int
    resolution_hours: int | None = None


# The tiers of DESIGN.md section 3 as defaults: water, power, gas and heating within 24 hours;
# ordinary cases 7 working days; those the three parties consult on 15.
DEFAULT_RULES = {
    Category.REPAIR: Rule(PartyKind.PROPERTY, False, 7),
    Category.UTILITIES: Rule(PartyKind.PROPERTY, False, 1, resolution_hours=24),
    Category.LIFT: Rule(PartyKind.PROPERTY, False, 7),
    Category.SANITATION: Rule(PartyKind.PROPERTY, False, 7),
    Category.GREENERY: Rule(PartyKind.PROPERTY, False, 7),
    Category.SECURITY: Rule(PartyKind.PROPERTY, False, 7),
    Category.PARKING: Rule(PartyKind.BRANCH, True, 15),
    Category.NEIGHBOUR_DISPUTE: Rule(PartyKind.BRANCH, False, 7),
    Category.NOISE: Rule(PartyKind.BRANCH, False, 7),
    Category.MAINTENANCE_FUND: Rule(PartyKind.BRANCH, True, 15),
    Category.RENOVATION: Rule(PartyKind.BRANCH, True, 15),
    Category.FEES: Rule(PartyKind.BRANCH, True, 15),
    Category.COMPOUND_RULES: Rule(PartyKind.BRANCH, True, 15),
    Category.OTHER: Rule(PartyKind.BRANCH, False, 7),
}


# Kinds of problem that concern the whole compound rather than one building: while filing, an
# open case of the same kind anywhere in the compound is offered as "is it this one?".
COMPOUND_WIDE = frozenset(
    {
        Category.UTILITIES,
        Category.GREENERY,
        Category.SECURITY,
        Category.PARKING,
        Category.MAINTENANCE_FUND,
        Category.FEES,
        Category.COMPOUND_RULES,
    }
)


def rule_for(category: Category, overrides: dict | None = None) -> Rule:
    """The rule for a category, with a community's override (a dict category → Rule) if any."""
    return (overrides or {}).get(category) or DEFAULT_RULES[category]
