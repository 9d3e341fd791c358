"""The migrations build their database themselves: here each test's starts without a table."""

import pytest


@pytest.fixture
def database(empty_database):
    return empty_database
