"""How feedback is named on the page, in the people's words."""

from flask_babel import lazy_gettext as _l

from portal.feedback.models import Satisfaction, Source

SATISFACTION_NAMES = {
    Satisfaction.SATISFIED: _l("Satisfied"),
    Satisfaction.BASICALLY: _l("Basically satisfied"),
    Satisfaction.DISSATISFIED: _l("Dissatisfied"),
}
VISIT_NAMES = {
    Source.RESIDENT: _l("From the resident"),
    Source.PHONE_VISIT: _l("Return visit by phone"),
    Source.DOOR_VISIT: _l("Return visit at the door"),
    Source.NO_FEEDBACK: _l("No feedback"),
}
