"""Administrators' forms for the working calendar."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, InputRequired, Length


class DayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter a date."))])
    kind = RadioField(
        _l("Kind of day"),
        choices=[
            SelectChoice("holiday", _l("Holiday: no work")),
            SelectChoice("workday", _l("Worked in exchange: a Saturday or Sunday")),
        ],
        validators=[DataRequired(message=_l("Choose the kind of day."))],
    )
    name = StringField(
        _l("Name"),
        validators=[Length(max=100, message=_l("Keep it under 100 characters."))],
    )


class ImportForm(FlaskForm):
    file = FileField(
        _l("File of the year's days (CSV: date,kind,name)"),
        validators=[FileRequired(message=_l("Choose the file to import."))],
    )
