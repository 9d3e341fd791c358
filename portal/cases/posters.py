"""Printable A4 QR posters for every compound and building, and the community's routing rules."""

import segno
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from portal import permissions
from portal.accounts.roles import Role
from portal.cases.categories import DEFAULT_RULES, NAMES, PARTY_NAMES, Category
from portal.cases.models import CategoryRule
from portal.cases.views import bp
from portal.clock import now
from portal.extensions import db
from portal.organisation import queries as org
from portal.organisation.models import Community, PartyKind
from portal.permissions import guard, signed_in


def _qr_svg(url: str) -> Markup:
    # Medium error correction survives a smudged or partly torn lobby poster.
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#000", light="#fff")
    return Markup(svg)


@bp.route("/c/<code>/poster")
@guard(signed_in)
def poster(code):
    compound = org.compound_by_code(code)
    if compound is None or not (
        permissions.can(current_user, "see_compound", compound)
        or permissions.is_admin(current_user)
    ):
        abort(404)
    building = None
    if request.args.get("building"):
        building = next((b for b in compound.buildings if b.code == request.args["building"]), None)
        if building is None:
            abort(404)
    # The address printed in the lobby must outlive any proxy set-up: BASE_URL, not the request.
    address = current_app.config["BASE_URL"] + url_for(
        "cases.report", code=compound.code, **({"building": building.code} if building else {})
    )
    with force_locale("zh_CN"):
        poster_text = {
            "slogan": _("A party member nearby, service at zero distance"),
            "how": _(
                "Scan with your phone to tell the party branch about a problem in the compound. "
                "The branch, the property management and the resident representatives will "
                "follow it up, and you can see every step."
            ),
            "urgent": _("In an emergency call 110, 119 or 120 first."),
        }
    return render_template(
        "cases/poster.html",
        compound=compound,
        building=building,
        address=address,
        qr=_qr_svg(address),
        poster_text=poster_text,
        back_label=_("Back to my desk"),
    )


def _may_edit_rules(person, community) -> bool:
    return permissions.is_admin(person) or any(
        m.role is Role.COMMUNITY_OVERSEER and m.community_id == community.id
        for m in person.memberships
    )


@bp.route("/community/<code>/categories", methods=["GET", "POST"])
@guard(signed_in)
def category_rules(code):
    community = db.session.scalar(select(Community).where(Community.code == code))
    if community is None or not _may_edit_rules(current_user, community):
        abort(404)
    overrides = {
        r.category: r
        for r in db.session.scalars(
            select(CategoryRule).where(CategoryRule.community_id == community.id)
        )
    }
    errors = {}
    if request.method == "POST":  # CSRF is checked for every post, this one included
        for category in Category:
            lead = request.form.get(f"{category.value}-lead")
            days = request.form.get(f"{category.value}-days", "")
            consult = request.form.get(f"{category.value}-consult") == "y"
            if (
                lead not in {k.value for k in PartyKind}
                or not days.isdigit()
                or not 1 <= int(days) <= 90
            ):
                errors[category] = _("Choose a lead party and 1 to 90 days.")
                continue
            rule = overrides.get(category)
            if rule is None:
                rule = CategoryRule(community_id=community.id, category=category)
                db.session.add(rule)
                overrides[category] = rule
            rule.lead_party, rule.needs_consultation = PartyKind(lead), consult
            rule.resolution_days, rule.updated_by_id, rule.updated_at = (
                int(days),
                current_user.id,
                now(),
            )
        if not errors:
            db.session.commit()
            flash(_("Routing rules saved."), "success")
            return redirect(url_for("cases.category_rules", code=code))
        db.session.rollback()
    rows = []
    for category in Category:
        default = DEFAULT_RULES[category]
        current = overrides.get(category)
        rows.append(
            {
                "category": category,
                "name": NAMES[category],
                "default": default,
                "lead": request.form.get(f"{category.value}-lead")
                or (current.lead_party.value if current else default.lead_party.value),
                "consult": (request.form.get(f"{category.value}-consult") == "y")
                if request.method == "POST"
                else (current.needs_consultation if current else default.needs_consultation),
                "days": request.form.get(f"{category.value}-days")
                or (current.resolution_days if current else default.resolution_days),
                "error": errors.get(category),
            }
        )
    return render_template(
        "cases/category_rules.html", community=community, rows=rows, party_names=PARTY_NAMES
    ), (422 if errors else 200)
