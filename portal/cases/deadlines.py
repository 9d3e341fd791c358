"""Stage deadlines, computed in Asia/Shanghai time and stored in UTC.

Triage within hours (2 when urgent, 24 otherwise, both settings); resolution by the end of
the local day N days after acceptance, N from the category's rule (an urgent case within a
day). Calendar days: the Chinese working-day calendar is not applied yet.
"""

from datetime import datetime, time, timedelta

from portal.clock import LOCAL_ZONE


def triage_due(
    filed_at: datetime, urgent: bool, hours_urgent: int = 2, hours: int = 24
) -> datetime:
    return filed_at + timedelta(hours=hours_urgent if urgent else hours)


def resolution_due(accepted_at: datetime, resolution_days: int, urgent: bool) -> datetime:
    if urgent:
        return accepted_at + timedelta(days=1)
    local_day = accepted_at.astimezone(LOCAL_ZONE).date() + timedelta(days=resolution_days)
    end_of_day = datetime.combine(local_day, time(23, 59, 59), tzinfo=LOCAL_ZONE)
    return end_of_day.astimezone(accepted_at.tzinfo)
