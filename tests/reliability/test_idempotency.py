"""A write retried with the same Idempotency-Key is stored once and answered the same."""

import pytest

from needs.models import FinancingNeed, RoutingRequest
from tests.needs.conftest import NEED_DATA

pytestmark = pytest.mark.django_db


def post(client, data, key):
    return client.post(
        "/api/v1/needs/", data, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_retried_submission_is_stored_once_and_replayed(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["member"])
    with django_capture_on_commit_callbacks() as callbacks:
        first = post(client, NEED_DATA, "need-1")
        again = post(client, NEED_DATA, "need-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert FinancingNeed.objects.count() == 1 and RoutingRequest.objects.count() == 1
    assert len(callbacks) == 1  # routing enqueued once
    other = post(client, NEED_DATA, "need-2")
    assert other.status_code == 201 and FinancingNeed.objects.count() == 2


def test_a_refused_request_is_not_kept_and_a_key_is_bound_to_its_request(client, world):
    client.force_login(world["member"])
    bad = post(client, {**NEED_DATA, "amount_yuan": -1}, "need-3")
    assert bad.status_code == 400 and FinancingNeed.objects.count() == 0
    fixed = post(client, NEED_DATA, "need-3")  # nothing was kept: the corrected retry runs
    assert fixed.status_code == 201 and FinancingNeed.objects.count() == 1
    elsewhere = client.post(
        f"/api/v1/needs/{fixed.json()['id']}/withdraw/",
        {},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="need-3",
    )
    assert elsewhere.status_code == 422
    assert "幂等" in elsewhere.json()["detail"] or "Idempotency-Key" in elsewhere.json()["detail"]


def test_keys_are_per_client(client, world):
    client.force_login(world["member"])
    assert post(client, NEED_DATA, "shared").status_code == 201
    client.logout()
    client.force_login(world["member"])  # a new session is another client
    assert post(client, NEED_DATA, "shared").status_code == 201
    assert FinancingNeed.objects.count() == 2
