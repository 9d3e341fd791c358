"""Administrators' forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.accounts.forms import email_field, notify_fields, phone_field
from portal.forms import LANGUAGE_CHOICES


def _their_name() -> StringField:
    """A person's name as an administrator types it: enrolling them, or on their page."""
    return StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Enter the person's name.")),
            Length(max=50, message=_l("Keep it under 50 characters.")),
        ],
    )


class EnrolForm(FlaskForm):
    name = _their_name()
    phone = phone_field()
    role = SelectField(_l("Role"), validators=[DataRequired(message=_l("Choose a role."))])
    password = PasswordField(
        _l("First password (new people only)"),
        validators=[Optional(), Length(min=8, max=128, message=_l("Use at least 8 characters."))],
        render_kw={"autocomplete": "new-password"},
    )


class PersonForm(FlaskForm):
    """A person's details as an administrator sets them."""

    name = _their_name()
    email = email_field()
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    notify_by_text, notify_by_email = notify_fields()
    active = BooleanField(_l("Active: may sign in"))


class GrantForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[DataRequired(message=_l("Choose a role."))])
    scope = StringField(
        _l("Code of the compound, community or sub-district"),
        validators=[Optional(), Length(max=32)],
    )


class FindPersonForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    phone = StringField(_l("Mobile phone"), validators=[Optional()])


class ApiKeyForm(FlaskForm):
    name = StringField(
        _l("Client system"),
        validators=[
            DataRequired(message=_l("Name the system that will use the key.")),
            Length(max=100, message=_l("Keep it under 100 characters.")),
        ],
    )
    level = SelectField(
        _l("Covers"),
        choices=[
            SelectChoice("compound", _l("One compound")),
            SelectChoice("community", _l("A community's compounds")),
            SelectChoice("sub_district", _l("A sub-district's compounds")),
        ],
    )
    scope = StringField(
        _l("Code of the compound, community or sub-district"),
        validators=[DataRequired(message=_l("Enter the code.")), Length(max=32)],
    )
    may_read = BooleanField(_l("May read cases"), default=True)
    may_file = BooleanField(_l("May file cases"))
