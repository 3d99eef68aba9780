"""Applications write the audit record through the same one-line call as needs."""

import pytest

from applications.services import policy_application_submit
from audit.models import AuditEntry
from tests.applications.conftest import good_files, media, world  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_submitted_application_is_recorded_in_its_policys_region(world, good_files):  # noqa: F811
    application = policy_application_submit(
        enterprise=world["firm"],
        policy=world["policy"],
        submitted_by=world["member"],
        facts={},
        files=good_files(),
        declaration=True,
    )
    entry = AuditEntry.objects.get(
        object_type="applications.policyapplication", object_id=str(application.pk)
    )
    assert entry.action.startswith("application.") and entry.actor == world["member"]
    assert entry.region_code == world["policy"].region.code
    assert entry.changes["status"][1] == application.status
