"""The needs world (a firm on a chain with two lead banks), shared with tests/needs."""

from tests.needs.conftest import world  # noqa: F401
