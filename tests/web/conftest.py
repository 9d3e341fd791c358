"""Fixtures of the tests about photos (test_case_photos, test_pending_photos) and the
figures (test_figures, test_figure_exports)."""

import pytest

from tests.web import figures_world as hand_worked


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


@pytest.fixture
def figures_world(world):
    """The hand-worked world of the figures' tests (tests/web/figures_world.py): its people."""
    return hand_worked.build(world)
