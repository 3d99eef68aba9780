"""A visitor's cached policy page shows the application counts as they are after every step."""

from __future__ import annotations

import pytest

from applications.selectors import application_counts_key
from applications.services import policy_application_submit, policy_application_withdraw
from catalogue.cache import version_token

pytestmark = pytest.mark.django_db


def _counts(client, policy) -> str:
    page = client.get(f"/policies/{policy.pk}/").content.decode()
    return page.split('id="application-counts"')[1].split("</p>")[0]


def test_each_application_step_refreshes_the_cached_counts(world, good_files, client, settings):
    settings.CATALOGUE_CACHE_SECONDS = 300
    policy = world["policy"]
    assert "<strong>0</strong> 家企业申报" in _counts(client, policy)
    assert "<strong>0</strong> 家企业申报" in _counts(client, policy)  # from the cache

    application = policy_application_submit(
        enterprise=world["firm"],
        policy=policy,
        submitted_by=world["member"],
        facts={},
        files=good_files(),
        declaration=True,
    )
    assert "<strong>1</strong> 家企业申报" in _counts(client, policy)

    # Every later step names a new state of the counts too (paid figures change that way).
    before = version_token(application_counts_key(policy.pk))
    policy_application_withdraw(application=application, actor=world["member"])
    assert version_token(application_counts_key(policy.pk)) != before
