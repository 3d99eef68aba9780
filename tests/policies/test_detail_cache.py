"""A visitor's policy page comes from the cache, and a catalogue change is shown at once."""

from __future__ import annotations

import pytest

from catalogue.cache import catalogue_changed_now
from policies.models import Policy
from tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def _counts(page: str) -> str:
    return page.split('id="application-counts"')[1].split("</p>")[0]


def test_visitor_page_is_cached_with_live_application_counts(
    personas, regions, client, settings, django_assert_max_num_queries
):
    settings.CATALOGUE_CACHE_SECONDS = 300
    policy = PolicyFactory(region=regions["daiyue"])
    first = client.get(f"/policies/{policy.pk}/")
    assert first.status_code == 200 and "<strong>0</strong> 家企业申报" in _counts(
        first.content.decode()
    )
    # A hit: no query at all (the counts are named by a cached token; see
    # tests/applications/test_public_counts.py for a step changing them).
    with django_assert_max_num_queries(0):
        again = client.get(f"/policies/{policy.pk}/")
    assert again.content == first.content

    # A catalogue change is shown at once too.
    Policy.objects.filter(pk=policy.pk).update(title="新的政策标题")
    catalogue_changed_now()
    assert "新的政策标题" in client.get(f"/policies/{policy.pk}/").content.decode()


def test_signed_in_pages_are_not_cached(personas, regions, client, settings):
    settings.CATALOGUE_CACHE_SECONDS = 300
    policy = PolicyFactory(region=regions["daiyue"])
    visitor = client.get(f"/policies/{policy.pk}/").content.decode()
    assert "在线申报" not in visitor
    client.force_login(personas["member"])
    assert "在线申报" in client.get(f"/policies/{policy.pk}/").content.decode()
