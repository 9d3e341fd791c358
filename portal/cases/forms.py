"""Forms of the case pages: filing, triage, assignment, updates, resolution, queue filters."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal import labels
from portal.accounts.forms import phone_field
from portal.cases.access import party_of
from portal.cases.models import Priority, Responsibility
from portal.feedback.models import Source
from portal.forms import KEEP_UNDER, text_area


def category_choices(blank=None):
    choices = [SelectChoice("", blank)] if blank else []
    return choices + labels.choices("category")


def people_choices(compound_id, people) -> list[SelectChoice]:
    """People to choose from, each with the party they work in at the compound."""
    return [
        SelectChoice(p.id, f"{p.name} · {labels.label(party_of(p, compound_id))}") for p in people
    ]


def _required(message):
    return DataRequired(message=message)


class ReportForm(FlaskForm):
    building = SelectField(
        _l("Building"), coerce=int, validators=[_required(_l("Choose the building."))]
    )
    category = SelectField(
        _l("What kind of issue"), validators=[_required(_l("Choose the kind of issue."))]
    )
    description = text_area(_l("What happened"), required=_l("Say what happened."), rows=4)
    location = StringField(
        _l("Where exactly"),
        validators=[Optional(), Length(max=200, message=_l("Keep it under 200 characters."))],
    )
    photos = MultipleFileField(
        _l("Photos (up to 4)"),
        render_kw={"accept": "image/jpeg,image/png,image/webp", "multiple": True},
    )
    contact_name = StringField(
        _l("Your name"),
        validators=[
            _required(_l("Enter a name we can ask for.")),
            Length(max=50, message=_l("Keep it under 50 characters.")),
        ],
        render_kw={"autocomplete": "name"},
    )
    contact_phone = phone_field(_l("Phone we can reach you on"))
    # Two large choices rather than a small box: the resident says "ordinary" as plainly as
    # "urgent". A form that sends neither (an older page) files an ordinary case.
    urgent = RadioField(
        _l("How urgent is it"),
        choices=[SelectChoice("no", _l("Ordinary")), SelectChoice("yes", _l("Urgent"))],
        default="no",
    )
    # "Is it this one?": the building and kind whose open cases the form last showed; sent
    # again with the same, the report is filed as its own case (cases.views.report).
    seen_same = HiddenField()
    privacy = BooleanField(
        _l("I have read the privacy notice and agree"),
        validators=[_required(_l("Please read and accept the privacy notice to continue."))],
    )


class VersionedForm(FlaskForm):
    # Which version of the case the person saw: required, so a stale view is always caught.
    version = HiddenField(
        validators=[
            _required(_l("This page is out of date; reload it and try again.")),
            Regexp(r"^\d{1,9}$", message=_l("This page is out of date; reload it and try again.")),
        ]
    )
    next = HiddenField()


class AcceptForm(VersionedForm):
    category = SelectField(_l("Category"), validators=[_required(_l("Choose the category."))])
    priority = SelectField(_l("Priority"), validators=[_required(_l("Choose the priority."))])
    lead_party = SelectField(_l("Lead party"), validators=[_required(_l("Choose the lead party."))])
    needs_consultation = BooleanField(_l("Needs a three-party consultation"))
    responsibility = SelectField(_l("Whose responsibility"), validators=[Optional()])
    referred_to = StringField(
        _l("Referred to (department)"),
        validators=[Optional(), Length(max=200, message=_l("Keep it under 200 characters."))],
    )
    assignee = SelectField(_l("Assign to"), coerce=int, validators=[Optional()])

    def fill_choices(self, people_choices):
        self.category.choices = category_choices()
        self.priority.choices = labels.choices("priority")
        self.lead_party.choices = labels.choices("party")
        self.responsibility.choices = [SelectChoice("", "—"), *labels.choices("responsibility")]
        self.assignee.choices = [SelectChoice(0, _l("Assign later")), *people_choices]
        return self


class RejectForm(VersionedForm):
    reason = text_area(
        _l("Reason (the resident sees it)"),
        required=_l("Give the reason; the resident will see it."),
        max_length=1000,
        rows=2,
        id="reject-reason",
    )


class MergeForm(VersionedForm):
    # One of the likely duplicates the form offers, or a number typed in.
    pick = StringField(validators=[Optional(), Length(max=60)])
    target = StringField(
        _l("Number of the case to merge into"),
        id="merge-target",
        validators=[Optional(), Length(max=60)],
    )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not (self.pick.data or "").strip() and not (self.target.data or "").strip():
            self.target.errors = [_l("Choose the case to merge into, or enter its number.")]
            return False
        return True

    @property
    def number(self) -> str:
        """The case chosen: a number typed in wins over a likely duplicate picked."""
        return (self.target.data or "").strip() or (self.pick.data or "").strip()


class AssignForm(VersionedForm):
    assignee = SelectField(
        _l("Assign to"),
        id="assign-assignee",
        coerce=int,
        validators=[_required(_l("Choose who will handle it."))],
    )


class WithdrawForm(VersionedForm):
    pass


class EscalateForm(FlaskForm):
    reason = text_area(
        _l("Why you need the community's help"),
        required=_l("Say why you are asking for help."),
        rows=2,
        id="escalate-reason",
    )


class HideForm(FlaskForm):
    """Hiding a public text or photo of a case: what, and why (the public reads the reason)."""

    what = HiddenField()
    item = HiddenField()
    reason = text_area(
        _l("Why (the public reads it)"),
        required=_l("Say why it is hidden: the public reads the reason."),
        max_length=200,
        rows=2,
    )


class ShowForm(FlaskForm):
    what = HiddenField()
    item = HiddenField()


class ReplyTemplateForm(FlaskForm):
    """A reply template (常用回复) of a compound or a community."""

    title = StringField(
        _l("Title, to find it by"),
        validators=[
            DataRequired(message=_l("Give the reply a short title.")),
            Length(max=50, message=KEEP_UNDER[50]),
        ],
    )
    category = SelectField(_l("Offered on cases of"), default="", validators=[Optional()])
    body = text_area(_l("The reply"), required=_l("Write the reply."), max_length=1000, rows=4)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices(blank=_l("Any category"))


class UpdateForm(FlaskForm):
    body = text_area(_l("Update"), required=_l("Write what happened."), id="update-body")
    visibility = RadioField(
        _l("Who sees it"),
        default="public",
        choices=[
            SelectChoice("public", _l("Public: the resident sees it")),
            SelectChoice("internal", _l("Internal note: the resident does not see it")),
        ],
    )
    photos = MultipleFileField(
        _l("Photos (up to 4)"),
        id="update-photos",
        render_kw={"accept": "image/jpeg,image/png,image/webp", "multiple": True},
    )


class ResolveForm(VersionedForm):
    body = text_area(_l("What was done"), required=_l("Say what was done."), id="resolve-body")
    photos = MultipleFileField(
        _l("Photo of the result (optional)"),
        id="resolve-photos",
        render_kw={"accept": "image/jpeg,image/png,image/webp", "multiple": True},
    )


class InfoForm(FlaskForm):
    body = TextAreaField(
        _l("More information"),
        id="info-body",
        validators=[Optional(), Length(max=2000, message=_l("Keep it under 2000 characters."))],
        render_kw={"rows": 3},
    )
    photos = MultipleFileField(
        _l("Photos (up to 4)"),
        id="info-photos",
        render_kw={"accept": "image/jpeg,image/png,image/webp", "multiple": True},
    )


class QueueFilter(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    state = SelectField(_l("State"), default="open", validators=[Optional()])
    category = SelectField(_l("Category"), default="", validators=[Optional()])
    building = SelectField(_l("Building"), default="", validators=[Optional()])
    assignee = SelectField(_l("Assignee"), default="", validators=[Optional()])
    lead = SelectField(_l("Lead party"), default="", validators=[Optional()])
    urgent = BooleanField(_l("Urgent only"))
    overdue = BooleanField(_l("Overdue only"))
    due_today = BooleanField(_l("Due today only"))
    after = HiddenField()


class FeedbackForm(FlaskForm):
    solved = RadioField(
        _l("Is it solved?"),
        id="feedback-solved",
        choices=[
            SelectChoice("yes", _l("Yes, it is solved")),
            SelectChoice("no", _l("No, it is not solved")),
        ],
        validators=[_required(_l("Say whether it is solved."))],
    )
    satisfaction = RadioField(
        _l("How satisfied are you?"),
        id="feedback-satisfaction",
        choices=[SelectChoice(s.value, name) for s, name in labels.SATISFACTION.items()],
        validators=[_required(_l("Say how satisfied the resident is."))],
    )
    comment = TextAreaField(
        _l("Comment (needed if it is not solved)"),
        id="feedback-comment",
        validators=[Optional(), Length(max=2000, message=_l("Keep it under 2000 characters."))],
        render_kw={"rows": 2},
    )
    source = SelectField(
        _l("How you heard it"),
        id="feedback-source",
        default="phone_visit",
        choices=[
            SelectChoice(s.value, labels.VISIT[s]) for s in (Source.PHONE_VISIT, Source.DOOR_VISIT)
        ],
        validators=[Optional()],
    )


class TakeOverForm(VersionedForm):
    pass


class AcknowledgeForm(VersionedForm):
    """报到: the overseer at the case's level takes charge of it."""


class WaitForm(VersionedForm):
    need = RadioField(
        _l("What the case waits for"),
        choices=[SelectChoice(need.value, name) for need, name in labels.NEED.items()],
        default="access",
        validators=[_required(_l("Choose what the case waits for."))],
    )
    body = text_area(
        _l("What the resident is asked for (they see this)"),
        required=_l("Say what the resident is asked for; they will see it."),
        rows=2,
        id="wait-body",
    )


class ResumeForm(VersionedForm):
    pass


def triage_forms(case, people_choices, rule) -> dict[str, VersionedForm]:
    """Accept, reject and merge for one case, filled as the routing rule proposes: the same
    forms on the case page and in each row of the queue."""
    accept = AcceptForm(formdata=None).fill_choices(people_choices)
    accept.category.data = case.category.value
    accept.priority.data = (Priority.URGENT if case.urgent else Priority.NORMAL).value
    accept.lead_party.data = rule.lead_party.value
    accept.needs_consultation.data = rule.needs_consultation
    if rule.needs_consultation:
        accept.responsibility.data = Responsibility.CONSULTATION.value
    forms = {
        "accept": accept,
        "reject": RejectForm(formdata=None),
        "merge": MergeForm(formdata=None),
    }
    for form in forms.values():
        form.version.data = case.version
    return forms
