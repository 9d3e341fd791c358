"""A person's own data: what is held (/me/data) and their copy of it as JSON or CSV, deleting
their account (/me/delete); and the overseers' "kept for the record" mark on a case page."""

import csv
import io
import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import permissions
from portal.accounts import throttle
from portal.cases import queries
from portal.clock import local_date
from portal.errors import Invalid, ServiceError
from portal.extensions import db
from portal.permissions import guard, signed_in
from portal.personal_data import service
from portal.personal_data.forms import DeleteAccountForm, KeepForm, StopKeepingForm
from portal.web import signed_out_here

bp = Blueprint("personal_data", __name__)


@bp.app_template_test("removed")
def is_removed(value) -> bool:
    """`{% if case.description is removed %}`: a name or text taken out at the resident's
    request (or after the retention period), which the page names in its reader's language."""
    return value == service.REMOVED


@bp.app_template_global()
def may_keep_for_record(case) -> bool:
    return permissions.can(current_user, "keep_for_record", case.compound)


# -- what is held, and a copy of it ------------------------------------------------------------


@bp.route("/me/data")
@guard(signed_in)
def data():
    return render_template("personal_data/data.html")


def _download(body: str, mimetype: str, extension: str):
    response = current_app.response_class(body, mimetype=mimetype)
    name = f"my-portal-data-{local_date():%Y%m%d}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/me/data.json")
@guard(signed_in)
def download_json():
    copy = service.copy_for(current_user)
    return _download(json.dumps(copy, ensure_ascii=False, indent=2), "application/json", "json")


def _cells(value, path=""):
    """The copy as (where, value) rows: `cases.1.events.2.text`, in the copy's order."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _cells(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value, 1):
            yield from _cells(item, f"{path}.{index}")
    else:
        yield path, "" if value is None else str(value)


def _inert(text: str) -> str:
    # A cell a spreadsheet would take for a formula is kept as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/me/data.csv")
@guard(signed_in)
def download_csv():
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheets read the file as UTF-8
    writer = csv.writer(out)
    writer.writerow(["what", "value"])
    writer.writerows(
        (where, _inert(value)) for where, value in _cells(service.copy_for(current_user))
    )
    return _download(out.getvalue(), "text/csv", "csv")


# -- deleting the account ----------------------------------------------------------------------


@bp.route("/me/delete", methods=["GET", "POST"])
@guard(signed_in)
def delete():
    allowed = permissions.can(current_user, "delete_own_account")
    form = DeleteAccountForm()
    status = 200
    if request.method == "POST":
        status = 403 if not allowed else 422
        if allowed and form.validate_on_submit():
            # A wrong password counts against the phone, as at sign-in: no guessing here.
            by_phone = throttle.rule("sign_in_phone")
            wait = throttle.held_back(by_phone, current_user.phone)
            if wait is None:
                try:
                    service.delete_account(current_user, password=form.password.data)
                except Invalid as error:
                    wait = throttle.hit(by_phone, current_user.phone)
                    form.password.errors.append(str(error.message))
                except ServiceError as error:
                    status = 409
                    form.password.errors.append(str(error.message))
                else:
                    return signed_out_here(
                        _l(
                            "Your account is deleted, and your details are removed from your cases."
                        ),
                        "success",
                    )
            if wait is not None:
                form.password.errors[:] = [throttle.wait_message(wait)]
                status = 429
    kept = service.kept_cases_of(current_user) if allowed else []
    return render_template(
        "personal_data/delete.html", form=form, allowed=allowed, kept=kept
    ), status


# -- kept for the record -----------------------------------------------------------------------


def _case_kept_by_me(number):
    """The case, if the signed-in person may keep it for the record; 404 otherwise, so that
    the address confirms nothing to anyone else."""
    case = queries.case_by_number(number)
    if case is None or not may_keep_for_record(case):
        abort(404)
    return case


def _mark(number, form, operation, done):
    case = _case_kept_by_me(number)
    if not form.validate_on_submit():
        flash(form.reason.errors[0] if form.reason.errors else _("Please check the form."), "error")
    else:
        try:
            operation(case, current_user, reason=form.reason.data)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            flash(done(case), "success")
    return redirect(url_for("cases.detail", number=case.number, _anchor="retention"))


@bp.route("/cases/<number>/retention", methods=["POST"])
@guard(signed_in)
def keep(number):
    return _mark(
        number,
        KeepForm(),
        service.keep_for_record,
        lambda case: _("Case %(number)s is kept for the record.", number=case.number),
    )


@bp.route("/cases/<number>/retention/end", methods=["POST"])
@guard(signed_in)
def stop_keeping(number):
    return _mark(
        number,
        StopKeepingForm(),
        service.stop_keeping,
        lambda case: _("Case %(number)s is no longer kept for the record.", number=case.number),
    )
