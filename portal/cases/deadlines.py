"""Stage deadlines: triage within 2 hours when urgent, 24 hours otherwise; resolution within
the category's days (urgent cases within a day). Times in UTC; days counted as calendar days.
"""

from datetime import datetime, timedelta

TRIAGE_URGENT = timedelta(hours=2)
TRIAGE_ORDINARY = timedelta(hours=24)
RESOLUTION_URGENT = timedelta(days=1)


def triage_due(filed_at: datetime, urgent: bool) -> datetime:
    return filed_at + (TRIAGE_URGENT if urgent else TRIAGE_ORDINARY)


def resolution_due(accepted_at: datetime, resolution_days: int, urgent: bool) -> datetime:
    return accepted_at + (RESOLUTION_URGENT if urgent else timedelta(days=resolution_days))
