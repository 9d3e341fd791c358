"""Imports every feature's tables, so Alembic and create_all see the whole schema."""

from portal.accounts.models import Home, Membership, Person, SignIn, Throttle  # noqa: F401
from portal.cases.models import Case, CaseCounter, CaseEvent, CategoryRule, Photo  # noqa: F401
from portal.consultation.models import (  # noqa: F401
    ActionItem,
    AgendaItem,
    Attendance,
    Consultation,
    Invitation,
    Notice,
    Opinion,
    Resolution,
    Signature,
)
from portal.feedback.models import Feedback  # noqa: F401
from portal.notifications.models import Notification, OutboxMessage  # noqa: F401
from portal.open311.models import ApiKey  # noqa: F401
from portal.organisation.models import (  # noqa: F401
    Building,
    Community,
    Compound,
    Party,
    PropertyCompany,
    SubDistrict,
)
from portal.recurring.models import Topic, topic_case  # noqa: F401
from portal.reports.models import CaseFact  # noqa: F401
from portal.workdays.models import CalendarDay, CalendarWarning, CalendarYear  # noqa: F401
