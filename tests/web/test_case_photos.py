"""Uploaded photos: bad, huge and bomb files refused, the form kept; stored ones are clean JPEGs."""

import html
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from portal.cases.categories import Category
from portal.cases.models import Case, CaseEvent, Photo
from portal.cases.workflow import State
from portal.extensions import db
from tests import factories
from tests.conftest import sign_in, texts
from tests.web.test_case_flow import jpeg

TYPED = {
    "description": "电梯困人，按钮失灵",
    "location": "2单元门口",
    "contact_name": "王阿姨",
    "contact_phone": "13712345678",
}


# Photos in each test's own folder (tests/web/conftest.py).
pytestmark = pytest.mark.usefixtures("uploads")


def png(width, height) -> io.BytesIO:
    """A complete, valid 1-bit PNG of any size; all black, so it compresses to kilobytes."""

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    row = b"\0" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return io.BytesIO(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def image_file(image, kind, **options) -> io.BytesIO:
    out = io.BytesIO()
    image.save(out, kind, **options)
    out.seek(0)
    return out


def report(client, world, photos=(), **typed):
    """File through the lobby form. The body is encoded here, in memory: the test client's own
    encoder spools a large upload to a temporary file it never closes."""
    place = next(b for b in world.ymn.buildings if b.code == "2")
    fields = MultiDict(
        {
            "building": str(place.id),
            "category": "lift",
            "description": "电梯坏了",
            "contact_name": "王阿姨",
            "contact_phone": "13712345678",
            "privacy": "y",
            **typed,
        }
    )
    for stream, name in photos:
        fields.add("photos", FileStorage(stream, filename=name, content_type="image/jpeg"))
    boundary, body = encode_multipart(fields)
    return client.post(
        "/c/ymn/report", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def cases_stored():
    return db.session.scalar(select(func.count(Case.id)))


def files_in(folder: Path):
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def case_files(folder: Path):
    """Files stored for cases (not the photos kept for a filing still to be sent)."""
    return files_in(folder / "cases")


def kept_tokens(response) -> int:
    return response.get_data(as_text=True).count('name="pending_photo"')


def opened(path):
    with Image.open(path) as image:
        image.load()
        return image


def stored_photos(folder):
    db.session.expire_all()
    return [
        (opened(folder / p.path), opened(folder / p.thumb_path), p)
        for p in db.session.scalars(select(Photo).order_by(Photo.id))
    ]


def assert_form_kept(response):
    page = response.get_data(as_text=True)
    assert TYPED["description"] in page
    for name in ("location", "contact_name", "contact_phone"):
        assert f'value="{TYPED[name]}"' in page, name


REFUSED = {
    "a text file named .jpg": (
        lambda: io.BytesIO(b"not a photo at all" * 100),
        "lift.jpg",
        "The file lift.jpg is not a JPEG, PNG or WebP photo.",
    ),
    "a truncated JPEG": (
        lambda: io.BytesIO(jpeg((400, 300)).getvalue()[:600]),
        "cut.jpg",
        "The file cut.jpg is not a JPEG, PNG or WebP photo.",
    ),
    "a GIF named .jpg": (
        lambda: image_file(Image.new("P", (20, 20)), "GIF"),
        "anim.jpg",
        "The file anim.jpg is not a JPEG, PNG or WebP photo.",
    ),
    "an 11 MB file": (
        lambda: io.BytesIO(b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024)),
        "big.jpg",
        "The photo big.jpg is larger than 10 MB. Please choose a smaller one.",
    ),
    "a 20000 x 20000 PNG bomb": (
        lambda: png(20000, 20000),
        "bomb.png",
        "The photo bomb.png has too many pixels.",
    ),
    "a 10000 x 10000 PNG": (
        lambda: png(10000, 10000),
        "bomb.png",
        "The photo bomb.png has too many pixels.",
    ),
    "an 8200 x 8200 PNG": (
        lambda: png(8200, 8200),
        "bomb.png",
        "The photo bomb.png has too many pixels.",
    ),
}


@pytest.mark.parametrize("kind", list(REFUSED))
def test_a_bad_photo_is_refused_with_a_clear_message_and_the_form_kept(
    visitor, world, uploads, kind
):
    make, name, message = REFUSED[kind]
    response = report(visitor, world, **TYPED, photos=[(jpeg(), "ok.jpg"), (make(), name)])
    assert response.status_code == 422
    assert message in html.unescape(texts(response))
    assert_form_kept(response)
    # The good photo is kept for the next send (tests/web/test_pending_photos.py); the bad one
    # is not stored at all.
    assert cases_stored() == 0 and case_files(uploads) == []
    assert kept_tokens(response) == 1 and len(files_in(uploads / "pending")) == 2


def test_a_fifth_photo_is_refused_and_four_are_taken(visitor, world, uploads):
    response = report(visitor, world, **TYPED, photos=[(jpeg(), f"{i}.jpg") for i in range(5)])
    assert response.status_code == 422
    assert "Attach at most 4 photos." in texts(response)
    assert_form_kept(response)
    assert cases_stored() == 0 and case_files(uploads) == []
    assert kept_tokens(response) == 4

    response = report(visitor, world, **TYPED, photos=[(jpeg(), f"{i}.jpg") for i in range(4)])
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert len(case.photos) == 4 and all(p.event_id == case.events[0].id for p in case.photos)


def test_a_stored_photo_has_no_exif_gps_or_maker_and_is_a_jpeg(visitor, world, uploads):
    original = jpeg((64, 48), exif=True)
    assert Image.open(io.BytesIO(original.getvalue())).getexif()  # the upload does carry EXIF
    assert report(visitor, world, photos=[(original, "IMG_0001.jpg")]).status_code == 302
    [(image, thumb, photo)] = stored_photos(uploads)
    for stored in (image, thumb):
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {} and "exif" not in stored.info
        assert "icc_profile" not in stored.info
    raw = (uploads / photo.path).read_bytes() + (uploads / photo.thumb_path).read_bytes()
    assert b"PhoneMaker" not in raw and b"Exif" not in raw
    assert "IMG_0001" not in photo.path and photo.path.endswith(".jpg")
    size = len((uploads / photo.path).read_bytes())
    assert (photo.width, photo.height, photo.size) == (64, 48, size)


def test_exif_orientation_is_applied_before_it_is_dropped(visitor, world, uploads):
    sideways = Image.new("RGB", (60, 40), "blue")
    sideways.paste((255, 0, 0), (0, 0, 30, 40))  # left half red as the sensor saw it
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    upload = image_file(sideways, "JPEG", exif=exif.tobytes())
    assert report(visitor, world, photos=[(upload, "portrait.jpg")]).status_code == 302
    [(image, _thumb, photo)] = stored_photos(uploads)
    assert image.size == (40, 60) and (photo.width, photo.height) == (40, 60)
    top, bottom = image.getpixel((20, 10)), image.getpixel((20, 50))
    assert top[0] > 200 and top[2] < 60, "the red half is on top, as the person held the phone"
    assert bottom[2] > 200 and bottom[0] < 60


def test_a_png_with_transparency_becomes_an_rgb_jpeg_on_white(visitor, world, uploads):
    clear = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    clear.paste((0, 0, 255, 255), (20, 0, 40, 40))
    response = report(visitor, world, photos=[(image_file(clear, "PNG"), "shot.png")])
    assert response.status_code == 302
    [(image, thumb, _photo)] = stored_photos(uploads)
    assert image.format == "JPEG" and image.mode == "RGB" and thumb.mode == "RGB"
    assert min(image.getpixel((5, 20))) > 240  # transparent → white, not black
    assert image.getpixel((35, 20))[2] > 200


def test_webp_is_taken_and_a_large_photo_is_scaled_down_with_a_small_thumbnail(
    visitor, world, uploads
):
    wide = image_file(Image.new("RGB", (3000, 1000), "green"), "WEBP")
    assert report(visitor, world, photos=[(wide, "wide.webp")]).status_code == 302
    [(image, thumb, photo)] = stored_photos(uploads)
    assert image.format == "JPEG" and image.size == (1600, 533) == (photo.width, photo.height)
    assert thumb.size == (480, 160)


def test_a_bad_photo_on_an_update_refuses_the_update_and_keeps_its_text(app, world, uploads):
    team = factories.cast(world, "staff secretary", staff={"locale": "en"})
    case = factories.case(
        world,
        State.IN_PROGRESS,
        secretary=team.secretary,
        assignee=team.staff,
        category=Category.LIFT,
        description="电梯困人",
        contact_name="王阿姨",
        contact_phone="13712345678",
    )
    events = len(case.events)
    client = app.test_client()
    sign_in(client, team.staff)
    response = client.post(
        f"/cases/{case.number}/updates",
        data={
            "body": "师傅已到场，见照片",
            "visibility": "public",
            "photos": [(io.BytesIO(b"GIF89a not really"), "scene.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "The file scene.jpg is not a JPEG, PNG or WebP photo." in texts(response)
    assert "师傅已到场，见照片" in response.get_data(as_text=True)
    assert (
        db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case.id))
        == events
    )
    assert files_in(uploads) == []
