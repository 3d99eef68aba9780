"""Through the broker: a need submitted over the API is routed by a real worker process."""

import time

import pytest

from needs.models import FinancingNeed
from notifications.models import Notification

from .conftest import NEED_DATA

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_submitted_need_is_routed_by_the_worker_and_the_officer_told(world, client, real_tasks):
    client.force_login(world["member"])
    response = client.post("/api/v1/needs/", NEED_DATA, content_type="application/json")
    assert response.status_code == 201, response.content
    need_id = response.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        need = FinancingNeed.objects.get(pk=need_id)
        told = Notification.objects.filter(user=world["officer"], kind="need_assigned").exists()
        if need.status == "assigned" and told:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"not routed within 60 s; worker log:\n{real_tasks.log()[-3000:]}")
    assert need.assigned_branch_id == world["branch"].pk
    assert "Task needs.route[" in real_tasks.wait_for("succeeded")
