"""What each kind of notification says, with the case's number and a few facts filled in."""

from flask_babel import lazy_gettext as _l

MESSAGES = {
    "file": _l("New case %(number)s to triage: %(category)s."),
    "accept": _l("Your case %(number)s has been accepted."),
    "reject": _l("Your case %(number)s was not accepted: %(body)s"),
    "merge": _l(
        "Your case %(number)s was merged into %(target)s, which deals with the same issue."
    ),
    "withdraw": _l("Case %(number)s was withdrawn by the reporter."),
    "assign": _l("Case %(number)s has been assigned to you."),
    "assigned_to_party": _l("Your case %(number)s is now being handled."),
    "progress": _l("News on your case %(number)s: %(body)s"),
    "note": _l("Internal note on case %(number)s: %(body)s"),
    "resolve": _l(
        "Your case %(number)s is resolved. Is it really solved? Please tell us on the case page."
    ),
    "add_info": _l("The resident added information to case %(number)s."),
    "reopen": _l("Case %(number)s is not solved, says the resident; it is back with you: %(body)s"),
    "close_solved": _l("Case %(number)s is closed: the resident says it is solved."),
    "close_no_feedback": _l("Case %(number)s closed without feedback."),
    "escalate": _l("Case %(number)s has been escalated to you: %(body)s"),
    "take_over": _l("An overseer took over case %(number)s."),
    "remind": _l("Case %(number)s is past its deadline. Please act on it."),
    "convene": _l("Your case %(number)s will be discussed by the three parties."),
    "end_consultation": _l("The three parties have spoken on your case %(number)s."),
    "action_done": _l("An action item on case %(number)s is done: %(body)s"),
    "invited": _l("You are invited to the consultation “%(title)s”."),
    "action_item": _l("You have an action item on case %(number)s: %(body)s"),
}
