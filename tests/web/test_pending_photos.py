"""Photos sent ahead of a filing: kept when the form comes back with errors (without
JavaScript), sent one by one as they are chosen (with it), tied to the browser that sent them,
turned into the case's photos when it is filed, and deleted by the sweep when left unused."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.cases.models import Case, PendingPhoto, Photo
from portal.extensions import db
from tests import factories
from tests.conftest import texts
from tests.web.test_case_flow import jpeg
from tests.web.test_case_photos import files_in, report

# Photos in each test's own folder (tests/web/conftest.py).
pytestmark = pytest.mark.usefixtures("uploads")


def tokens(response) -> list[str]:
    return re.findall(r'name="pending_photo" value="([^"]+)"', response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_a_send_with_a_missing_field_keeps_the_photo_and_the_next_send_files_it(
    visitor, world, uploads
):
    response = report(visitor, world, photos=[(jpeg((800, 600)), "lift.jpg")], description="")
    assert response.status_code == 422
    assert "Say what happened." in texts(response)
    [token] = tokens(response)
    page = response.get_data(as_text=True)
    assert f"/photos/pending/{token}" in page and "Remove photo 1" in page
    assert count(Case) == 0 and count(PendingPhoto) == 1

    # The thumbnail is shown back to this browser.
    thumb = visitor.get(f"/photos/pending/{token}")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"

    # The second send carries only the token, not the file.
    again = report(visitor, world, description="电梯困人", pending_photo=token)
    assert again.status_code == 302, texts(again)
    case = db.session.scalars(select(Case)).one()
    [photo] = db.session.scalars(select(Photo).where(Photo.case_id == case.id))
    assert (photo.width, photo.height) == (800, 600)
    assert count(PendingPhoto) == 0
    assert files_in(uploads / "pending") == []
    assert len(files_in(uploads / "cases")) == 2  # the photo and its thumbnail


def test_remove_takes_a_kept_photo_out_and_keeps_the_rest_of_the_form(visitor, world, uploads):
    response = report(
        visitor,
        world,
        photos=[(jpeg(), "a.jpg"), (jpeg(), "b.jpg")],
        contact_phone="123",
        location="2单元门口",
    )
    assert response.status_code == 422
    first, second = tokens(response)
    removed = report(
        visitor,
        world,
        contact_phone="123",
        location="2单元门口",
        pending_photo=[first, second],
        remove_photo=first,
    )
    # Not a failed send: the form comes back as it was, without that photo and without errors.
    assert removed.status_code == 200
    assert tokens(removed) == [second]
    page = removed.get_data(as_text=True)
    assert 'value="2单元门口"' in page and 'aria-invalid="true"' not in page
    assert db.session.scalars(select(PendingPhoto.token)).all() == [second]
    assert len(files_in(uploads / "pending")) == 2


def test_another_browser_can_neither_see_nor_use_a_kept_photo(app, visitor, world, uploads):
    response = report(visitor, world, photos=[(jpeg(), "a.jpg")], description="")
    [token] = tokens(response)
    stranger = app.test_client()
    stranger.post("/language", data={"locale": "en"})
    assert stranger.get(f"/photos/pending/{token}").status_code == 404
    assert stranger.post(f"/photos/pending/{token}/remove").status_code == 404
    # Filing with another browser's token files nothing: the photo is asked for again.
    refused = report(stranger, world, pending_photo=token)
    assert refused.status_code == 422
    assert "A photo you chose earlier is no longer kept" in texts(refused)
    assert count(Case) == 0 and count(Photo) == 0
    assert count(PendingPhoto) == 1  # still the first browser's


def test_the_script_sends_a_photo_ahead_and_gets_its_token(visitor, world, uploads):
    sent = visitor.post(
        "/c/ymn/report/photos",
        data={"photo": (jpeg((1600, 1200)), "photo-1.jpg")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201
    answer = sent.get_json()
    assert visitor.get(answer["thumb"]).status_code == 200
    filed = report(visitor, world, pending_photo=answer["token"])
    assert filed.status_code == 302
    [photo] = db.session.scalars(select(Photo)).all()
    assert (photo.width, photo.height) == (1600, 1200)


def test_a_photo_sent_ahead_is_checked_and_refused_in_the_readers_language(visitor, world):
    refused = visitor.post(
        "/c/ymn/report/photos",
        data={"photo": (io.BytesIO(b"not a photo" * 50), "lift.jpg")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert refused.get_json() == {"error": "The file lift.jpg is not a JPEG, PNG or WebP photo."}
    visitor.post("/language", data={"locale": "zh_CN"})
    nothing = visitor.post("/c/ymn/report/photos", data={}, content_type="multipart/form-data")
    assert nothing.status_code == 422 and nothing.get_json() == {"error": "请选择要发送的照片。"}
    assert visitor.post("/c/nowhere/report/photos").status_code == 404
    assert count(PendingPhoto) == 0


def test_photos_sent_ahead_are_held_back_per_address(app, visitor, world):
    app.config["PHOTO_UPLOADS_PER_ADDRESS_HOUR"] = 2
    answers = [
        visitor.post(
            "/c/ymn/report/photos",
            data={"photo": (jpeg(), "p.jpg")},
            content_type="multipart/form-data",
        )
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert "Too many tries" in answers[2].get_json()["error"]


def test_at_most_four_photos_kept_and_sent_together(visitor, world):
    sent = [
        visitor.post(
            "/c/ymn/report/photos",
            data={"photo": (jpeg(), f"{i}.jpg")},
            content_type="multipart/form-data",
        ).get_json()["token"]
        for i in range(4)
    ]
    response = report(visitor, world, photos=[(jpeg(), "fifth.jpg")], pending_photo=sent)
    assert response.status_code == 422
    assert "Attach at most 4 photos." in texts(response)
    assert count(Case) == 0 and tokens(response) == sent


def test_a_photo_sent_whole_is_scaled_down_as_the_browser_would(visitor, world, uploads):
    whole = factories.phone_photo()
    assert len(whole) > 2_500_000  # a 12-megapixel phone photo's weight
    assert report(visitor, world, photos=[(io.BytesIO(whole), "IMG_0001.jpg")]).status_code == 302
    [photo] = db.session.scalars(select(Photo)).all()
    assert (photo.width, photo.height) == (1600, 1200)
    assert photo.size < 500_000


def test_the_sweep_deletes_photos_left_unused(app, visitor, world, uploads):
    from portal.cases import pending

    report(visitor, world, photos=[(jpeg(), "a.jpg")], description="")
    [row] = db.session.scalars(select(PendingPhoto)).all()
    token, sent_at = row.token, row.created_at
    hours = app.config["PENDING_PHOTO_HOURS"]
    assert pending.expire(sent_at + timedelta(hours=hours) - timedelta(minutes=1)) == 0
    assert pending.expire(sent_at + timedelta(hours=hours, minutes=1)) == 1
    assert count(PendingPhoto) == 0 and files_in(uploads / "pending") == []
    # Expired means gone for the form too: the case is not filed without the photo; the
    # resident is asked to choose it again, with what they typed kept.
    refused = report(visitor, world, pending_photo=token, location="2单元门口")
    assert refused.status_code == 422
    assert "Please choose it again." in texts(refused)
    assert 'value="2单元门口"' in refused.get_data(as_text=True)
    assert count(Case) == 0


def test_the_script_takes_back_a_removed_photo_at_once(visitor, world, uploads):
    answer = visitor.post(
        "/c/ymn/report/photos",
        data={"photo": (jpeg(), "p.jpg")},
        content_type="multipart/form-data",
    ).get_json()
    assert visitor.post(answer["remove"]).status_code == 204
    assert count(PendingPhoto) == 0 and files_in(uploads / "pending") == []
    assert visitor.get(answer["thumb"]).status_code == 404
    assert visitor.post(answer["remove"]).status_code == 404


def test_one_browser_holds_only_so_many_photos_sent_ahead(visitor, world):
    def send():
        return visitor.post(
            "/c/ymn/report/photos",
            data={"photo": (jpeg(), "p.jpg")},
            content_type="multipart/form-data",
        )

    assert [send().status_code for _ in range(8)] == [201] * 8
    refused = send()
    assert refused.status_code == 422
    assert refused.get_json()["error"].startswith("You have sent many photos for one report.")
    # Nor can a form that comes back with errors keep more.
    response = report(visitor, world, photos=[(jpeg(), "ninth.jpg")], description="")
    assert "You have sent many photos for one report." in texts(response)
    assert count(PendingPhoto) == 8


def test_photos_kept_from_failed_sends_count_against_the_address(app, visitor, world):
    app.config["PHOTO_UPLOADS_PER_ADDRESS_HOUR"] = 2
    response = report(
        visitor, world, photos=[(jpeg(), f"{i}.jpg") for i in range(3)], description=""
    )
    assert len(tokens(response)) == 2
    assert "Too many tries" in texts(response)
