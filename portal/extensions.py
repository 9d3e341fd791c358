"""Flask extensions, created here and bound to the app in create_app."""

import re
from typing import TYPE_CHECKING, cast

from flask_babel import Babel
from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import CursorResult, Enum, MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations reviewable and portable (SQLite batch mode).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
# The base class of every table. Flask-SQLAlchemy makes db.Model at run time, which a type
# checker cannot follow; to it, the declarative base is what the models derive from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class Compression(Compress):
    """Flask-Compress (settings.py says what it compresses), with two repairs: a part of a file
    (206) goes as it is, since its Content-Range counts the file's own bytes; and a streamed
    answer it compresses (a static file) still closes what it streamed from, which
    Flask-Compress's own stream would leave open until the garbage collector came by.

    Made for each app in create_app, not once here: Flask-Compress keeps the last app's types
    and algorithms on the object itself."""

    def after_request(self, response):
        if response.status_code == 206:
            response.vary.add("Accept-Encoding")
            return response
        source = response.response
        response = super().after_request(response)
        if response.response is not source and hasattr(source, "close"):
            response.call_on_close(source.close)
        return response


def enum_type(cls, length: int = 30) -> Enum:
    """A Python enum stored by its values in a plain string column: no database enum type,
    so adding a state later is a code change, not a schema migration."""
    return Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


def rows_changed(result) -> int:
    """How many rows an UPDATE changed: the compare-and-set of the sweep and the outbox."""
    return cast(CursorResult, result).rowcount


# The largest id the tables hold: their keys are INTEGER, 32 bits on PostgreSQL.
LARGEST_ID = 2**31 - 1


def as_id(text: str | None) -> int | None:
    """An id typed into a query or a form, if it is one the database could hold: ASCII digits,
    at most LARGEST_ID. Anything else is None, so that it never reaches the driver."""
    if not text or not re.fullmatch(r"[0-9]{1,10}", text):
        return None
    value = int(text)
    return value if value <= LARGEST_ID else None
