"""Sign-in, sign-up and verification forms: the shape of what people type."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from portal.forms import LANGUAGE_CHOICES

PHONE_RULE = Regexp(
    r"^1[3-9][0-9]{9}$", message=_l("Enter an 11-digit mobile number, e.g. 13812345678.")
)


def phone_field(label=None):
    return StringField(
        label or _l("Mobile phone"),
        validators=[DataRequired(message=_l("Enter your mobile phone number.")), PHONE_RULE],
        render_kw={"inputmode": "numeric", "autocomplete": "tel", "maxlength": 11},
        filters=[lambda v: v.strip().replace(" ", "").replace("-", "") if v else v],
    )


def password_field(label=None, new=False):
    validators = [DataRequired(message=_l("Enter a password."))]
    if new:
        validators.append(Length(min=8, max=128, message=_l("Use at least 8 characters.")))
    return PasswordField(
        label or _l("Password"),
        validators=validators,
        render_kw={"autocomplete": "new-password" if new else "current-password"},
    )


class LoginForm(FlaskForm):
    phone = StringField(
        _l("Mobile phone"),
        validators=[DataRequired(message=_l("Enter your mobile phone number."))],
        render_kw={"inputmode": "numeric", "autocomplete": "username"},
    )
    password = password_field()
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


def _your_name() -> StringField:
    """A person's own name, as they sign up and as they change it on /me."""
    return StringField(
        _l("Your name"),
        validators=[
            DataRequired(message=_l("Enter your name.")),
            Length(max=50, message=_l("Keep it under 50 characters.")),
        ],
        render_kw={"autocomplete": "name"},
    )


def _password_again(label) -> PasswordField:
    """The new password typed a second time, which must match the form's `password`."""
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Enter the password again.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class SignUpForm(FlaskForm):
    name = _your_name()
    phone = phone_field()
    building = SelectField(
        _l("Building"), coerce=int, validators=[DataRequired(message=_l("Choose your building."))]
    )
    room = StringField(
        _l("Room"),
        validators=[
            DataRequired(message=_l("Enter your room, e.g. 2-501.")),
            Length(max=20, message=_l("Keep it under 20 characters.")),
        ],
    )
    password = password_field(new=True)
    confirm = _password_again(_l("Password again"))
    privacy = BooleanField(
        _l("I have read the privacy notice and agree"),
        validators=[
            DataRequired(message=_l("Please read and accept the privacy notice to continue."))
        ],
    )


class DecisionForm(FlaskForm):
    reason = StringField(
        _l("Reason (the resident sees it)"),
        validators=[Optional(), Length(max=200, message=_l("Keep it under 200 characters."))],
    )


def notify_fields():
    """The channels a person is told on, beside the inbox: on /me and the admin's page."""
    return (
        BooleanField(_l("Text messages to the phone")),
        BooleanField(_l("E-mail, to a confirmed address")),
    )


def email_field(label=None):
    # The shape only: the link sent to it proves the rest.
    return StringField(
        label or _l("E-mail address"),
        validators=[
            Optional(),
            Length(max=200, message=_l("Keep it under 200 characters.")),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an address like name@example.com.")
            ),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email"},
        filters=[lambda v: v.strip() if v else v],
    )


class ProfileForm(FlaskForm):
    name = _your_name()
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    notify_by_text, notify_by_email = notify_fields()


class EmailForm(FlaskForm):
    email = email_field()


def code_field():
    return StringField(
        _l("Code from the text message"),
        validators=[
            DataRequired(message=_l("Enter the six-digit code from the text message.")),
            Regexp(r"^\s*[0-9](\s*[0-9]){5}\s*$", message=_l("The code has six digits.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 12},
    )


class CodeForm(FlaskForm):
    code = code_field()


class ForgotForm(FlaskForm):
    phone = phone_field()


class ResetForm(FlaskForm):
    code = code_field()
    password = password_field(_l("New password"), new=True)
    confirm = _password_again(_l("New password again"))


class PasswordChangeForm(FlaskForm):
    current = password_field(_l("Current password"))
    password = password_field(_l("New password"), new=True)
    confirm = _password_again(_l("New password again"))
