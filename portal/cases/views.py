"""The case blueprint's routes: filing, the case page and every action on it, photos, the
compound's queue, "my cases", QR posters and a community's routing rules. Each action is a
plain form post that htmx enhances: an htmx request aimed at a region gets the changed
fragment back."""

import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal import permissions
from portal.accounts import throttle
from portal.accounts.roles import WORKING_ROLES
from portal.cases import access, pending, photos, posters, queries, replies, routing, service
from portal.cases.categories import Category, rule_for
from portal.cases.events import EventKind
from portal.cases.forms import (
    AcceptForm,
    AcknowledgeForm,
    AssignForm,
    EscalateForm,
    FeedbackForm,
    HideForm,
    InfoForm,
    MergeForm,
    QueueFilter,
    RejectForm,
    ReplyTemplateForm,
    ReportForm,
    ResolveForm,
    ResumeForm,
    ShowForm,
    TakeOverForm,
    UpdateForm,
    WaitForm,
    WithdrawForm,
    category_choices,
    people_choices,
    triage_forms,
)
from portal.cases.models import Need, Photo, Priority, Responsibility
from portal.cases.workflow import Action, Capacity, actions_for, possible
from portal.clock import now
from portal.consultation.forms import DoneForm, OpinionForm
from portal.consultation.queries import agenda_of_case, open_actions_for
from portal.errors import ServiceError
from portal.extensions import db
from portal.feedback import service as feedback_service
from portal.feedback.models import Satisfaction, Source
from portal.feedback.queries import feedback_on
from portal.forms import ConfirmForm
from portal.labels import choices as label_choices
from portal.labels import label
from portal.organisation import queries as org
from portal.organisation.models import Community, PartyKind
from portal.permissions import guard, guarded_by_case, public, signed_in
from portal.privacy import masked_for
from portal.settings import public_base_url
from portal.web import (
    compound_or_404,
    htmx_target,
    is_htmx_fragment_request,
    page_or_fragment,
    safe_next,
)

bp = Blueprint("cases", __name__)


def me():
    return current_user if current_user.is_authenticated else None


# -- filing --------------------------------------------------------------------------------


def _report_form(compound):
    form = ReportForm()
    form.building.choices = [SelectChoice(0, _("Choose…"))] + [
        SelectChoice(b.id, b.name) for b in compound.buildings
    ]
    form.category.choices = category_choices(blank=_("Choose…"))
    return form


def _files_on_behalf(person, compound) -> bool:
    if person is None:
        return False
    # A representative files as a resident does: the case is theirs to follow (they see no
    # other of the compound's cases).
    staff = any(
        m.compound_id == compound.id and m.role in WORKING_ROLES for m in person.memberships
    ) or any(m.community_id == compound.community_id for m in person.memberships)
    return staff and not any(h.compound_id == compound.id for h in person.verified_homes)


def _uploader() -> str | None:
    """This browser's mark on the photos it sends ahead of a filing (kept in its session)."""
    return session.get("uploader")


def _uploader_mark() -> str:
    """This browser's mark, made when it sends its first photo ahead."""
    if "uploader" not in session:
        session["uploader"] = secrets.token_urlsafe(24)
    return session["uploader"]


def _photo_refused() -> tuple[str, int] | None:
    """Why this browser may not keep one more photo sent ahead (the message and its status),
    or None: its address sent too many this hour, or it holds too many already."""
    wait = throttle.held_back(throttle.rule("photo_upload_address"), throttle.client_address())
    if wait is not None:
        return throttle.wait_message(wait), 429
    if pending.too_many(_uploader()):
        return str(pending.TOO_MANY), 422
    return None


def _count_photo() -> None:
    throttle.hit(throttle.rule("photo_upload_address"), throttle.client_address())


def _keep_pending(files, kept) -> list[str]:
    """Keep the photos of a filing that came back with errors, so that they need not be sent
    again (counted like photos sent ahead); returns the messages of those not kept."""
    problems = []
    for upload in photos.chosen(files):
        if len(kept) >= photos.MAX_PHOTOS:
            problems.append(str(_("Attach at most %(n)d photos.", n=photos.MAX_PHOTOS)))
            break
        refused = _photo_refused()
        if refused is not None:
            problems.append(refused[0])
            break
        _count_photo()
        upload.stream.seek(0)  # the failed send may have read it already
        try:
            checked = photos.process(upload.stream, upload.filename)
            kept.append(pending.keep(checked, _uploader_mark()))
        except ServiceError as error:
            problems.append(str(error.message))
    return problems


@bp.route("/c/<code>/report", methods=["GET", "POST"])
@public
def report(code):
    compound = org.compound_by_code(code) or abort(404)
    form = _report_form(compound)
    person = me()
    on_behalf = _files_on_behalf(person, compound)
    if request.method == "GET":
        chosen = next(
            (b for b in compound.buildings if b.code == request.args.get("building")), None
        )
        if chosen is None and person is not None and not on_behalf:
            # Without a building's QR code, a resident most often reports about their own.
            home = next((h for h in person.verified_homes if h.compound_id == compound.id), None)
            chosen = home.building if home is not None else None
        form.building.data = chosen.id if chosen else 0
    if person is not None and not on_behalf:
        # A signed-in resident files as themself: the contact is fixed to their account.
        form.contact_name.data, form.contact_phone.data = person.name, person.phone
    status = 422 if request.method == "POST" else 200
    same: list = []
    # Photos sent ahead: by this browser's script as they were chosen, or kept from a send that
    # came back with errors. "Remove" on one of them re-draws the form without it.
    tokens = pending.tokens_in(request.form.getlist("pending_photo"))
    kept = pending.owned(tokens, _uploader())
    removed = request.form.get("remove_photo")
    if request.method == "POST" and removed:
        gone = pending.handles(p for p in kept if p.token == removed)
        kept = [p for p in kept if p.token != removed]
        pending.forget(gone)
        status = 200
    elif form.validate_on_submit():
        building = next((b for b in compound.buildings if b.id == form.building.data), None)
        category = Category(form.category.data)
        same = _not_yet_shown(compound, building, category, form) if building else []
        if same:
            status = 200  # "is it this one?": the step before filing, with all that was typed
        else:
            filed, status = _file(compound, building, form, person, kept, tokens)
            if filed is not None:
                return filed
    if request.method == "POST":
        problems = _keep_pending(request.files.getlist(form.photos.name), kept)
        form.photos.errors = list(dict.fromkeys([*form.photos.errors, *problems]))
    return render_template(
        "cases/report.html",
        form=form,
        compound=compound,
        on_behalf=on_behalf,
        signed_in_resident=person is not None and not on_behalf,
        kept=kept,
        max_photos=photos.MAX_PHOTOS,
        **_same_context(same),
    ), status


def _file(compound, building, form, person, kept, tokens):
    """The report filed: the redirect to its receipt, or None and the status of the form given
    back with what went wrong (its text and photos kept)."""
    guests = throttle.rule("guest_filing_address")
    wait = throttle.held_back(guests, throttle.client_address()) if person is None else None
    status = 422
    try:
        if wait is not None:
            status = 429
            raise service.Invalid(throttle.wait_message(wait))
        if building is None:
            raise service.Invalid(_("Choose the building."))
        if len(kept) < len(tokens):  # expired, or sent by another browser: never dropped
            raise service.Invalid(pending.GONE)
        processed = pending.processed(kept) + photos.check_all(
            request.files.getlist(form.photos.name), already=len(kept)
        )
        used = pending.handles(kept)
        case, key = service.file_case(
            compound,
            building,
            category=Category(form.category.data),
            description=form.description.data,
            location=form.location.data or "",
            urgent=form.urgent.data == "yes",
            contact_name=form.contact_name.data,
            contact_phone=form.contact_phone.data,
            processed_photos=processed,
            by=person,
        )
    except ServiceError as error:
        form.photos.errors = [*form.photos.errors, str(error.message)]
        return None, status
    if key:
        # The receipt shows the private link once. Only a visitor filing for themself holds it
        # in their session; a grid worker filing on someone's behalf hands it on and does not
        # become the reporter.
        session.setdefault("receipt_keys", {})[case.number] = key
        if person is None:
            session.setdefault("case_keys", {})[case.number] = key
        session.modified = True
    if person is None:
        throttle.hit(guests, throttle.client_address())
    pending.forget(used)  # copied to the case: the pending ones are done with
    return redirect(url_for("cases.receipt", number=case.number)), status


# -- "is it this one?" and "me too" ------------------------------------------------------------


def _not_yet_shown(compound, building, category, form) -> list:
    """The open cases of the same building and kind, unless the form showed them already: the
    report is then filed as its own case."""
    shown = f"{building.id}:{category.value}"
    if form.seen_same.data == shown:
        return []
    form.seen_same.data = shown
    return queries.same_problem(compound, building, category)


def _same_context(same) -> dict:
    return {"same": same, "supporters": queries.supporter_counts(c.id for c in same)}


@bp.route("/c/<code>/report/same")
@public
def same_problem(code):
    """The filing form's script asks, once building and kind are chosen: the open cases of the
    same building and kind, to follow one instead of filing ("me too"), as a fragment."""
    compound = org.compound_by_code(code) or abort(404)
    building = next(
        (b for b in compound.buildings if str(b.id) == request.args.get("building", "")), None
    )
    try:
        category = Category(request.args.get("category", ""))
    except ValueError:
        category = None
    if building is None or category is None:
        return render_template("cases/_same_problem.html", shown="", **_same_context([]))
    same = queries.same_problem(compound, building, category)
    # Shown now: sent with this building and kind, the report is filed as its own case.
    shown = f"{building.id}:{category.value}" if same else ""
    return render_template("cases/_same_problem.html", shown=shown, **_same_context(same))


@bp.route("/cases/<number>/support", methods=["POST"])
@public
def support(number):
    """ "Me too": a resident follows an open case of their compound instead of filing again. A
    visitor gets the case's page with a follow key of their own, kept in their session."""
    case = queries.case_by_number(number) or abort(404)
    person = me()
    guests = throttle.rule("guest_filing_address")
    back = url_for("cases.report", code=case.compound.code)
    if person is None:
        wait = throttle.held_back(guests, throttle.client_address())
        if wait is not None:
            flash(throttle.wait_message(wait), "error")
            return redirect(back)
    try:
        key = service.support(case, person)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(back)
    message = _("You follow case %(number)s: you will be told as it moves.", number=number)
    if key is None:
        flash(message, "success")
        return redirect(url_for("cases.detail", number=number))
    throttle.hit(guests, throttle.client_address())
    session.setdefault("case_keys", {})[number] = key
    session.modified = True
    flash(
        _(
            "You follow case %(number)s. Keep this page's address: it is your way back to it.",
            number=number,
        ),
        "success",
    )
    return redirect(url_for("cases.detail", number=number, key=key))


@bp.route("/c/<code>/report/photos", methods=["POST"])
@public
def send_photo(code):
    """A photo sent ahead of its filing by the form's script, as soon as it is chosen: checked
    like any other, kept for this browser, answered in JSON (the token the form then carries,
    or the message to show)."""
    org.compound_by_code(code) or abort(404)
    refused = _photo_refused()
    if refused is not None:
        return {"error": refused[0]}, refused[1]
    files = photos.chosen(request.files.getlist("photo"))
    if len(files) != 1:
        return {"error": _("Choose a photo to send.")}, 422
    _count_photo()
    try:
        checked = photos.process(files[0].stream, files[0].filename)
        row = pending.keep(checked, _uploader_mark())
    except ServiceError as error:
        return {"error": str(error.message)}, 422
    thumb = url_for("cases.pending_thumb", token=row.token)
    remove = url_for("cases.remove_pending", token=row.token)
    return {"token": row.token, "thumb": thumb, "remove": remove}, 201


@bp.route("/photos/pending/<token>")
@public
def pending_thumb(token):
    """The thumbnail of a photo sent ahead, for the browser that sent it only."""
    row = pending.one(token, _uploader()) or abort(404)
    return photos.response(row.thumb_path) or abort(404)


@bp.route("/photos/pending/<token>/remove", methods=["POST"])
@public
def remove_pending(token):
    """The form's script takes back a photo sent ahead that the resident removed (without the
    script, "remove" goes through the form itself)."""
    row = pending.one(token, _uploader()) or abort(404)
    pending.forget(pending.handles([row]))
    return "", 204


@bp.route("/cases/<number>/receipt")
@guarded_by_case
def receipt(number):
    case, _found = _load(number)
    key = session.get("receipt_keys", {}).get(number)
    # Printed and handed on: built from BASE_URL, not from whatever host a proxy passed on, and
    # withheld (the receipt says so) while BASE_URL would lead nowhere.
    base_url = public_base_url(current_app.config)
    follow = (
        base_url + url_for("cases.detail", number=number, key=key)
        if key and base_url is not None
        else None
    )
    return render_template(
        "cases/receipt.html", case=case, follow=follow, follow_withheld=bool(key) and not follow
    )


# -- loading and showing a case -----------------------------------------------------------


def _key_ok(case) -> bool | str:
    """True for the case's own follow key; access.MERGED_KEY for the key of a case that was
    merged into it, whose reporter follows this one."""
    key = request.args.get("key") or session.get("case_keys", {}).get(case.number)
    if not key:
        return False
    hashed = service.key_hash(key)
    if case.follow_key_hash and hashed == case.follow_key_hash:
        return True
    whose = queries.key_follows(case, hashed)
    return {"merged": access.MERGED_KEY, "supporter": access.SUPPORTER_KEY}.get(whose or "", False)


def _load(number):
    case = queries.case_by_number(number)
    if case is None:
        abort(404)
    found = access.capacities(me(), case, _key_ok(case))
    if not access.can_see(found):
        abort(404)
    if request.args.get("key") and found & {
        Capacity.REPORTER,
        Capacity.CO_REPORTER,
        Capacity.SUPPORTER,
    }:
        _keep_key(case.number, request.args["key"], replace=Capacity.REPORTER in found)
    key = session.get("case_keys", {}).get(case.number)
    if case.merged_into is not None and key and Capacity.REPORTER in found:
        # The key of a merged case opens the case it was merged into, which its reporter follows;
        # never in place of a key that opens that case as its own reporter.
        _keep_key(case.merged_into.number, key, replace=False)
    return case, found


def _keep_key(number, key, *, replace):
    keys = session.setdefault("case_keys", {})
    if replace or number not in keys:
        keys[number] = key
        session.modified = True


@dataclass(frozen=True)
class Viewer:
    """How the person looking at a case stands towards it: what the page shows them."""

    id: int | None
    actions: frozenset[Action]
    staff: bool  # sees internal notes and the contact
    secretary: bool
    reporter: bool
    resident: bool  # judges the case: its reporter, or one whose report was merged into it
    representative: bool  # invited to a consultation with the case on its agenda
    masked: bool  # sees the reporter masked: another resident, or a representative
    moderates: bool  # hides a public text or photo from the public, and shows it again
    follows: bool  # follows the case without having filed it: merged into it, or "me too"
    may_reveal: bool  # may reveal the reporter's full phone number
    parties: tuple[PartyKind, ...]  # the parties they give opinions for


def _viewer(case, found) -> Viewer:
    person = me()
    # Ending a consultation is a signature's or a decision's, taken on the consultation's page.
    actions = frozenset(actions_for(case.state, found)) - {Action.END_CONSULTATION}
    if person is not None and case.assignee_id == person.id:
        actions -= {Action.TAKE_OVER}  # theirs already
    if case.acknowledged_at is not None or not access.at_its_level(person, case):
        actions -= {Action.ACKNOWLEDGE}  # 报到 is given once, at the level the case reached
    if Capacity.SECRETARY not in found and not access.at_its_level(person, case):
        actions -= {Action.ESCALATE}  # only the community passes its case on
    return Viewer(
        id=person.id if person else None,
        actions=actions,
        staff=access.sees_internal(found),
        secretary=Capacity.SECRETARY in found,
        reporter=Capacity.REPORTER in found,
        resident=bool(found & {Capacity.REPORTER, Capacity.CO_REPORTER}),
        representative=Capacity.REPRESENTATIVE in found,
        masked=not access.sees_internal(found) and Capacity.REPORTER not in found,
        moderates=access.may_moderate(found),
        follows=bool(found & {Capacity.CO_REPORTER, Capacity.SUPPORTER})
        and Capacity.REPORTER not in found,
        may_reveal=access.may_reveal_phone(case, found),
        parties=tuple(sorted(permissions.parties_of(person, case.compound_id))),
    )


class _Forms(dict):
    """The case page's forms, each made (and filled for the case) when the page first asks for
    it: a page draws only the forms of the steps its reader may take."""

    def __init__(self, case, viewer: Viewer):
        super().__init__()
        self.case, self.viewer = case, viewer
        self._people: list[SelectChoice] | None = None

    def _choices(self) -> list[SelectChoice]:
        """Whom the case may be given to, looked up once and only for a form that offers it."""
        if self._people is None:
            case = self.case
            may_assign = self.viewer.actions & {Action.ACCEPT, Action.ASSIGN, Action.REASSIGN}
            people = service.assignable_people(case.compound) if may_assign else []
            self._people = people_choices(case.compound_id, people)
        return self._people

    def __missing__(self, name):
        case = self.case
        if name in ("accept", "reject", "merge"):
            rule = rule_for(case.category, routing.community_rules(case.compound.community_id))
            for made, triage_form in triage_forms(case, self._choices(), rule).items():
                self.setdefault(made, triage_form)  # a refused form given back stays as it was
            return self[name]
        form: Any
        if name == "assign":
            form = AssignForm(formdata=None)
            form.assignee.choices = [SelectChoice(0, _("Choose…")), *self._choices()]
        elif name == "opinion":
            form = OpinionForm(formdata=None)
            form.party.choices = [SelectChoice(p.value, label(p)) for p in self.viewer.parties]
        else:
            form = _PLAIN_FORMS[name](formdata=None)
        if hasattr(form, "version"):
            form.version.data = case.version
        self[name] = form
        return form


_PLAIN_FORMS = {
    "withdraw": WithdrawForm,
    "update": UpdateForm,
    "resolve": ResolveForm,
    "info": InfoForm,
    "feedback": FeedbackForm,
    "take_over": TakeOverForm,
    "acknowledge": AcknowledgeForm,
    "wait": WaitForm,
    "resume": ResumeForm,
    "escalate": EscalateForm,
    "done": DoneForm,
}


def render_case(
    case, found, status=200, errors=None, forms=None, phone=None, message=None, typed=()
):
    """The case page, or just its changing region for htmx."""
    viewer = _viewer(case, found)
    all_forms = _Forms(case, viewer)
    all_forms.update(forms or {})
    return page_or_fragment(
        "cases/detail.html",
        "cases/_case.html",
        status=status,
        case=case,
        you=viewer,
        events=_timeline_for(case, viewer),
        forms=all_forms,
        errors=errors or {},
        message=message,
        message_kind="error" if status >= 400 else "success",
        phone=phone or (case.contact_phone if access.sees_full_phone(found) else None),
        agenda=agenda_of_case(case),
        feedbacks=feedback_on(case),
        waiting=_waiting_for(case, viewer),
        named=queries.assignees_named(case),
        duplicates=lambda: queries.likely_duplicates(case),
        # Looked up only by a page that draws the update or the rejection form.
        reply_templates=cache(lambda: replies.usable_for(case)),
        supporters=queries.supporter_counts([case.id]).get(case.id, 0),
        taken_over=service.taken_over(case),
        typed=typed,
    )


class _AsThePublicReadsIt:
    """An event as someone who is not staff reads it: a text the branch hid replaced by why it
    was hidden, and, for another resident or a representative, the reporter's name and phone
    number masked (privacy.masked_for); everything else as it is."""

    def __init__(self, event, masked: bool):
        self._event, self._masked = event, masked

    def __getattr__(self, name):
        return getattr(self._event, name)

    @property
    def body(self):
        event = self._event
        if event.hidden_at is not None:
            return _("Hidden by the branch: %(reason)s", reason=event.hidden_reason)
        return masked_for(event.body, event.case) if self._masked else event.body


def _timeline_for(case, viewer: Viewer):
    if viewer.staff:
        return list(case.events)
    return [_AsThePublicReadsIt(e, viewer.masked) for e in case.events if e.public]


def _waiting_for(case, viewer: Viewer):
    """What a case waiting on the resident asked them for: its last WAIT event."""
    if not case.waiting_on_resident:
        return None
    event = next((e for e in reversed(case.events) if e.action == EventKind.WAIT), None)
    if event is None or viewer.staff:
        return event
    return _AsThePublicReadsIt(event, viewer.masked)


@bp.route("/cases/<number>")
@guarded_by_case
def detail(number):
    case, found = _load(number)
    chosen = _reply_for(case, found)
    if chosen is None:
        return render_case(case, found)
    # Without JavaScript, the reply picker asks for the page with the reply in its form.
    into, template = chosen
    form = UpdateForm(formdata=None) if into == "update" else RejectForm(formdata=None)
    if hasattr(form, "version"):
        form.version.data = case.version
    _with_reply(into, form, template)
    return render_case(case, found, forms={into: form}, errors={into: ""})


# -- actions ------------------------------------------------------------------------------


def _aimed_at_row(found) -> bool:
    """Queue rows are the staff's; anyone else gets the case region back."""
    return (htmx_target() or "").startswith("row-") and access.sees_internal(found)


def _done(case, message):
    """After a successful action: the fragment for htmx, a redirect for a plain form."""
    if is_htmx_fragment_request():
        db.session.expire_all()
        case, found = _load(case.number)
        if _aimed_at_row(found):
            return render_row(case, message=message)
        return render_case(case, found, message=message)
    flash(message, "success")
    fallback = url_for("cases.detail", number=case.number)
    return redirect(safe_next(request.form.get("next"), fallback))


def _failed(case, found, name, form, error=None):
    """A refused action: the form again with its errors (422), or the conflict with the case
    as it stands now (409)."""
    status, message = 422, None
    version = getattr(form, "version", None)
    if error is None and version is not None and version.errors:
        message = str(version.errors[0])  # hidden: said above the form instead
    if error is not None:
        message = str(error.message)
        if isinstance(error, (service.Conflict, service.NotAllowed)):
            status = 409
    if _aimed_at_row(found):
        db.session.expire_all()
        case, _found = _load(case.number)
        return render_row(case, status=status, error=message or _("Please check the form."))
    if status == 409:
        # The case as it stands now, beside what the person typed: their form comes back
        # filled in, on the current version, for them to check and send again; and the text
        # is shown whole in case that step is no longer theirs to take.
        db.session.expire_all()
        case, found = _load(case.number)
        if version is not None:
            version.data = case.version
        return render_case(
            case,
            found,
            status=409,
            message=message,
            forms={name: form},
            errors={name: ""},
            typed=_typed(form),
        )
    return render_case(case, found, status=422, forms={name: form}, errors={name: message or ""})


def _typed(form) -> list[tuple[str, str]]:
    """What the person wrote in a form's text fields: (label, text) for each one filled in."""
    return [
        (str(f.label.text), f.data.strip())
        for f in form
        if f.type in ("TextAreaField", "StringField") and isinstance(f.data, str) and f.data.strip()
    ]


def _act(number, name, form_class, operation):
    """Shared shape of every action view: load, validate, call the service, answer.
    `operation(case, form, people)` gets the assignable people (by id) for accept and assign."""
    case, found = _load(number)
    form = form_class()
    people = {}
    if name in ("accept", "assign"):
        people = {p.id: p for p in service.assignable_people(case.compound)}
        choices = [SelectChoice(p.id, p.name) for p in people.values()]
        if name == "accept":
            form.fill_choices(choices)
        else:
            form.assignee.choices = [SelectChoice(0, ""), *choices]
    if not form.validate_on_submit():
        return _failed(case, found, name, form)
    try:
        message = operation(case, form, people)
    except ServiceError as error:
        db.session.rollback()
        return _failed(case, found, name, form, error)
    return _done(case, message)


@bp.route("/cases/<number>/accept", methods=["POST"])
@guarded_by_case
def accept(number):
    def operation(case, form, people):
        service.accept(
            case,
            me(),
            version=form.version.data,
            category=Category(form.category.data),
            priority=Priority(form.priority.data),
            lead_party=PartyKind(form.lead_party.data),
            needs_consultation=form.needs_consultation.data,
            responsibility=Responsibility(form.responsibility.data)
            if form.responsibility.data
            else None,
            referred_to=form.referred_to.data,
            assignee=people.get(form.assignee.data) if form.assignee.data else None,
        )
        return _("Case %(number)s accepted.", number=case.number)

    return _act(number, "accept", AcceptForm, operation)


@bp.route("/cases/<number>/reject", methods=["POST"])
@guarded_by_case
def reject(number):
    def operation(case, form, people):
        service.reject(case, me(), version=form.version.data, reason=form.reason.data)
        return _("Case %(number)s rejected.", number=case.number)

    return _act(number, "reject", RejectForm, operation)


@bp.route("/cases/<number>/merge", methods=["POST"])
@guarded_by_case
def merge(number):
    def operation(case, form, people):
        service.merge(case, me(), version=form.version.data, target_number=form.number)
        return _("Case %(number)s merged into %(target)s.", number=case.number, target=form.number)

    return _act(number, "merge", MergeForm, operation)


@bp.route("/cases/<number>/assign", methods=["POST"])
@guarded_by_case
def assign(number):
    def operation(case, form, people):
        assignee = people.get(form.assignee.data)
        service.assign(case, me(), version=form.version.data, assignee=assignee)
        return _("Case %(number)s assigned to %(name)s.", number=case.number, name=assignee.name)

    return _act(number, "assign", AssignForm, operation)


@bp.route("/cases/<number>/withdraw", methods=["POST"])
@guarded_by_case
def withdraw(number):
    def operation(case, form, people):
        service.withdraw(case, me(), version=form.version.data, has_key=_key_ok(case))
        return _("You have withdrawn case %(number)s.", number=case.number)

    return _act(number, "withdraw", WithdrawForm, operation)


@bp.route("/cases/<number>/updates", methods=["POST"])
@guarded_by_case
def update(number):
    def operation(case, form, people):
        processed = photos.check_all(request.files.getlist(form.photos.name))
        public_update = form.visibility.data != "internal"
        service.post_update(
            case, me(), body=form.body.data, public=public_update, processed_photos=processed
        )
        return _("Update posted.") if public_update else _("Internal note saved.")

    return _act(number, "update", UpdateForm, operation)


@bp.route("/cases/<number>/resolve", methods=["POST"])
@guarded_by_case
def resolve(number):
    def operation(case, form, people):
        processed = photos.check_all(request.files.getlist(form.photos.name))
        service.resolve(
            case, me(), version=form.version.data, body=form.body.data, processed_photos=processed
        )
        return _("Case %(number)s marked resolved.", number=case.number)

    return _act(number, "resolve", ResolveForm, operation)


@bp.route("/cases/<number>/info", methods=["POST"])
@guarded_by_case
def add_info(number):
    def operation(case, form, people):
        processed = photos.check_all(request.files.getlist(form.photos.name))
        service.add_info(
            case, me(), body=form.body.data, processed_photos=processed, has_key=_key_ok(case)
        )
        return _("Your information was added to the case.")

    return _act(number, "info", InfoForm, operation)


@bp.route("/cases/<number>/escalate", methods=["POST"])
@guarded_by_case
def escalate(number):
    def operation(case, form, people):
        # The next level up: the community, or the sub-district once the community has it.
        level = case.escalation_level + 1
        service.escalate(case, me(), reason=form.reason.data, level=level)
        if level == 1:
            return _("Case %(number)s escalated to the community.", number=case.number)
        return _("Case %(number)s escalated to the sub-district.", number=case.number)

    return _act(number, "escalate", EscalateForm, operation)


@bp.route("/cases/<number>/feedback", methods=["POST"])
@guarded_by_case
def feedback(number):
    def operation(case, form, people):
        has_key = _key_ok(case)
        found = access.capacities(me(), case, has_key)
        reporter = bool(found & {Capacity.REPORTER, Capacity.CO_REPORTER})
        solved = form.solved.data == "yes"
        feedback_service.give_feedback(
            case,
            me(),
            solved=solved,
            satisfaction=Satisfaction(form.satisfaction.data),
            comment=form.comment.data,
            source=Source.RESIDENT if reporter else Source(form.source.data or "phone_visit"),
            has_key=has_key,
        )
        if solved:
            return _("Thank you. Case %(number)s is closed.", number=case.number)
        return _("Case %(number)s goes back to be handled again.", number=case.number)

    return _act(number, "feedback", FeedbackForm, operation)


@bp.route("/cases/<number>/take-over", methods=["POST"])
@guarded_by_case
def take_over(number):
    def operation(case, form, people):
        service.take_over(case, me(), version=form.version.data)
        return _("You now handle case %(number)s.", number=case.number)

    return _act(number, "take_over", TakeOverForm, operation)


@bp.route("/cases/<number>/acknowledge", methods=["POST"])
@guarded_by_case
def acknowledge(number):
    def operation(case, form, people):
        service.acknowledge(case, me(), version=form.version.data)
        return _("You have taken charge of case %(number)s.", number=case.number)

    return _act(number, "acknowledge", AcknowledgeForm, operation)


@bp.route("/cases/<number>/wait", methods=["POST"])
@guarded_by_case
def wait(number):
    def operation(case, form, people):
        service.wait_on_resident(
            case, me(), version=form.version.data, need=Need(form.need.data), body=form.body.data
        )
        return _("Case %(number)s waits on the resident, who has been told.", number=case.number)

    return _act(number, "wait", WaitForm, operation)


@bp.route("/cases/<number>/resume", methods=["POST"])
@guarded_by_case
def resume(number):
    def operation(case, form, people):
        service.resume(case, me(), version=form.version.data)
        return _(
            "Work on case %(number)s goes on; its deadline moved on by the wait.",
            number=case.number,
        )

    return _act(number, "resume", ResumeForm, operation)


@bp.route("/cases/<number>/reveal-phone", methods=["POST"])
@guarded_by_case
def reveal_phone(number):
    case, found = _load(number)
    try:
        phone = service.reveal_phone(case, me())
    except ServiceError:
        abort(404)
    if is_htmx_fragment_request():
        return render_template("cases/_phone.html", phone=phone, case=case)
    db.session.expire_all()
    case, found = _load(number)
    return render_case(case, found, phone=phone)


# -- photos --------------------------------------------------------------------------------


@bp.route("/cases/<number>/photos/<int:photo_id>")
@bp.route("/cases/<number>/photos/<int:photo_id>/thumb", endpoint="photo_thumb")
@guarded_by_case
def photo(number, photo_id):
    case, found = _load(number)
    item = db.session.get(Photo, photo_id)
    if item is None or item.case_id != case.id:
        abort(404)
    if item.event is not None and not item.event.public and not access.sees_internal(found):
        abort(404)
    if item.hidden_at is not None and not access.sees_internal(found):
        abort(404)  # hidden from the public by the branch
    key = item.thumb_path if request.endpoint == "cases.photo_thumb" else item.path
    return photos.response(key) or abort(404)


# -- the compound's queue and "my cases" --------------------------------------------------


def _filter_form(compound, people):
    form = QueueFilter(request.args)
    form.state.choices = [
        SelectChoice("open", _("Open")),
        SelectChoice("all", _("All")),
        *label_choices("state"),
    ]
    form.category.choices = category_choices(blank=_("All"))
    form.building.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(str(b.id), b.name) for b in compound.buildings
    ]
    form.assignee.choices = [
        SelectChoice("", _("Anyone")),
        SelectChoice("none", _("Nobody yet")),
    ] + [SelectChoice(str(p.id), p.name) for p in people]
    form.lead.choices = [SelectChoice("", _("Any")), *label_choices("party")]
    return form


# What a queue address may carry besides the compound: its filters and the page's cursor.
QUEUE_ARGS = ("state", "category", "building", "assignee", "lead", "urgent", "overdue", "due_today")


def _queue_args(*, keep_after: bool) -> dict[str, Any]:
    """The request's queue filters (and its cursor), to build another address of the queue;
    anything else in the query is left out."""
    names = (*QUEUE_ARGS, "after") if keep_after else QUEUE_ARGS
    return {name: request.args[name] for name in names if request.args.get(name)}


def _row_context(compound, people, shown=None):
    """What every queue row needs: whether the viewer triages, and the triage forms of the
    rows that show them (`shown`: True for all, else the one named by ?triage=)."""
    rules = routing.community_rules(compound.community_id)
    choices = people_choices(compound.id, people)
    triages = permissions.can(current_user, "triage", compound)
    named = request.args.get("triage", "")
    args = _queue_args(keep_after=True)
    # Rows of one kind (and urgency) propose the same: their forms are built once per page,
    # each row drawing them with its own ids and version.
    made: dict[tuple, dict] = {}

    def triage(case):
        kind = (case.category, case.urgent)
        if kind not in made:
            made[kind] = triage_forms(case, choices, rule_for(case.category, rules))
        return made[kind]

    return {
        "may_triage": lambda case: triages and possible(case.state, Action.ACCEPT),
        "triage": triage,
        # Drawn for one row at a time (its forms fetched, or named by ?triage=).
        "duplicates": queries.likely_duplicates,
        "triage_shown": lambda case: shown if shown is not None else named == str(case.id),
        "triage_link": lambda case: url_for(
            "cases.queue", code=compound.code, **args, triage=case.id, _anchor=f"row-{case.id}"
        ),
        # Where a row's forms return to: the queue as it is filtered, without ?triage=.
        "back": url_for("cases.queue", code=compound.code, **args)
        if request.method == "GET"
        else "",
    }


def render_row(case, message=None, error=None, status=200):
    """One queue row after an inline action (htmx), its triage forms drawn if it has any."""
    context = _row_context(case.compound, service.assignable_people(case.compound), shown=True)
    context["back"] = request.form.get("next", "")
    return render_template(
        "cases/_queue_row.html", c=case, message=message, error=error, **context
    ), status


@bp.route("/cases/<number>/triage")
@guarded_by_case
def triage(number):
    """A queue row's triage forms, fetched when the secretary opens them (htmx). Anything else
    asking gets the queue with that row's forms drawn."""
    case, _found = _load(number)
    compound = case.compound
    if not permissions.can(current_user, "triage", compound):
        abort(404)
    queue_url = url_for("cases.queue", code=compound.code)
    back = safe_next(request.args.get("next"), queue_url)
    if not is_htmx_fragment_request():
        return redirect(url_for("cases.queue", code=compound.code, triage=case.id))
    if not possible(case.state, Action.ACCEPT):
        return render_template("cases/_triaged_meanwhile.html", c=case, back=back)
    context = _row_context(compound, service.assignable_people(compound), shown=True)
    context["back"] = back
    return render_template("cases/_triage.html", c=case, **context)


@bp.route("/c/<code>/cases")
@guard(signed_in)
def queue(code):
    compound = compound_or_404(code)
    moment = now()
    people = service.assignable_people(compound)
    form = _filter_form(compound, people)
    listing = queries.in_queue(
        compound,
        queries.QueueFilters(
            state=form.state.data or "open",
            category=form.category.data or "",
            building=form.building.data or "",
            assignee=form.assignee.data or "",
            urgent=bool(form.urgent.data),
            overdue=bool(form.overdue.data),
            due_today=bool(form.due_today.data),
            lead=form.lead.data or "",
        ),
        moment,
    )
    cases, following = queries.page(listing, form.after.data, moment)
    args = _queue_args(keep_after=False)
    next_url = url_for("cases.queue", code=code, after=following, **args) if following else None
    return page_or_fragment(
        "cases/queue.html",
        "cases/_queue.html",
        target="queue",
        compound=compound,
        form=form,
        cases=cases,
        total=queries.count(listing),
        next_url=next_url,
        **_row_context(compound, people),
    )


@bp.route("/cases/mine")
@guard(signed_in)
def mine():
    show = request.args.get("show", "open")
    moment = now()
    overdue = request.args.get("overdue") == "1"
    listing = queries.assigned_to(
        current_user, show_all=show == "all", overdue_at=moment if overdue else None
    )
    cases, following = queries.page(listing, request.args.get("after"), moment)
    next_url = None
    if following:
        next_url = (
            url_for("cases.mine", after=following, overdue="1")
            if overdue
            else url_for("cases.mine", after=following, show=show)
        )
    return render_template(
        "cases/mine.html",
        cases=cases,
        total=queries.count(listing),
        next_url=next_url,
        show="overdue" if overdue else show,
        open_actions=open_actions_for(current_user),
    )


# -- QR posters and routing rules ----------------------------------------------------------


@bp.route("/c/<code>/poster")
@guard(signed_in)
def poster(code):
    compound = org.compound_by_code(code)
    if compound is None or not permissions.can(current_user, "print_poster", compound):
        abort(404)
    building = None
    if request.args.get("building"):
        building = next((b for b in compound.buildings if b.code == request.args["building"]), None)
        if building is None:
            abort(404)
    # The address printed in the lobby must outlive any proxy set-up: BASE_URL, not the request.
    base_url = public_base_url(current_app.config)
    if base_url is None:
        # A poster pointing at this machine would hang in the lobby and open nothing. 503: the
        # page works again as soon as the administrator configures the address.
        return render_template(
            "errors/_error.html",
            heading=_("No poster until the portal's public address is set"),
            text=_(
                "The portal does not know the address residents reach it at, so a QR code "
                "printed now would open nothing. Ask the portal's administrator to set "
                "PORTAL_BASE_URL to the portal's public address (for example "
                "https://portal.example.cn); then print the poster again."
            ),
        ), 503
    where: dict[str, Any] = {"building": building.code} if building else {}
    address = base_url + url_for("cases.report", code=compound.code, **where)
    return render_template(
        "cases/poster.html",
        compound=compound,
        building=building,
        address=address,
        qr=posters.qr_svg(address),
        poster_text=posters.poster_text(),
        back_label=_("Back to my desk"),
    )


@bp.route("/community/<code>/categories", methods=["GET", "POST"])
@guard(signed_in)
def category_rules(code):
    community = db.session.scalar(db.select(Community).where(Community.code == code))
    if community is None or not permissions.can(current_user, "edit_routing_rules", community):
        abort(404)
    choices, errors = None, None
    if request.method == "POST":  # CSRF is checked for every post, this one included
        choices = {
            category: routing.Choice(
                lead=request.form.get(f"{category.value}-lead", ""),
                days=request.form.get(f"{category.value}-days", ""),
                consult=request.form.get(f"{category.value}-consult") == "y",
            )
            for category in Category
        }
        try:
            routing.save_rules(community, current_user, choices=choices)
        except routing.RulesRejected as rejected:
            errors = rejected.errors
        else:
            flash(_("Routing rules saved."), "success")
            return redirect(url_for("cases.category_rules", code=code))
    return render_template(
        "cases/category_rules.html",
        community=community,
        rows=routing.rows_for_editor(community, choices, errors),
    ), (422 if errors else 200)


# -- reply templates (常用回复) ----------------------------------------------------------------


def _reply_owner_or_404(kind: str, code: str):
    """The compound (its secretary) or the community (its overseers) whose replies these are."""
    if kind == "compound":
        owner = org.compound_by_code(code)
    else:
        owner = db.session.scalar(db.select(Community).where(Community.code == code))
    if owner is None or not permissions.can(current_user, "keep_replies", owner):
        abort(404)
    return owner


def _replies_page(owner, form, status=200, editing=None):
    return render_template(
        "cases/replies.html",
        owner=owner,
        templates=replies.kept_by(owner),
        community=isinstance(owner, Community),
        form=form,
        editing=editing,
    ), status


def _save_reply(owner, form, template=None):
    """Saves the form's reply, or gives the page back with what was typed and why not."""
    if form.validate_on_submit():
        try:
            replies.save(
                owner,
                current_user,
                title=form.title.data,
                body=form.body.data,
                category=Category(form.category.data) if form.category.data else None,
                template=template,
            )
        except ServiceError as error:
            db.session.rollback()
            form.title.errors = [*form.title.errors, str(error.message)]
        else:
            flash(_("Reply saved."), "success")
            return redirect(_replies_url(owner))
    return _replies_page(owner, form, status=422, editing=template)


def _replies_url(owner):
    if isinstance(owner, Community):
        return url_for("cases.community_replies", code=owner.code)
    return url_for("cases.compound_replies", code=owner.code)


def _replies_of(kind, code):
    """A keeper's page: their replies, and a form to add one."""
    owner = _reply_owner_or_404(kind, code)
    form = ReplyTemplateForm()
    if request.method == "POST":
        return _save_reply(owner, form)
    return _replies_page(owner, form)


@bp.route("/c/<code>/replies", methods=["GET", "POST"])
@guard(signed_in)
def compound_replies(code):
    return _replies_of("compound", code)


@bp.route("/community/<code>/replies", methods=["GET", "POST"])
@guard(signed_in)
def community_replies(code):
    return _replies_of("community", code)


def _reply_or_404(template_id):
    template = replies.by_id(template_id)
    if template is None or not permissions.can(current_user, "keep_replies", template.owner):
        abort(404)
    return template


@bp.route("/replies/<int:template_id>", methods=["GET", "POST"])
@guard(signed_in)
def edit_reply(template_id):
    template = _reply_or_404(template_id)
    if request.method == "POST":
        return _save_reply(template.owner, ReplyTemplateForm(), template)
    form = ReplyTemplateForm(obj=template)
    form.category.data = template.category.value if template.category else ""
    return _replies_page(template.owner, form, editing=template)


@bp.route("/replies/<int:template_id>/delete", methods=["POST"])
@guard(signed_in)
def delete_reply(template_id):
    template = _reply_or_404(template_id)
    owner = template.owner
    if ConfirmForm().validate_on_submit():
        replies.delete(template, current_user)
        flash(_("Reply deleted."), "success")
    return redirect(_replies_url(owner))


# Which form of the case page a reply goes into, and its text box there.
REPLY_INTO = {"update": (Action.PROGRESS, Action.NOTE), "reject": (Action.REJECT,)}


def _reply_for(case, found):
    """The reply template a request asks to insert (?reply=&into=), if the case offers it and
    the person may fill that form: (into, template), or None."""
    into = request.args.get("into", "")
    if into not in REPLY_INTO or not request.args.get("reply"):
        return None
    if not set(REPLY_INTO[into]) & set(_viewer(case, found).actions):
        return None
    template = replies.usable_one(case, request.args["reply"])
    return (into, template) if template is not None else None


def _with_reply(into, form, template, typed=""):
    """The form's text box with the reply added after what was typed, to edit before posting."""
    box = form.body if into == "update" else form.reason
    box.data = f"{typed.rstrip()}\n{template.body}" if typed.strip() else template.body
    return box


@bp.route("/cases/<number>/reply")
@guarded_by_case
def insert_reply(number):
    """htmx: the update's or the rejection's text box again, with the chosen reply inserted
    after what was typed. Without JavaScript the picker asks the case page itself."""
    case, found = _load(number)
    chosen = _reply_for(case, found)
    if chosen is None:
        abort(404)
    into, template = chosen
    form = UpdateForm(formdata=None) if into == "update" else RejectForm(formdata=None)
    typed = request.args.get("body" if into == "update" else "reason", "")
    return render_template("cases/_reply_box.html", box=_with_reply(into, form, template, typed))


# -- moderation ----------------------------------------------------------------------------------


def _moderated(number, form, operation, done):
    """Hide or show again: the case region (htmx) or page again, with why it was refused."""
    case, found = _load(number)
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors]
        message = str(errors[0]) if errors else _("Please check the form.")
        return render_case(case, found, status=422, message=message, typed=_typed(form))
    try:
        operation(case, form)
    except ServiceError as error:
        db.session.rollback()
        db.session.expire_all()
        case, found = _load(number)
        status = 409 if isinstance(error, (service.Conflict, service.NotAllowed)) else 422
        return render_case(case, found, status=status, message=str(error.message))
    return _done(case, done)


@bp.route("/cases/<number>/hide", methods=["POST"])
@guarded_by_case
def hide(number):
    def operation(case, form):
        service.hide(
            case, me(), what=form.what.data, item_id=form.item.data, reason=form.reason.data
        )

    return _moderated(number, HideForm(), operation, _("Hidden from the public."))


@bp.route("/cases/<number>/unhide", methods=["POST"])
@guarded_by_case
def unhide(number):
    def operation(case, form):
        service.unhide(case, me(), what=form.what.data, item_id=form.item.data)

    return _moderated(number, ShowForm(), operation, _("Shown to the public again."))
