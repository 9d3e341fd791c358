"""Delivering the outbox: claim due messages one by one (safe when several run at once),
send outside any transaction, then mark sent, retry later with a growing delay, or give up."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.clock import now
from portal.extensions import db, rows_changed
from portal.notifications import channels
from portal.notifications.models import OutboxMessage, OutboxState

LEASE = timedelta(minutes=10)  # a claimed message is left alone this long by other workers


def _claim(message_id, moment) -> bool:
    claimed = rows_changed(
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.state == OutboxState.PENDING,
                OutboxMessage.next_attempt_at <= moment,
            )
            .values(next_attempt_at=moment + LEASE, attempts=OutboxMessage.attempts + 1)
        )
    )
    db.session.commit()
    return claimed == 1


def deliver(limit: int = 200) -> dict[str, int]:
    """Send what is due. Returns how many were sent, retried and given up."""
    moment = now()
    counts = {"sent": 0, "retried": 0, "dead": 0}
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= moment)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    config = current_app.config
    for message_id in due:
        if not _claim(message_id, moment):
            continue  # another worker has it
        message = db.session.get_one(OutboxMessage, message_id)
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
        db.session.commit()
    return counts
