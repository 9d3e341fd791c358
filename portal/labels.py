"""What each value is called on a page, in the reader's language: the one place for the names
of categories, parties, states, priorities, roles…, and for how moments, dates and lists of
names read, used by pages, forms, notifications and exports alike, and by the `label`,
`localtime`, `localdate` and `listing` template filters."""

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

from babel import Locale
from babel import dates as babel_dates
from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from portal.accounts.roles import Role
from portal.cases.categories import Category
from portal.cases.models import Need, Priority, Responsibility
from portal.cases.workflow import State
from portal.clock import LOCAL_ZONE
from portal.consultation.models import ConsultationState, Mode
from portal.feedback.models import Satisfaction, Source
from portal.organisation.models import PartyKind
from portal.recurring.models import Reach, TopicState

CATEGORY = {
    Category.REPAIR: _l("Repairs (leaks, lights, doors, shared facilities)"),
    Category.UTILITIES: _l("Water, power, gas or heating cut off"),
    Category.LIFT: _l("Lift"),
    Category.SANITATION: _l("Rubbish and cleaning"),
    Category.GREENERY: _l("Trees and greenery"),
    Category.SECURITY: _l("Safety and order (gates, fire lanes)"),
    Category.PARKING: _l("Parking"),
    Category.NEIGHBOUR_DISPUTE: _l("Dispute between neighbours"),
    Category.NOISE: _l("Noise"),
    Category.MAINTENANCE_FUND: _l("Spending the maintenance fund"),
    Category.RENOVATION: _l("Renovation works"),
    Category.FEES: _l("Property fees"),
    Category.COMPOUND_RULES: _l("Compound rules"),
    Category.OTHER: _l("Something else"),
}
PARTY = {
    PartyKind.BRANCH: _l("Party branch"),
    PartyKind.PROPERTY: _l("Property management"),
    PartyKind.RESIDENTS: _l("Resident representatives"),
}
STATE = {
    State.FILED: _l("New"),
    State.ACCEPTED: _l("Accepted"),
    State.IN_PROGRESS: _l("In progress"),
    State.CONSULTING: _l("In consultation"),
    State.WAITING: _l("Waiting on the resident"),
    State.RESOLVED: _l("Resolved"),
    State.CLOSED: _l("Closed"),
    State.REJECTED: _l("Rejected"),
    State.MERGED: _l("Merged"),
    State.WITHDRAWN: _l("Withdrawn"),
}
PRIORITY = {
    Priority.URGENT: _l("Urgent"),
    Priority.HIGH: _l("High"),
    Priority.NORMAL: _l("Normal"),
}
RESPONSIBILITY = {
    Responsibility.PROPERTY_CONTRACT: _l("Within the property contract"),
    Responsibility.COMMON_AREA: _l("Common area of the compound"),
    Responsibility.OWNER: _l("The owner's own property"),
    Responsibility.GOVERNMENT: _l("A government department (referred out)"),
    Responsibility.CONSULTATION: _l("A matter for consultation"),
}
NEED = {
    Need.ACCESS: _l("Access to the flat"),
    Need.PHOTO: _l("A photo"),
    Need.DECISION: _l("A decision"),
    Need.OTHER: _l("Something else"),
}
SATISFACTION = {
    Satisfaction.SATISFIED: _l("Satisfied"),
    Satisfaction.BASICALLY: _l("Basically satisfied"),
    Satisfaction.DISSATISFIED: _l("Dissatisfied"),
}
VISIT = {
    Source.RESIDENT: _l("From the resident"),
    Source.PHONE_VISIT: _l("Return visit by phone"),
    Source.DOOR_VISIT: _l("Return visit at the door"),
    Source.NO_FEEDBACK: _l("No feedback"),
}
MODE = {
    Mode.IN_PERSON: _l("In person (a meeting)"),
    Mode.ONLINE: _l("On-line (opinions on the case pages)"),
}
CONSULTATION_STATE = {
    ConsultationState.OPEN: _l("Under way"),
    ConsultationState.CONCLUDED: _l("Concluded"),
    ConsultationState.CANCELLED: _l("Cancelled"),
}
# Recurring problems (portal.recurring).
REACH = {
    Reach.BUILDING: _l("One building, month after month"),
    Reach.COMPOUND: _l("One compound, month after month"),
    Reach.COMMUNITY: _l("Several compounds in one month"),
}
TOPIC_STATE = {
    TopicState.RAISED: _l("Raised"),
    TopicState.ON_AGENDA: _l("On a consultation's agenda"),
    TopicState.SENT: _l("Sent to the community"),
    TopicState.CLOSED: _l("Outcome recorded"),
}
ROLE = {
    Role.SECRETARY: _l("Party-branch secretary"),
    Role.BRANCH_MEMBER: _l("Party-branch member"),
    Role.PROPERTY_MANAGER: _l("Property manager"),
    Role.PROPERTY_STAFF: _l("Property staff"),
    Role.REPRESENTATIVE: _l("Resident representative"),
    Role.GRID_WORKER: _l("Grid worker"),
    Role.COMMUNITY_OVERSEER: _l("Community overseer"),
    Role.SUBDISTRICT_OVERSEER: _l("Sub-district overseer"),
    Role.ADMIN: _l("Administrator"),
}

# The role an event records its step was taken in (cases.access.ROLE_FOR_CAPACITY), as the
# timeline names it beside the person; the resident, a visitor and the portal need none.
ACTING_ROLE = {
    "secretary": _l("Secretary"),
    "assignee": _l("Assignee"),
    "property_manager": _l("Property manager"),
    "party_head": _l("Head of the lead party"),
    "overseer": _l("Overseer"),
    "branch_member": _l("Party-branch member"),
    "grid_worker": _l("Grid worker"),
    "party_member": _l("Member of the three parties"),
    "on_behalf": _l("Filed for the resident"),
    "representative": _l("Resident representative"),
    "co_reporter": _l("Reported the same problem"),
    "supporter": _l("Has the same problem"),
}


def topic_title(topic) -> str:
    """A recurring problem's name: its kind of case and where it keeps coming back."""
    if topic.reach is Reach.COMMUNITY:
        place = topic.community.name
    else:
        place = topic.compound.name + (f" {topic.building.name}" if topic.building else "")
    return f"{label(topic.category)} · {place}"


def acting_role(role: str | None) -> str:
    """The name of the role a step was taken in, or "" where none is shown."""
    name = ACTING_ROLE.get(role or "")
    return str(name) if name is not None else ""


# By name, for values kept as plain strings (an event's data, a notification's parameters).
KINDS: dict[str, tuple[type[enum.Enum], dict]] = {
    "category": (Category, CATEGORY),
    "party": (PartyKind, PARTY),
    "state": (State, STATE),
    "priority": (Priority, PRIORITY),
    "responsibility": (Responsibility, RESPONSIBILITY),
    "satisfaction": (Satisfaction, SATISFACTION),
    "need": (Need, NEED),
    "visit": (Source, VISIT),
    "mode": (Mode, MODE),
    "consultation_state": (ConsultationState, CONSULTATION_STATE),
    "role": (Role, ROLE),
    "reach": (Reach, REACH),
    "topic_state": (TopicState, TOPIC_STATE),
}
_BY_TYPE = dict(KINDS.values())


def label(value, kind: str | None = None) -> str:
    """The name of `value` in the current language: an enum member, or with `kind` a plain
    string such as an event's data keeps (`"lift"|label("category")`)."""
    if kind is not None:
        enum_class, names = KINDS[kind]
        return str(names[enum_class(value)])
    return str(_BY_TYPE[type(value)][value])


def choices(kind: str) -> list[SelectChoice]:
    """A kind's values with their names, in its declared order, for a form's select."""
    _enum_class, names = KINDS[kind]
    return [SelectChoice(member.value, str(name)) for member, name in names.items()]


def _reader() -> Locale:
    # Outside any app (a unit test, a script) there is no reader: the portal's own language.
    return get_locale() or Locale.parse("zh_CN")


def _moment_pattern(locale: Locale) -> str:
    """The locale's medium date with its short time, joined as the locale joins a date and a
    time: one CLDR pattern, made once per locale."""
    pattern = _MOMENT_PATTERNS.get(str(locale))
    if pattern is None:
        pattern = str(locale.datetime_formats["medium"]).format(
            locale.time_formats["short"].pattern, locale.date_formats["medium"].pattern
        )
        _MOMENT_PATTERNS[str(locale)] = pattern
    return pattern


_MOMENT_PATTERNS: dict[str, str] = {}


def moment(value: datetime | None, locale: Locale | None = None) -> str:
    """A moment in Asia/Shanghai as the reader's language writes it: the medium date with the
    short time ("Dec 3, 2026, 7:30 PM", "2026年12月3日 19:30"). Babel's own medium format
    would add seconds, which mean nothing to someone waiting for a repair."""
    if not value:
        return ""
    locale = locale or _reader()
    return babel_dates.format_datetime(
        value, _moment_pattern(locale), tzinfo=LOCAL_ZONE, locale=locale
    )


def day(value: date | None, locale: Locale | None = None) -> str:
    """A calendar date (an action item's deadline) in the medium format: "Dec 3, 2026",
    "2026年12月3日"."""
    if not value:
        return ""
    return babel_dates.format_date(value, "medium", locale=locale or _reader())


def weekday(value: date) -> str:
    """The day of the week: "Saturday", "星期六"."""
    return babel_dates.format_date(value, "EEEE", locale=_reader())


def listing(items: Iterable, style: Literal["standard", "or"] = "standard") -> str:
    """Names joined as the reader's language joins them: "A, B, and C" or "A、B和C"; with
    style "or", "A, B, or C" or "A、B或C"."""
    return format_list([str(item) for item in items], style=style, locale=_reader())
