"""The forms of deleting an account and of keeping a case for the record."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from portal.forms import text_area


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your current password"),
        validators=[
            DataRequired(message=_l("Enter your current password.")),
            Length(max=128, message=_l("The current password is not right.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    understood = BooleanField(
        _l("I understand that my account and my details cannot be brought back"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class KeepForm(FlaskForm):
    reason = text_area(
        _l("Why the case is kept for the record"),
        required=_l("Say why the case is kept."),
        max_length=500,
        rows=2,
    )


class StopKeepingForm(FlaskForm):
    reason = text_area(_l("Why it is no longer kept (optional)"), max_length=500, rows=2)
