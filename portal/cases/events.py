"""Every kind of event on a case's timeline, and whom each concerns.

Pure Python, like the workflow: the workflow's actions are events, and so are the steps that
happen around them (filing, a case merged into this one, a reminder, an action item done…).
The timeline draws each kind with its partial `cases/events/<kind>.html`; notifications tell
each kind's audience.
"""

import enum

from portal.cases.workflow import Action


class EventKind(enum.StrEnum):
    FILE = "file"
    # The workflow's actions, under the same values (a test keeps the two lists together).
    ACCEPT = Action.ACCEPT.value
    REJECT = Action.REJECT.value
    MERGE = Action.MERGE.value
    WITHDRAW = Action.WITHDRAW.value
    ASSIGN = Action.ASSIGN.value
    REASSIGN = Action.REASSIGN.value
    PROGRESS = Action.PROGRESS.value
    NOTE = Action.NOTE.value
    RESOLVE = Action.RESOLVE.value
    ADD_INFO = Action.ADD_INFO.value
    REVEAL_PHONE = Action.REVEAL_PHONE.value
    CONVENE = Action.CONVENE.value
    END_CONSULTATION = Action.END_CONSULTATION.value
    ESCALATE = Action.ESCALATE.value
    CLOSE_SOLVED = Action.CLOSE_SOLVED.value
    REOPEN = Action.REOPEN.value
    CLOSE_NO_FEEDBACK = Action.CLOSE_NO_FEEDBACK.value
    TAKE_OVER = Action.TAKE_OVER.value
    WAIT = Action.WAIT.value
    RESUME = Action.RESUME.value
    ACKNOWLEDGE = Action.ACKNOWLEDGE.value
    # Around the workflow: nobody takes these as an action on the case page.
    CLAIMED = "claimed"  # a visitor's case joined their account once their home was verified
    MERGED_IN = "merged_in"  # another case was merged into this one
    REMIND = "remind"  # the sweep reminded the owners of a passed deadline
    # The sweep reminded the overseers a case reached that they have not acknowledged it.
    REMIND_ACKNOWLEDGE = "remind_acknowledge"
    ACTION_DONE = "action_done"  # a consultation's action item on the case was done
    # Moderation: the secretary or an overseer hid a public text or photo from the public, or
    # showed it again (cases.access.may_moderate says who).
    HIDE = "hide"
    UNHIDE = "unhide"
    SUPPORT = "support"  # another resident has the same problem and follows the case ("me too")
    # Personal data (portal.personal_data): an overseer keeps the case for the record, or
    # stops keeping it; the reporter's details removed (at their request, or by the sweep).
    RETAIN = "retain"
    RELEASE = "release"
    ANONYMISE = "anonymise"


# The roles an event records when the reporter took the step: signed in as themself, or as a
# visitor holding the case's follow key.
REPORTER_ROLES = ("reporter", "visitor")


# Contact with the resident (the response, DESIGN.md section 6) when staff take these steps:
# an update or a resolution they read, a case filed for them (they were on the phone).
# `cases.service` adds a return visit recorded and a note after revealing their phone.
# Asking the resident for what the case waits on is a contact too.
CONTACTS = frozenset({EventKind.PROGRESS, EventKind.RESOLVE, EventKind.FILE, EventKind.WAIT})


class Audience(enum.StrEnum):
    """Whom an event concerns. The reporter hears only of public events."""

    REPORTER = "reporter"
    ASSIGNEE = "assignee"
    SECRETARIES = "secretaries"
    OVERSEERS = "overseers"  # at the level the case was escalated to
    OWNERS = "owners"  # the assignee, the lead party's head and the secretaries


K, W = EventKind, Audience
AUDIENCE: dict[EventKind, tuple[Audience, ...]] = {
    K.FILE: (W.SECRETARIES,),
    K.ACCEPT: (W.REPORTER,),
    K.REJECT: (W.REPORTER,),
    K.MERGE: (W.REPORTER,),
    K.WITHDRAW: (W.SECRETARIES,),
    K.ASSIGN: (W.ASSIGNEE, W.REPORTER),
    K.REASSIGN: (W.ASSIGNEE,),
    K.PROGRESS: (W.REPORTER,),
    K.NOTE: (W.ASSIGNEE, W.SECRETARIES),
    K.RESOLVE: (W.REPORTER,),
    K.ADD_INFO: (W.ASSIGNEE, W.SECRETARIES),
    K.REVEAL_PHONE: (),  # on the record for the audit, told to nobody
    K.CONVENE: (W.REPORTER,),
    K.END_CONSULTATION: (W.REPORTER,),
    K.ESCALATE: (W.OVERSEERS, W.SECRETARIES),
    K.CLOSE_SOLVED: (W.ASSIGNEE,),
    K.REOPEN: (W.ASSIGNEE, W.SECRETARIES),
    K.CLOSE_NO_FEEDBACK: (W.ASSIGNEE,),
    K.TAKE_OVER: (W.SECRETARIES,),
    K.WAIT: (W.REPORTER,),  # told what is needed
    K.RESUME: (W.REPORTER, W.ASSIGNEE),
    K.ACKNOWLEDGE: (W.OWNERS,),  # the compound hears who took charge
    K.REMIND_ACKNOWLEDGE: (W.OVERSEERS,),
    K.SUPPORT: (),  # counted on the case; nobody needs telling
    K.HIDE: (),  # on the record: who hid what, and why
    K.UNHIDE: (),
    K.CLAIMED: (),  # internal bookkeeping
    K.MERGED_IN: (),  # the merged case's reporter hears of the merge itself
    K.REMIND: (W.OWNERS,),
    K.ACTION_DONE: (W.SECRETARIES,),
    K.RETAIN: (),  # on the record for the audit
    K.RELEASE: (),
    K.ANONYMISE: (),  # the reporter asked for it, or left long ago: nobody to tell
}
