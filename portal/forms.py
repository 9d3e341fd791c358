"""Forms of the page shell (the language switch), and the shape most free-text fields share."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

# The portal's languages, each named in itself, and marked as such for screen readers (and for
# tests/web/test_english_everywhere.py, which allows Chinese on an English page only there).
LANGUAGE_CHOICES = [
    SelectChoice("zh_CN", "中文", render_kw={"lang": "zh-CN"}),
    SelectChoice("en", "English", render_kw={"lang": "en"}),
]


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    next = HiddenField()


# One message per limit, so each stays a plain catalogue entry.
KEEP_UNDER = {
    20: _l("Keep it under 20 characters."),
    50: _l("Keep it under 50 characters."),
    200: _l("Keep it under 200 characters."),
    300: _l("Keep it under 300 characters."),
    500: _l("Keep it under 500 characters."),
    1000: _l("Keep it under 1000 characters."),
    2000: _l("Keep it under 2000 characters."),
    4000: _l("Keep it under 4000 characters."),
}


def text_area(label, *, required=None, max_length=2000, rows=3, **kwargs) -> TextAreaField:
    """A text box: required (with the message people see when it is empty) or optional, and
    no longer than max_length."""
    validators = [DataRequired(message=required) if required else Optional()]
    validators.append(Length(max=max_length, message=KEEP_UNDER[max_length]))
    return TextAreaField(label, validators=validators, render_kw={"rows": rows}, **kwargs)


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token."""
