"""Fixtures of the tests about photos (test_case_photos, test_pending_photos)."""

import pytest


@pytest.fixture
def uploads(app, tmp_path):
    """Photos go to this test's own folder, which the test may look into."""
    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    return folder


@pytest.fixture
def visitor(client, world):
    """A visitor, not signed in, reading English."""
    client.post("/language", data={"locale": "en"})
    return client
