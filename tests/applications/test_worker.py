"""Through the broker: marking a policy 免申即享 makes a real worker create the firm's draft."""

import time

import pytest

from applications.models import PolicyApplication
from notifications.models import Notification

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_proactive_draft_is_created_by_the_worker(world, client, real_tasks):
    policy = world["policy"]
    client.force_login(world["staff"])
    response = client.post(f"/applications/proactive/{policy.pk}/", {"enabled": "1"})
    assert response.status_code == 302
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        draft = PolicyApplication.objects.filter(policy=policy, enterprise=world["firm"]).first()
        told = Notification.objects.filter(
            user=world["member"], kind="application_proactive"
        ).exists()
        if draft is not None and told:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"no draft within 60 s; worker log:\n{real_tasks.log()[-3000:]}")
    assert draft.status == "draft" and draft.proactive and draft.computed_amount_yuan == 200_000
    assert "Task applications.proactive_create[" in real_tasks.wait_for("succeeded")
    # The other firm (黄岛区, outside the policy's district) got nothing.
    assert PolicyApplication.objects.filter(policy=policy).count() == 1
