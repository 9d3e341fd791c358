"""The one entry point for flask, gunicorn and the tests."""

from portal import create_app

app = create_app()
