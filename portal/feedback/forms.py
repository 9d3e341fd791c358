"""The escalated list's filters: a GET form that changes nothing."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import Optional


class EscalatedFilter(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    compound = SelectField(_l("Compound"), default="", validators=[Optional()])
    category = SelectField(_l("Category"), default="", validators=[Optional()])
    level = SelectField(_l("Escalated to"), default="", validators=[Optional()])
    acknowledged = SelectField(_l("Acknowledged"), default="", validators=[Optional()])
    overdue = BooleanField(_l("Overdue only"))
    after = HiddenField()
