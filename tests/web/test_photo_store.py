"""Photos in an S3-compatible object store (as MinIO or a cloud's S3 serve them): filed on one
app host and served by another, nothing written to either host's disk; a store that cannot be
reached costs the resident nothing they typed."""

import socket
import uuid
from types import SimpleNamespace

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from portal import create_app
from portal.cases import photo_store
from portal.cases.models import Case, Photo
from portal.cases.photos import process
from portal.extensions import db
from portal.open311 import keys
from tests import factories
from tests.conftest import app_settings, sign_in, texts
from tests.web.test_case_flow import jpeg
from tests.web.test_case_photos import TYPED, files_in, report
from tests.web.test_open311 import api, parse


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3 endpoint on a local port (moto's server), spoken to over HTTP like MinIO."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "portal-test",
        "AWS_SECRET_ACCESS_KEY": "portal-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    settings = {
        "PHOTO_STORE": "s3",
        "S3_BUCKET": bucket,
        "S3_PREFIX": "portal",
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_REGION": "us-east-1",
    }

    def stored():
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return sorted(item["Key"] for item in listed)

    def read(key):
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()

    return SimpleNamespace(
        bucket=bucket, client=client, settings=settings, stored=stored, read=read
    )


@pytest.fixture
def host_a(app, s3, tmp_path):
    """The test's app, as the first of two hosts: its photos go to the bucket."""
    app.config.update(s3.settings, UPLOAD_FOLDER=str(tmp_path / "host-a"))
    return app


@pytest.fixture
def host_b(app_factory, s3, tmp_path):
    """A second host on the same database and bucket, with a folder of its own."""
    return app_factory(**s3.settings, UPLOAD_FOLDER=str(tmp_path / "host-b"))


def test_a_photo_filed_on_one_host_is_in_the_bucket_and_served_by_the_other(
    host_a, host_b, client, world, s3, tmp_path
):
    response = report(client, world, photos=[(jpeg((1200, 900)), "lift.jpg")])
    assert response.status_code == 302, texts(response)
    db.session.expire_all()
    case = db.session.scalars(select(Case)).one()
    [photo] = db.session.scalars(select(Photo)).all()
    assert s3.stored() == sorted([f"portal/{photo.path}", f"portal/{photo.thumb_path}"])
    assert photo.path.startswith(f"cases/{case.id}/")
    assert files_in(tmp_path / "host-a") == [] and files_in(tmp_path / "host-b") == []

    people = factories.cast(world, "secretary")
    other = host_b.test_client()
    assert sign_in(other, people.secretary).status_code == 302
    page = other.get(f"/cases/{case.number}")
    assert f"/cases/{case.number}/photos/{photo.id}/thumb" in page.get_data(as_text=True)
    full = other.get(f"/cases/{case.number}/photos/{photo.id}")
    assert full.status_code == 200 and full.content_type == "image/jpeg"
    assert full.data == s3.read(f"portal/{photo.path}")
    assert full.headers["Cache-Control"] == "private, max-age=3600"
    thumb = other.get(f"/cases/{case.number}/photos/{photo.id}/thumb")
    assert thumb.data == s3.read(f"portal/{photo.thumb_path}") and len(thumb.data) < len(full.data)
    # What a key names never changes: the browser's copy is confirmed without the bytes.
    again = other.get(
        f"/cases/{case.number}/photos/{photo.id}",
        headers={"If-None-Match": full.headers["ETag"]},
    )
    assert again.status_code == 304 and again.data == b""
    assert files_in(tmp_path / "host-b") == []


def test_an_open311_client_gets_the_public_photo_from_the_bucket(host_a, client, world, s3):
    case = factories.case(world.ymn, processed_photos=[process(jpeg(), "a.jpg")])
    factories.accept(case, factories.cast(world, "secretary").secretary)
    key = keys.issue("12345热线", world.ymn, may_read=True, may_file=False)[1]
    [found] = parse(api(client, "json", f"requests/{case.number}", key), "json")
    photo = db.session.scalars(select(Photo)).one()
    media = client.get(found["media_url"].removeprefix("http://localhost"))
    assert media.status_code == 200 and media.data == s3.read(f"portal/{photo.path}")


def test_a_photo_gone_from_the_bucket_is_not_found(host_a, client, world, s3, login):
    case = factories.case(world.ymn, processed_photos=[process(jpeg(), "a.jpg")])
    photo = db.session.scalars(select(Photo)).one()
    s3.client.delete_object(Bucket=s3.bucket, Key=f"portal/{photo.path}")
    login(factories.cast(world, "secretary").secretary)
    assert client.get(f"/cases/{case.number}/photos/{photo.id}").status_code == 404
    assert client.get(f"/cases/{case.number}/photos/{photo.id}/thumb").status_code == 200


def test_a_store_that_cannot_be_reached_keeps_the_form_and_files_nothing(
    host_a, client, world, s3, caplog
):
    host_a.config["S3_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"  # nobody listens
    client.post("/language", data={"locale": "en"})
    response = report(client, world, photos=[(jpeg(), "lift.jpg")], **TYPED)
    assert response.status_code == 422
    page = texts(response)
    assert "The photos could not be saved just now. Please try again in a minute." in page
    for typed in TYPED.values():
        assert typed in response.get_data(as_text=True)
    assert db.session.scalars(select(Case)).all() == []
    assert "A photo could not be stored" in caplog.text

    client.post("/language", data={"locale": "zh_CN"})
    response = report(client, world, photos=[(jpeg(), "lift.jpg")], **TYPED)
    assert "照片暂时无法保存" in texts(response)

    host_a.config["S3_ENDPOINT_URL"] = s3.settings["S3_ENDPOINT_URL"]
    assert report(client, world, photos=[(jpeg(), "lift.jpg")], **TYPED).status_code == 302
    assert len(s3.stored()) == 2


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"PHOTO_STORE": "nfs"}, "it takes folder or s3"),
        ({"PHOTO_STORE": "s3"}, "PORTAL_S3_BUCKET is not set"),
    ],
)
def test_photo_store_settings_that_will_not_do_stop_the_app_at_start(database, settings, problem):
    with pytest.raises(RuntimeError, match=problem):
        create_app(app_settings(database.url, **settings))


def test_a_folder_store_keeps_keys_inside_its_folder(tmp_path):
    store = photo_store.FolderStore(str(tmp_path / "photos"))
    store.put("cases/1/a.jpg", b"jpeg")
    assert store.get("cases/1/a.jpg") == b"jpeg" and store.get("cases/1/b.jpg") is None
    assert [p.name for p in files_in(tmp_path / "photos")] == ["a.jpg"]  # no leftover .part
    with pytest.raises(ValueError, match="outside the store"):
        store.put("../elsewhere.jpg", b"jpeg")
    store.delete("cases/1/a.jpg")
    assert store.get("cases/1/a.jpg") is None
