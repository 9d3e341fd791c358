"""Photos sent ahead of their filing: a browser with JavaScript sends each photo (already scaled
down) as soon as it is chosen, and a filing that comes back with errors keeps the photos it
carried, so that nobody on a slow link sends the same photo twice. Each is tied to the browser
that sent it, becomes the case's photo when the filing goes through, and is deleted by the sweep
when left unused for PENDING_PHOTO_HOURS."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from portal.cases import photos
from portal.cases.models import PendingPhoto
from portal.clock import now
from portal.errors import Invalid
from portal.extensions import db

FOLDER = "pending"
GONE = _l("A photo you chose earlier is no longer kept (after some hours). Please choose it again.")
TOO_MANY = _l("You have sent many photos for one report. Remove some, or send the form, first.")


# How many photos one browser may hold sent ahead at once: a filing takes MAX_PHOTOS, and a
# resident may have a second form open in another tab.
MAX_PER_BROWSER = 2 * photos.MAX_PHOTOS


@dataclass(frozen=True)
class Handle:
    """What deleting a pending photo needs, read while its row is loaded (a commit expires
    the row, and another request may delete it meanwhile)."""

    id: int
    keys: tuple[str, str]


def too_many(owner: str | None) -> bool:
    """Whether the browser holds as many photos sent ahead as it may."""
    if not owner:
        return False
    held = db.session.scalar(
        select(func.count(PendingPhoto.id)).where(PendingPhoto.owner == owner, _fresh())
    )
    return (held or 0) >= MAX_PER_BROWSER


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


def tokens_in(values) -> list[str]:
    """The tokens a form sent, each once, in order; anything that cannot be one is dropped."""
    return list(dict.fromkeys(t for t in values if t and len(t) <= 64))


def owned(tokens, owner: str | None) -> list[PendingPhoto]:
    """The unexpired photos among `tokens` that `owner` sent, in the order given, each once; a
    token of another browser, or one that expired, is passed over."""
    wanted = tokens_in(tokens)
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
    """The photos' bytes, to be stored as a case's. Raises Invalid when one is gone (the sweep
    took it meanwhile): the resident is asked to choose it again, never filed without it."""
    loaded = [photos.load(r.path, r.thumb_path, r.width, r.height) for r in rows]
    if any(p is None for p in loaded):
        raise Invalid(GONE)
    return [p for p in loaded if p is not None]


def handles(rows) -> list[Handle]:
    return [Handle(r.id, (r.path, r.thumb_path)) for r in rows]


def forget(gone: list[Handle]) -> None:
    """Delete the photos (they became a case's, or were removed): their rows, then their
    bytes. Rows another request deleted already are simply not there any more."""
    if not gone:
        return
    db.session.execute(
        delete(PendingPhoto)
        .where(PendingPhoto.id.in_([h.id for h in gone]))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    photos.discard([key for h in gone for key in h.keys])


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
        forget(handles(rows))
        expired += len(rows)
        if len(rows) < batch:
            return expired
