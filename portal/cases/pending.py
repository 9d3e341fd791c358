"""Photos sent ahead of their filing: a browser with JavaScript sends each photo (already scaled
down) as soon as it is chosen, and a filing that comes back with errors keeps the photos it
carried, so that nobody on a slow link sends the same photo twice. Each is tied to the browser
that sent it, becomes the case's photo when the filing goes through, and is deleted by the sweep
when left unused for PENDING_PHOTO_HOURS."""

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from portal.cases import photos
from portal.cases.models import PendingPhoto
from portal.clock import now
from portal.extensions import db

FOLDER = "pending"


def keep(processed: photos.Processed, owner: str) -> PendingPhoto:
    """Store a checked photo for the browser `owner` and commit; raises Invalid when the store
    cannot take it."""
    path, thumb = photos.save(FOLDER, processed)
    row = PendingPhoto(
        token=secrets.token_urlsafe(24),
        owner=owner,
        path=path,
        thumb_path=thumb,
        width=processed.width,
        height=processed.height,
        size=len(processed.image),
    )
    db.session.add(row)
    db.session.commit()
    return row


def _fresh():
    return PendingPhoto.created_at >= now() - timedelta(
        hours=current_app.config["PENDING_PHOTO_HOURS"]
    )


def owned(tokens, owner: str | None) -> list[PendingPhoto]:
    """The unexpired photos among `tokens` that `owner` sent, in the order given, each once; a
    token of another browser, or one that expired, is passed over."""
    wanted = list(dict.fromkeys(t for t in tokens if t and len(t) <= 64))
    if not wanted or not owner:
        return []
    found = {
        row.token: row
        for row in db.session.scalars(
            select(PendingPhoto).where(
                PendingPhoto.token.in_(wanted), PendingPhoto.owner == owner, _fresh()
            )
        )
    }
    return [found[t] for t in wanted if t in found]


def one(token: str, owner: str | None) -> PendingPhoto | None:
    rows = owned([token], owner)
    return rows[0] if rows else None


def processed(rows) -> list[photos.Processed]:
    """The photos' bytes, to be stored as a case's; one whose bytes are gone is left out."""
    loaded = (photos.load(r.path, r.thumb_path, r.width, r.height) for r in rows)
    return [p for p in loaded if p is not None]


def forget(rows) -> None:
    """Delete the rows and their stored bytes (they became a case's photos, or were removed)."""
    rows = list(rows)
    if not rows:
        return
    db.session.execute(delete(PendingPhoto).where(PendingPhoto.id.in_([r.id for r in rows])))
    db.session.commit()
    photos.discard([key for r in rows for key in (r.path, r.thumb_path)])


def expire(moment, batch: int = 500) -> int:
    """The sweep's part: photos left unused for PENDING_PHOTO_HOURS are deleted, a batch at a
    time (two sweeps at once delete the same rows harmlessly)."""
    cutoff = moment - timedelta(hours=current_app.config["PENDING_PHOTO_HOURS"])
    expired = 0
    while True:
        rows = list(
            db.session.scalars(
                select(PendingPhoto)
                .where(PendingPhoto.created_at < cutoff)
                .order_by(PendingPhoto.id)
                .limit(batch)
            )
        )
        forget(rows)
        expired += len(rows)
        if len(rows) < batch:
            return expired
