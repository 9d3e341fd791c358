"""Delivering the outbox: claim a batch of due messages, send each outside any transaction, then
mark it sent, retry it later with a growing delay, or give up.

Several deliverers may run at once (two sweeps overlapping) and none sends a message twice. To
claim a message is to push its next attempt a LEASE ahead and count the attempt, committed
before anything is sent: other deliverers pass it over, and if its deliverer dies mid-send it
is due again once the lease runs out. On PostgreSQL a batch is claimed in one short
transaction, `SELECT … FOR UPDATE SKIP LOCKED` then one UPDATE, so deliverers take disjoint
batches without waiting on each other. SQLite has no SKIP LOCKED (SQLAlchemy leaves the clause
out there) and one writer at a time: each listed message is claimed by a compare-and-set
UPDATE that changes it only while it is still due."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.clock import now
from portal.extensions import db, rows_changed
from portal.notifications import channels
from portal.notifications.models import OutboxMessage, OutboxState

LEASE = timedelta(minutes=10)  # a claimed message is left alone this long by other workers
# Messages claimed at a time. Each is sent after the one before, and a far side that hangs costs
# a channel's timeout (15 s) per message: 20 of them still end within about 5 minutes, inside
# their LEASE, whereas a claim of all 200 at once could outlive it and let another deliverer
# claim and send again what is still waiting its turn. It also bounds what a deliverer that
# dies strands for a LEASE, and lets another deliverer share the work.
BATCH = 20


def _claim(size: int) -> tuple[datetime, int, list[OutboxMessage]]:
    """Claims up to `size` due messages for this deliverer, committed. Returns the moment of the
    claim, how many messages were due, and the claimed ones, loaded and out of the session (so
    that sending them reads nothing from the database and holds no transaction open)."""
    moment = now()
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= moment)
        .order_by(OutboxMessage.id)
        .limit(size)
    )
    lease = {"next_attempt_at": moment + LEASE, "attempts": OutboxMessage.attempts + 1}
    if db.session.get_bind().dialect.name == "postgresql":
        # Rows another deliverer is claiming are locked until its commit: skip them, not wait.
        listed = claimed = list(db.session.scalars(due.with_for_update(skip_locked=True)))
        if claimed:
            db.session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(claimed)).values(**lease)
            )
    else:
        listed = list(db.session.scalars(due))
        claimed = [
            message_id
            for message_id in listed
            if rows_changed(
                db.session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == message_id,
                        OutboxMessage.state == OutboxState.PENDING,
                        OutboxMessage.next_attempt_at <= moment,
                    )
                    .values(**lease)
                )
            )
            == 1  # else another worker has it
        ]
    messages = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed))
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )
    for message in messages:
        db.session.expunge(message)
    db.session.commit()
    return moment, len(listed), messages


def _send(message: OutboxMessage, moment: datetime, counts: dict[str, int]) -> None:
    config = current_app.config
    channel = channels.by_name(message.channel)
    try:
        if channel is None:
            raise RuntimeError(f"channel {message.channel} is no longer configured")
        channel.send(message)
    except Exception as error:  # any failure of the far side: retry, never crash the sweep
        message.last_error = f"{type(error).__name__}: {error}"[:1000]
        if message.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
            message.state = OutboxState.DEAD
            counts["dead"] += 1
        else:
            delay = config["OUTBOX_BACKOFF_SECONDS"] * 2 ** (message.attempts - 1)
            message.next_attempt_at = moment + timedelta(seconds=delay)
            counts["retried"] += 1
    else:
        message.state, message.sent_at = OutboxState.SENT, now()
        counts["sent"] += 1
    db.session.add(message)  # back into the session, to record the outcome
    db.session.commit()


def deliver(limit: int = 200) -> dict[str, int]:
    """Send what is due, at most `limit` messages, BATCH by BATCH. Returns how many were sent,
    retried and given up."""
    counts = {"sent": 0, "retried": 0, "dead": 0}
    while limit > 0:
        moment, due, batch = _claim(min(BATCH, limit))
        if not due:
            break
        limit -= len(batch)
        for message in batch:
            _send(message, moment, counts)
    return counts
