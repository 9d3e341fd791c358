"""The inbox: what concerns me, newest first; the unread count that the header polls."""

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.extensions import db
from portal.notifications import service
from portal.notifications.models import Notification
from portal.permissions import guard, signed_in
from portal.web import safe_next

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def inbox_badge():
    if not current_user or not current_user.is_authenticated:
        return {}
    return {
        "unread": service.unread_count(current_user),
        "inbox_poll": current_app.config["INBOX_POLL_SECONDS"],
    }


@bp.route("/inbox")
@guard(signed_in)
def inbox():
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.person_id == current_user.id)
        .order_by(Notification.id.desc())
        .limit(100)
    ).all()
    return render_template("notifications/inbox.html", rows=rows, render=service.render)


@bp.route("/inbox/count")
@guard(signed_in)
def count():
    """The header's badge alone: htmx polls it so the number rises without a page load."""
    return render_template("notifications/_count.html")


@bp.route("/inbox/<int:notification_id>", methods=["POST"])
@guard(signed_in)
def open_one(notification_id):
    row = db.session.get(Notification, notification_id)
    if row is None or row.person_id != current_user.id:
        abort(404)
    service.mark_read(current_user, notification_id)
    return redirect(safe_next(row.link, url_for("notifications.inbox")))


@bp.route("/inbox/read", methods=["POST"])
@guard(signed_in)
def read_all():
    service.mark_read(current_user)
    return redirect(safe_next(request.form.get("next"), url_for("notifications.inbox")))
