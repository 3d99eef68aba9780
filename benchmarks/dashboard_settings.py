"""Settings of the dashboard benchmark's server: the portal's, plus one bare reference view."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.dashboard_urls"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
