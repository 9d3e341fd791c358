"""Signals one feature sends so that others can act on it without being imported by it.

Data flows one way (view → service → workflow/models): the case service does not know who
is told of an event, and accounts do not know that verifying a home claims cases. Those who
care subscribe here (blinker, as Indico does); create_app imports the subscribers.
"""

from blinker import Namespace

_signals = Namespace()

case_event_recorded = _signals.signal(
    "case-event-recorded",
    doc="A case event was added to the session (sender: the CaseEvent), in the transaction "
    "of the step it records: what subscribers add commits or rolls back with it.",
)

case_resolving = _signals.signal(
    "case-resolving",
    doc="A case is about to be marked resolved (sender: the Case). A subscriber refuses by "
    "raising a ServiceError, which the resolve operation passes on.",
)

home_verified = _signals.signal(
    "home-verified",
    doc="A resident's home in a compound was verified (sender: the Person; compound_id). "
    "Sent before the verification commits.",
)

phone_proved = _signals.signal(
    "phone-proved",
    doc="A new account's phone was proved its owner's by a texted code (sender: the Person). "
    "Sent before the sign-up commits.",
)
