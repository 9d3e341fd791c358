"""Closure feedback in the domain's words: the resident's verdict on a resolved case, a return
visit that records it for them, and the sweep's "no feedback" closure. Each keeps what was said
and moves the case through the case service, in one transaction."""

from flask_babel import lazy_gettext as _l

from portal.cases import service as cases
from portal.cases.models import Closure
from portal.cases.workflow import Action, Capacity
from portal.clock import now
from portal.errors import Invalid, NotAllowed
from portal.extensions import db
from portal.feedback.models import Feedback, Satisfaction, Source


def _keep(case, by, source, solved, satisfaction, comment) -> Feedback:
    row = Feedback(
        case_id=case.id,
        source=source,
        solved=solved,
        satisfaction=satisfaction,
        comment=(comment or "").strip() or None,
        recorded_by_id=by.id if by is not None else None,
        at=now(),
    )
    db.session.add(row)
    return row


@cases.atomic
def give_feedback(
    case,
    by,
    *,
    solved: bool,
    satisfaction: Satisfaction | None,
    comment: str | None,
    source: Source,
    has_key=False,
):
    """The resident's verdict, or a return visit's record of it. "Not solved" reopens the case
    to its assignee (退回重办); "solved" closes it."""
    action = Action.CLOSE_SOLVED if solved else Action.REOPEN
    found, _step = cases.check(case, by, action=action, has_key=has_key)
    on_behalf = source is not Source.RESIDENT
    if on_behalf and not found & {Capacity.BRANCH_MEMBER, Capacity.GRID_WORKER}:
        raise NotAllowed(_l("Only a party-branch member or a grid worker records a return visit."))
    if not on_behalf and not found & {Capacity.REPORTER, Capacity.CO_REPORTER}:
        raise NotAllowed(_l("Only the resident who reported it gives this feedback."))
    if satisfaction is None:  # solved or not, every verdict says how satisfied
        raise Invalid(_l("Say how satisfied the resident is."))
    said = {"solved": solved, "satisfaction": satisfaction.value, "source": source.value}
    if solved:
        cases.close(
            case,
            by,
            closure=Closure.SOLVED,
            has_key=has_key,
            body=(comment or "").strip() or None,
            **said,
        )
    else:
        cases.reopen(case, by, reason=comment or "", has_key=has_key, **said)
    _keep(case, by, source, solved, satisfaction, comment)
    cases.commit()
    return case


@cases.atomic
def close_without_feedback(case):
    """The sweep: nobody answered within the window. Never counted as solved or satisfied."""
    cases.close(case, None, closure=Closure.NO_FEEDBACK)
    _keep(case, None, Source.NO_FEEDBACK, None, None, None)
    cases.commit()
    return case
