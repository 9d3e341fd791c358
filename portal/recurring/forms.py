"""Forms of a recurring problem's page: to an agenda, to the community, its outcome. Each
carries the version of the topic the person saw, so that a change in between is caught."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField

from portal.extensions import as_id
from portal.forms import text_area


class _Seen(FlaskForm):
    version = HiddenField()


class AgendaForm(_Seen):
    # Any id is taken (None when it is none): the view says when it is not this compound's.
    consultation = SelectField(_l("Consultation"), coerce=as_id, validate_choice=False, choices=[])


class SendForm(_Seen):
    note = text_area(
        _l("What the compound needs from the community"),
        required=_l("Say what the compound needs from the community."),
        rows=3,
    )


class OutcomeForm(_Seen):
    outcome = text_area(_l("Outcome"), required=_l("Say what was done about it."), rows=3)
