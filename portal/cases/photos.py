"""Photos: checked by decoding (not by name or declared type), guarded against decompression
bombs, re-encoded without any metadata (EXIF, GPS), kept in the photo store (photo_store)."""

import io
import secrets
import warnings
import zlib
from dataclasses import dataclass

from flask import Response, current_app, request
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.cases import photo_store
from portal.errors import Invalid

MAX_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 4
# A 48-megapixel phone photo is about 8000 × 6000; anything far beyond that is an attack.
MAX_PIXELS = 64_000_000
FORMATS = {"JPEG", "PNG", "WEBP"}
# The size a browser scales a photo to before sending it (static/photos.js); a photo sent whole,
# without JavaScript, is scaled here the same way: plenty for a case page, and 200–400 kB.
LONG_SIDE = 1600
QUALITY = 80
THUMB_SIDE = 480


@dataclass
class Processed:
    image: bytes
    thumb: bytes
    width: int
    height: int


def _too_large(name):
    return Invalid(
        _l("The photo %(name)s is larger than 10 MB. Please choose a smaller one.", name=name)
    )


def _not_an_image(name):
    return Invalid(_l("The file %(name)s is not a JPEG, PNG or WebP photo.", name=name))


def process(stream, name: str) -> Processed:
    """Decode, check and re-encode one uploaded photo. Raises Invalid with a message for people."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_large(name)
    if not data:
        raise _not_an_image(name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise _not_an_image(name)
                if probe.width * probe.height > MAX_PIXELS:
                    raise Invalid(_l("The photo %(name)s has too many pixels.", name=name))
                probe.load()  # decode it all: a truncated or forged file fails here
                image = ImageOps.exif_transpose(probe)
    except Invalid:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid(_l("The photo %(name)s has too many pixels.", name=name)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _not_an_image(name) from None

    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail((LONG_SIDE, LONG_SIDE))
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return Processed(_jpeg(image), _jpeg(thumb), image.width, image.height)


def _jpeg(image, quality=QUALITY) -> bytes:
    out = io.BytesIO()
    # No exif=, no icc_profile=: nothing of the original's metadata is written.
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def chosen(files) -> list:
    """The files of a file input that hold something (an empty input sends one nameless)."""
    return [f for f in files if f and f.filename]


def check_all(files, already: int = 0) -> list[Processed]:
    """Process every uploaded file (Werkzeug FileStorage), all or nothing; `already` photos
    are attached besides (sent ahead of the form)."""
    files = chosen(files)
    if already + len(files) > MAX_PHOTOS:
        raise Invalid(_l("Attach at most %(n)d photos.", n=MAX_PHOTOS))
    return [process(f.stream, f.filename) for f in files]


def save(folder: str, processed: Processed) -> tuple[str, str]:
    """Store the photo and its thumbnail in the folder (`cases/<id>`, or `pending`); returns
    their keys. If the store cannot take them, the person is asked to try again (and the
    caller's transaction rolls back)."""
    name = secrets.token_hex(16)
    keys = f"{folder}/{name}.jpg", f"{folder}/{name}.thumb.jpg"
    store = photo_store.current()
    try:
        store.put(keys[0], processed.image)
        store.put(keys[1], processed.thumb)
    except photo_store.StoreUnavailable as error:
        current_app.logger.error("A photo could not be stored: %s", error)
        discard(keys)
        raise Invalid(
            _l("The photos could not be saved just now. Please try again in a minute.")
        ) from error
    return keys


def load(path: str, thumb_path: str, width: int, height: int) -> Processed | None:
    """A stored photo back as processed (to store it again elsewhere); None if it is gone."""
    store = photo_store.current()
    image, thumb = store.get(path), store.get(thumb_path)
    if image is None or thumb is None:
        return None
    return Processed(image, thumb, width, height)


def discard(keys) -> None:
    """Take stored photos back (best effort: what cannot be deleted is only logged)."""
    store = photo_store.current()
    for key in keys:
        try:
            store.delete(key)
        except photo_store.StoreUnavailable as error:
            current_app.logger.warning("A stored photo could not be taken back: %s", error)


def response(key: str) -> Response | None:
    """The stored photo under the key as a private, cacheable JPEG; None if it is not there.
    What a key names never changes, so its ETag is the key's checksum."""
    data = photo_store.current().get(key)
    if data is None:
        return None
    served = Response(data, mimetype="image/jpeg")
    served.set_etag(format(zlib.crc32(key.encode()), "08x"))
    served.headers["Cache-Control"] = "private, max-age=3600"
    served.make_conditional(request)  # answers 304 in place when the browser has it
    return served
