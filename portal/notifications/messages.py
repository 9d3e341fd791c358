"""What each kind of notification says, with the case's number and a few facts filled in:
one message for every kind of case event that concerns somebody (cases.events.AUDIENCE), and
a few that no event sends."""

from flask_babel import lazy_gettext as _l

from portal.cases.events import EventKind as K

EVENT_MESSAGES = {
    K.FILE: _l("New case %(number)s to triage: %(category)s."),
    K.ACCEPT: _l("Your case %(number)s has been accepted."),
    K.REJECT: _l("Your case %(number)s was not accepted: %(body)s"),
    K.MERGE: _l(
        "Your case %(number)s was merged into %(target)s, which deals with the same issue."
    ),
    K.WITHDRAW: _l("Case %(number)s was withdrawn by the reporter."),
    K.ASSIGN: _l("Case %(number)s has been assigned to you."),
    K.PROGRESS: _l("News on your case %(number)s: %(body)s"),
    K.NOTE: _l("Internal note on case %(number)s: %(body)s"),
    K.RESOLVE: _l(
        "Your case %(number)s is resolved. Is it really solved? Please tell us on the case page."
    ),
    K.ADD_INFO: _l("The resident added information to case %(number)s."),
    K.REOPEN: _l("Case %(number)s is not solved, says the resident; it is back with you: %(body)s"),
    K.CLOSE_SOLVED: _l("Case %(number)s is closed: the resident says it is solved."),
    K.CLOSE_NO_FEEDBACK: _l("Case %(number)s closed without feedback."),
    K.ESCALATE: _l("Case %(number)s has been escalated to you: %(body)s"),
    K.TAKE_OVER: _l("An overseer took over case %(number)s."),
    K.REMIND: _l("Case %(number)s is past its deadline. Please act on it."),
    K.CONVENE: _l("Your case %(number)s will be discussed by the three parties."),
    K.END_CONSULTATION: _l("The three parties have spoken on your case %(number)s."),
    K.ACTION_DONE: _l("An action item on case %(number)s is done: %(body)s"),
    K.WAIT: _l(
        "Your case %(number)s needs something from you before it can go on: %(body)s "
        "Please add it on the case page."
    ),
    K.RESUME: _l("Work on case %(number)s goes on."),
    K.ACKNOWLEDGE: _l("An overseer has taken charge of escalated case %(number)s."),
    K.REMIND_ACKNOWLEDGE: _l(
        "Case %(number)s was escalated to you and nobody has taken charge of it yet. Please "
        "acknowledge it on the case page, or it goes a level up."
    ),
}
# Told without an event of that kind: an assignment to someone else of the reporter's own
# case, an invitation, an action item.
OTHER_MESSAGES = {
    "assigned_to_party": _l("Your case %(number)s is now being handled."),
    "invited": _l("You are invited to the consultation “%(title)s”."),
    "action_item": _l("You have an action item on case %(number)s: %(body)s"),
    "dissented": _l(
        "A party dissented from the resolution on case %(number)s: %(body)s The case is back at "
        "work; the secretary can escalate it a level up."
    ),
    "resolution_lapsed": _l(
        "The resolution on case %(number)s was not signed by the three parties in time; the "
        "case is back at work and out of “%(title)s”."
    ),
    "window_closed": _l(
        "The opinion window of “%(title)s” closed without the meeting concluding; case "
        "%(number)s is back at work."
    ),
    "topic_sent": _l(
        "%(compound)s sent the community a recurring problem it cannot settle alone. Please "
        "look at it and record what is done."
    ),
    "calendar_missing": _l(
        "The working calendar for %(year)s is missing: deadlines in it are counted as calendar "
        "days until an administrator imports the year's holidays."
    ),
}
MESSAGES = {**{str(kind): text for kind, text in EVENT_MESSAGES.items()}, **OTHER_MESSAGES}
