"""Consultation forms: convening, attendance, opinions, resolutions with action items, signing."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal import labels
from portal.consultation.models import Mode
from portal.forms import text_area


def party_choices():
    return labels.choices("party")


class ConveneForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the consultation a title.")),
            Length(max=200, message=_l("Keep it under 200 characters.")),
        ],
    )
    # Any case id is taken: the service explains why a case cannot go on the agenda.
    cases = SelectMultipleField(
        _l("Cases on the agenda"),
        coerce=int,
        validate_choice=False,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[DataRequired(message=_l("Put at least one case on the agenda."))],
    )
    mode = RadioField(
        _l("How"),
        default=Mode.IN_PERSON.value,
        choices=[SelectChoice(m.value, n) for m, n in labels.MODE.items()],
    )
    starts_at = DateTimeLocalField(
        _l("Date and time (in person)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    place = StringField(
        _l("Place (in person)"),
        validators=[Optional(), Length(max=200, message=_l("Keep it under 200 characters."))],
    )
    # The recurring problem it is convened for, if any (portal.recurring).
    topic = HiddenField()
    window_days = IntegerField(
        _l("Opinion window in days (on-line)"),
        default=7,
        validators=[Optional(), NumberRange(min=1, max=30, message=_l("From 1 to 30 days."))],
    )


class AttendanceForm(FlaskForm):
    party = SelectField(_l("Party"), validators=[DataRequired()])
    present = BooleanField(_l("Took part"))
    attendees = StringField(
        _l("Who came"),
        validators=[Optional(), Length(max=300, message=_l("Keep it under 300 characters."))],
    )


class OpinionForm(FlaskForm):
    party = SelectField(_l("For"), validators=[DataRequired()])
    body = text_area(_l("Opinion"), required=_l("Write the opinion."))
    next = StringField()


class ActionItemForm(FlaskForm):
    class Meta:
        csrf = False  # part of ResolutionForm, which carries the token

    assignee = SelectField(_l("Who"), coerce=int, validators=[Optional()])
    description = StringField(
        _l("What"),
        validators=[Optional(), Length(max=500, message=_l("Keep it under 500 characters."))],
    )
    due_on = DateField(_l("By when"), validators=[Optional()])


class ResolutionForm(FlaskForm):
    text = text_area(
        _l("What will be done"), required=_l("Say what will be done."), max_length=4000
    )
    actions = FieldList(FormField(ActionItemForm), min_entries=3, max_entries=6)


class SignForm(FlaskForm):
    party = SelectField(_l("Signing for"), validators=[DataRequired()])
    decision = RadioField(
        _l("Decision"),
        default="sign",
        choices=[SelectChoice("sign", _l("Sign")), SelectChoice("dissent", _l("Dissent"))],
    )
    reason = TextAreaField(
        _l("Reason for dissent"),
        validators=[Optional(), Length(max=2000, message=_l("Keep it under 2000 characters."))],
        render_kw={"rows": 2},
    )


class ReasonForm(FlaskForm):
    reason = text_area(_l("Reason"), required=_l("Give the reason."), rows=2)


class DoneForm(FlaskForm):
    note = text_area(_l("What was done"), required=_l("Say what was done."), rows=2)
    next = StringField()


class NoticeForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the notice a title.")),
            Length(max=200, message=_l("Keep it under 200 characters.")),
        ],
    )
    body = text_area(_l("Text"), required=_l("Write the notice."), max_length=4000, rows=4)
