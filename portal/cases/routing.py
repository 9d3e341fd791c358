"""A community's routing rules: for each kind of case, which party leads, whether a three-party
consultation is needed and how many days it has (DESIGN.md section 3). The defaults live in
`categories`; a community's overseers override them here."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import permissions
from portal.cases.categories import DEFAULT_RULES, Category, Rule
from portal.cases.models import CategoryRule
from portal.clock import now
from portal.errors import Invalid, NotAllowed
from portal.extensions import db
from portal.organisation.models import PartyKind

DAYS = range(1, 91)


def overrides_of(community_id: int) -> dict[Category, CategoryRule]:
    """The community's overriding rows, by category."""
    rows = db.session.scalars(select(CategoryRule).where(CategoryRule.community_id == community_id))
    return {row.category: row for row in rows}


def community_rules(community_id: int) -> dict[Category, Rule]:
    """The community's overrides as rules, for `categories.rule_for`. A category resolved in
    hours by default (water, power, gas, heating) keeps its hours while the override keeps its
    default day; more days than that are working days."""
    rules = {}
    for category, row in overrides_of(community_id).items():
        default = DEFAULT_RULES[category]
        hours = default.resolution_hours if row.resolution_days == default.resolution_days else None
        rules[category] = Rule(row.lead_party, row.needs_consultation, row.resolution_days, hours)
    return rules


@dataclass(frozen=True)
class Choice:
    """What the editor sent for one category, as typed."""

    lead: str
    days: str
    consult: bool


class RulesRejected(Invalid):
    """Some rows were not right; `errors` says which, by category."""

    def __init__(self, errors: dict[Category, object]):
        super().__init__(_l("Choose a lead party and 1 to 90 days."))
        self.errors = errors


def save_rules(community, by, *, choices: dict[Category, Choice]) -> None:
    """Replace the community's rules with `choices`, all or nothing."""
    if not permissions.can(by, "edit_routing_rules", community):
        raise NotAllowed(_l("Only the community's overseers can change its routing rules."))
    leads = {kind.value for kind in PartyKind}
    errors = {
        category: _l("Choose a lead party and 1 to 90 days.")
        for category, choice in choices.items()
        if choice.lead not in leads or not choice.days.isdigit() or int(choice.days) not in DAYS
    }
    if errors:
        raise RulesRejected(errors)
    existing = overrides_of(community.id)
    for category, choice in choices.items():
        row = existing.get(category)
        if row is None:
            row = CategoryRule(community_id=community.id, category=category)
            db.session.add(row)
        row.lead_party, row.needs_consultation = PartyKind(choice.lead), choice.consult
        row.resolution_days, row.updated_by_id, row.updated_at = int(choice.days), by.id, now()
    db.session.commit()


def rows_for_editor(community, choices: dict[Category, Choice] | None = None, errors=None):
    """One row per category for the editor: its default, and what is in force or was typed."""
    existing = overrides_of(community.id)
    rows = []
    for category in Category:
        default, current = DEFAULT_RULES[category], existing.get(category)
        typed = (choices or {}).get(category)
        rows.append(
            {
                "category": category,
                "default": default,
                "lead": (typed.lead if typed else None)
                or (current.lead_party.value if current else default.lead_party.value),
                "consult": typed.consult
                if typed
                else (current.needs_consultation if current else default.needs_consultation),
                "days": (typed.days if typed else None)
                or (current.resolution_days if current else default.resolution_days),
                "error": (errors or {}).get(category),
            }
        )
    return rows
