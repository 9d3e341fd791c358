"""`/admin/calendar`: administrators see which years the working calendar knows, import the
year the State Council publishes, and correct a day."""

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal.clock import local_date
from portal.csvimport import ImportRejected
from portal.forms import ConfirmForm
from portal.permissions import guard, is_admin
from portal.workdays import service
from portal.workdays.forms import DayForm, ImportForm

bp = Blueprint("workdays", __name__, url_prefix="/admin/calendar")
YEARS = range(2000, 2101)


def _index(form=None, problems=(), status=200):
    today = local_date()
    page = render_template(
        "workdays/index.html",
        years=service.years(today),
        missing=service.missing(today, current_app.config["CALENDAR_WARN_DAYS"]),
        form=form or ImportForm(),
        problems=problems,
    )
    return make_response(page, status)


@bp.route("/")
@guard(is_admin)
def index():
    return _index()


@bp.route("/import", methods=["POST"])
@guard(is_admin)
def import_file():
    form = ImportForm()
    if not form.validate_on_submit():
        return _index(form, status=422)
    try:
        counts = service.import_file(form.file.data.read(), by=current_user)
    except ImportRejected as error:
        return _index(form, error.problems, status=422)
    flash(
        _(
            "Imported %(holidays)d holidays and %(workdays)d working days.",
            holidays=counts["holidays"],
            workdays=counts["workdays"],
        ),
        "success",
    )
    return redirect(url_for("workdays.index"))


def _year(year, form, status=200):
    source, days = service.days_of(year)
    page = render_template(
        "workdays/year.html",
        year=year,
        source=source,
        days=days,
        form=form,
    )
    return make_response(page, status)


@bp.route("/<int:year>", methods=["GET", "POST"])
@guard(is_admin)
def year(year):
    if year not in YEARS:
        abort(404)
    form = DayForm()
    if form.validate_on_submit():
        day, working = form.day.data, form.kind.data == "workday"
        if day.year != year:
            form.day.errors.append(_("Choose a date in %(year)d.", year=year))
        elif working and day.weekday() < 5:
            form.kind.errors.append(_("A day worked in exchange is a Saturday or a Sunday."))
        else:
            service.set_day(day, working=working, name=form.name.data or "", by=current_user)
            flash(_("Saved %(day)s.", day=day.isoformat()), "success")
            return redirect(url_for("workdays.year", year=year))
    if form.is_submitted():
        return _year(year, form, status=422)
    return _year(year, DayForm(formdata=None))


@bp.route("/<int:year>/<day>/remove", methods=["POST"])
@guard(is_admin)
def remove(year, day):
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if when.year != year or year not in YEARS:
        abort(404)
    if ConfirmForm().validate_on_submit():
        service.remove_day(when, by=current_user)
        flash(_("%(day)s follows the week again.", day=when.isoformat()), "success")
    return redirect(url_for("workdays.year", year=year))
