"""The migrations build the schema the models describe; every revision goes down and up again."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal import MIGRATIONS, create_app
from portal.extensions import db
from tests.conftest import app_settings


def _differences():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, db.metadata)


def _tables():
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_head_builds_exactly_the_models_schema(database):
    app = create_app(app_settings(database.url))
    with app.app_context():
        assert _tables() == set()
        upgrade()
        assert _tables() == set(db.metadata.tables)
        assert _differences() == []
        db.engine.dispose()


def test_every_revision_downgrades_and_upgrades_again(database):
    app = create_app(app_settings(database.url))
    revisions = list(ScriptDirectory(str(MIGRATIONS)).walk_revisions())
    assert revisions, "no migrations found"
    with app.app_context():
        upgrade()
        for _ in revisions:
            downgrade(revision="-1")
        assert _tables() == set()
        upgrade()
        assert _differences() == []
        db.engine.dispose()
