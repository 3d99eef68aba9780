"""Applying: facts pre-filled and confirmed, the engine's amount and formula, the checklist of
materials checked by content, the declaration, and all-or-nothing refusals."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from applications.models import ApplicationEvent, ApplicationFile, PolicyApplication
from applications.services import policy_application_submit
from notifications.models import Notification
from tests.applications.helpers import (
    EXE,
    MATERIALS,
    PNG,
    docx_bytes,
    make_policy,
    stored_files,
    upload,
)

pytestmark = pytest.mark.django_db


def submit(world, files, **changes):
    kwargs = {
        "enterprise": world["firm"],
        "policy": world["policy"],
        "submitted_by": world["member"],
        "facts": {},
        "files": files,
        "declaration": True,
    }
    kwargs.update(changes)
    return policy_application_submit(**kwargs)


def test_submit_computes_amount_with_formula_and_stores_files(world, good_files, media):
    application = submit(world, good_files())
    assert application.status == "submitted"
    # 1% of 3200万元 = 32万元, capped at 20万元.
    assert application.computed_amount_yuan == 200_000
    assert "20万元" in application.formula or "20 万元" in application.formula
    assert application.eligible is True
    assert application.facts["annual_revenue_yuan"] == 32_000_000
    assert application.declared_at is not None and "承诺" in application.declaration
    assert application.review_due_on is not None and application.year == application.created_at.year
    files = list(application.files.order_by("material"))
    assert sorted(f.material for f in files) == sorted(MATERIALS)
    for item in files:
        # Stored under a generated name, never the uploader's.
        assert item.storage_name.startswith("applications/")
        assert item.original_name not in item.storage_name
        assert item.content_type == "application/pdf"
    assert len(stored_files(media)) == 2
    event = ApplicationEvent.objects.get(application=application)
    assert (event.action, event.from_status, event.to_status) == ("submit", "", "submitted")
    assert event.actor == world["member"]
    # The issuing office (岱岳区 staff) hears of it; the other district does not.
    assert Notification.objects.filter(user=world["staff"], kind="application_submitted").exists()
    assert not Notification.objects.filter(user=world["other_staff"]).exists()


def test_confirmed_facts_change_the_amount(world, good_files):
    application = submit(world, good_files(), facts={"annual_revenue_yuan": 5_000_000})
    assert application.computed_amount_yuan == 50_000
    assert application.facts["annual_revenue_yuan"] == 5_000_000


def test_locked_profile_facts_cannot_be_changed(world, good_files):
    application = submit(world, good_files(), facts={"region_code": "370200"})
    assert application.facts["region_code"] == "370911"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"declaration": False}, "declaration"),
        ({"facts": {"annual_revenue_yuan": -5}}, "annual_revenue_yuan"),
        ({"facts": {"annual_revenue_yuan": "很多"}}, "annual_revenue_yuan"),
        ({"facts": {"no_such_fact": 1}}, "no_such_fact"),
    ],
)
def test_bad_input_is_refused_per_field_and_nothing_is_saved(
    world, good_files, media, changes, field
):
    with pytest.raises(ValidationError) as caught:
        submit(world, good_files(), **changes)
    assert field in caught.value.message_dict
    assert PolicyApplication.objects.count() == 0 and ApplicationFile.objects.count() == 0
    assert stored_files(media) == []


def test_a_missing_material_is_named(world, media):
    with pytest.raises(ValidationError) as caught:
        submit(world, [(MATERIALS[0], upload("执照.pdf"))])
    assert caught.value.message_dict["files"] == [f"请上传“{MATERIALS[1]}”。"]
    assert PolicyApplication.objects.count() == 0 and stored_files(media) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("报表.pdf", EXE),  # a program renamed to .pdf
        ("报表.png", b"%PDF-1.4 not an image"),
        ("报表.docx", b"PK\x03\x04 not really a zip"),
        ("报表.exe", EXE),
        ("报表.pdf", b""),
    ],
)
def test_an_upload_whose_content_does_not_match_is_refused_and_nothing_stored(
    world, media, name, content
):
    files = [(MATERIALS[0], upload("执照.png", PNG)), (MATERIALS[1], upload(name, content))]
    with pytest.raises(ValidationError) as caught:
        submit(world, files)
    messages = caught.value.message_dict["files"]
    assert any(MATERIALS[1] in m and name in m for m in messages)
    assert PolicyApplication.objects.count() == 0 and ApplicationFile.objects.count() == 0
    assert stored_files(media) == []


def test_office_files_and_images_are_accepted(world, media):
    files = [
        (MATERIALS[0], upload("执照.png", PNG)),
        (MATERIALS[1], upload("报表.docx", docx_bytes())),
    ]
    application = submit(world, files)
    types = set(application.files.values_list("content_type", flat=True))
    assert types == {
        "image/png",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
    assert len(stored_files(media)) == 2


def test_an_upload_over_the_limit_is_refused(world, media, settings):
    settings.UPLOAD_MAX_BYTES = 100
    files = [
        (MATERIALS[0], upload("执照.pdf")),
        (MATERIALS[1], upload("大.pdf", b"%PDF-" + b"0" * 200)),
    ]
    with pytest.raises(ValidationError, match="文件过大"):
        submit(world, files)
    assert stored_files(media) == []


def test_the_limit_is_twenty_megabytes(settings):
    assert settings.UPLOAD_MAX_BYTES == 20 * 1024 * 1024


def test_a_file_for_an_unknown_material_is_refused(world, good_files, media):
    with pytest.raises(ValidationError, match="不是该政策要求的申报材料"):
        submit(world, [*good_files(), ("身份证", upload("id.pdf"))])
    assert stored_files(media) == []


def test_a_firm_that_does_not_qualify_is_told_why(world, good_files, media):
    world["firm"].qualifications = []
    world["firm"].save()
    with pytest.raises(ValidationError, match=r"暂不符合.*科技型中小企业"):
        submit(world, good_files())
    assert PolicyApplication.objects.count() == 0 and stored_files(media) == []


def test_a_firm_outside_the_policy_region_is_refused(world, good_files, regions):
    policy = make_policy(regions["qingdao"])
    with pytest.raises(ValidationError, match="暂不符合"):
        submit(world, good_files(), policy=policy)


def test_an_unpublished_policy_cannot_be_applied_for(world, good_files, regions):
    policy = make_policy(regions["daiyue"], published=False)
    with pytest.raises(ValidationError, match="尚未发布"):
        submit(world, good_files(), policy=policy)


def test_a_second_open_application_is_refused(world, good_files):
    first = submit(world, good_files())
    with pytest.raises(ValidationError, match=f"已有该政策的申报 #{first.pk}"):
        submit(world, good_files())
    assert PolicyApplication.objects.count() == 1


def test_only_the_firms_own_members_submit(world, good_files):
    with pytest.raises(PermissionDenied):
        submit(world, good_files(), submitted_by=world["other_member"])
    with pytest.raises(PermissionDenied):
        submit(world, good_files(), submitted_by=world["staff"])
    assert PolicyApplication.objects.count() == 0


def test_a_missing_claim_fact_is_asked_for(world, good_files, regions):
    rule = {
        "beneficiary": "enterprise",
        "conditions": {"fact": "compute_spend_yuan", "op": "gt", "value": 0, "label": "有算力支出"},
        "benefit": {"type": "percent", "fact": "compute_spend_yuan", "rate": "0.1"},
    }
    policy = make_policy(regions["daiyue"], rule=rule)
    with pytest.raises(ValidationError) as caught:
        submit(world, good_files(), policy=policy)
    assert "compute_spend_yuan" in caught.value.message_dict
    application = submit(
        world, good_files(), policy=policy, facts={"compute_spend_yuan": 1_000_000}
    )
    assert application.computed_amount_yuan == 100_000


def test_a_draft_created_meanwhile_turns_into_a_clear_refusal(world, good_files, monkeypatch):
    """The open-application check passed, then a 免申即享 draft appeared before the insert."""
    from applications import services

    original = services.application_preview

    def preview_then_draft(**kwargs):
        PolicyApplication.objects.create(
            enterprise=world["firm"],
            policy=world["policy"],
            year=2026,
            status="draft",
            proactive=True,
        )
        return original(**kwargs)

    monkeypatch.setattr(services, "application_preview", preview_then_draft)
    with pytest.raises(ValidationError, match="不能重复提交"):
        submit(world, good_files())
