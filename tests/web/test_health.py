"""/healthz for the process supervisor: 200 with the database, 503 without."""

from tests.conftest import app_settings


def test_healthz_answers_ok_with_a_database_round_trip(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_cannot_be_reached(tmp_path):
    from portal import create_app

    missing = tmp_path / "no-such-folder" / "portal.sqlite3"
    app = create_app(app_settings(f"sqlite:///{missing}"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_healthz_needs_no_sign_in(client):
    assert client.get("/healthz").status_code == 200
