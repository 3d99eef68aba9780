"""The security tests' world (both sides' objects) and role sign-in, for the header tests."""

from tests.security.conftest import api_token, login_as, media, world  # noqa: F401
