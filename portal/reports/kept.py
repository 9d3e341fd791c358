"""Figures of periods that have ended, kept a while in each worker. A figure of an ended
period barely moves (a case closed or filed then stays so; only a triage changing a late
case's category or lead party touches it), and a figures page compares the period with the one
before and draws twelve months: keeping those saves most of a large unit's look-ups. Kept per
app (so per worker, and fresh for each test's app) for `SECONDS`, then worked out again; a
period still running is never kept."""

import time

from flask import current_app

from portal.clock import now

SECONDS = 600
LARGEST = 512  # entries a worker keeps before it starts again


def kept(key: tuple, period_end, make):
    """What `make()` returns for `key`, worked out at most once every SECONDS if the period
    (ending at `period_end`) has ended; worked out every time otherwise."""
    if period_end > now():
        return make()
    store = current_app.extensions.setdefault("portal.reports.kept", {})
    moment = time.monotonic()
    found = store.get(key)
    if found is not None and moment - found[0] < SECONDS:
        return found[1]
    value = make()
    if len(store) >= LARGEST:
        store.clear()
    store[key] = (moment, value)
    return value
