"""PIPL: consent at registration; separate consent naming the bank before contact details go to
it; masking for everyone else; every read of clear values logged without the values."""

import pytest
from django.urls import reverse

from needs.services import financing_need_accept
from privacy import texts
from privacy.masking import mask_name
from privacy.models import ConsentRecord, ContactConsent, PersonalDataAccess
from tests.enterprises.test_registration import api_data, form_data

pytestmark = pytest.mark.django_db

PHONE = "13805381234"
MASKED_PHONE = "138****1234"


def test_registration_form_keeps_the_consent_with_time_and_text_version(client, regions):
    assert client.post(reverse("enterprises:register"), form_data(regions)).status_code == 302
    record = ConsentRecord.objects.get()
    assert record.kind == "registration" and record.granted_at is not None
    assert record.text_version == texts.REGISTRATION_VERSION
    assert record.text_digest == texts.digest(texts.REGISTRATION_TEXT)
    assert (
        record.user.username == "new-firm" and record.enterprise.uscc == form_data(regions)["uscc"]
    )


def test_registration_api_requires_consent_and_keeps_it(client, regions):
    refused = client.post(
        "/api/v1/enterprises/register/",
        api_data(regions, consent=False),
        content_type="application/json",
    )
    assert refused.status_code == 400 and "consent" in refused.json()
    missing = api_data(regions)
    missing.pop("consent")
    assert (
        client.post(
            "/api/v1/enterprises/register/", missing, content_type="application/json"
        ).status_code
        == 400
    )
    assert ConsentRecord.objects.count() == 0
    ok = client.post(
        "/api/v1/enterprises/register/", api_data(regions), content_type="application/json"
    )
    assert ok.status_code == 201
    assert ConsentRecord.objects.get().text_version == texts.REGISTRATION_VERSION


def test_the_registration_form_shows_the_versioned_text(client):
    assert texts.REGISTRATION_TEXT in client.get(reverse("enterprises:register")).content.decode()


@pytest.fixture
def accepted(world, submit, run_commit):
    need = submit(world["member"])
    assert need.assigned_branch == world["branch"]
    return run_commit(financing_need_accept, need=need, actor=world["officer"])


def _contact_text(client, need) -> str:
    return client.get(reverse("needs:detail", args=[need.pk])).content.decode()


def test_officer_sees_masked_contact_until_the_firm_consents_naming_the_bank(
    client, world, accepted
):
    bank = world["branch"].bank
    client.force_login(world["officer"])
    page = _contact_text(client, accepted)
    assert PHONE not in page and MASKED_PHONE in page and mask_name("陈静") in page
    assert f"企业尚未同意向{bank.name}提供联系人信息" in page
    assert PersonalDataAccess.objects.count() == 0

    client.force_login(world["member"])
    own = _contact_text(client, accepted)
    assert PHONE in own and texts.contact_text(bank.name) in own
    response = client.post(reverse("privacy:contact_consent", args=[accepted.pk]))
    assert response.status_code == 302
    consent = ContactConsent.objects.get(need=accepted)
    assert consent.bank == bank and bank.name in consent.text
    assert consent.granted_by == world["member"] and consent.text_version == texts.CONTACT_VERSION

    client.force_login(world["officer"])
    page = _contact_text(client, accepted)
    assert PHONE in page and "陈静" in page
    access = PersonalDataAccess.objects.get()
    assert access.user == world["officer"] and access.fields == ["contact_name", "contact_phone"]
    assert access.subject_id == str(accepted.pk) and access.purpose == "need_detail"
    assert PHONE not in str(PersonalDataAccess.objects.values().get())


def test_others_see_masked_contact_even_after_consent(client, world, accepted):
    ContactConsent.objects.create(
        need=accepted,
        bank=world["branch"].bank,
        text="t",
        text_version="v",
        granted_by=world["member"],
    )
    for role in ("manager", "staff", "admin"):
        client.force_login(world[role])
        page = _contact_text(client, accepted)
        assert PHONE not in page and MASKED_PHONE in page, role
        api = client.get(f"/api/v1/needs/{accepted.pk}/").json()
        assert api["contact_phone"] == MASKED_PHONE and api["contact_name"] == "陈*", role
    client.force_login(world["other_officer"])
    assert client.get(reverse("needs:detail", args=[accepted.pk])).status_code == 404


def test_api_detail_and_list_follow_the_same_rule(client, world, accepted):
    client.force_login(world["officer"])
    assert client.get(f"/api/v1/needs/{accepted.pk}/").json()["contact_phone"] == MASKED_PHONE
    client.force_login(world["member"])
    assert client.post(reverse("privacy:contact_consent", args=[accepted.pk])).status_code == 302
    assert client.get("/api/v1/needs/").json()["results"][0]["contact_phone"] == PHONE
    client.force_login(world["officer"])
    detail = client.get(f"/api/v1/needs/{accepted.pk}/").json()
    assert detail["contact_phone"] == PHONE
    assert PersonalDataAccess.objects.filter(purpose="api_need").count() == 1
    # Lists show masked values to the bank: the clear number is one click (and one log) away.
    listing = client.get("/api/v1/needs/").json()["results"]
    assert listing[0]["contact_phone"] == MASKED_PHONE


def test_withdrawing_the_consent_masks_again(client, world, accepted):
    client.force_login(world["member"])
    client.post(reverse("privacy:contact_consent", args=[accepted.pk]))
    client.post(reverse("privacy:contact_consent", args=[accepted.pk]), {"withdraw": "1"})
    assert ContactConsent.objects.get().withdrawn_at is not None
    client.force_login(world["officer"])
    assert PHONE not in _contact_text(client, accepted)


def test_only_the_firm_can_consent(client, world, accepted):
    client.force_login(world["officer"])
    assert client.post(reverse("privacy:contact_consent", args=[accepted.pk])).status_code == 403
    client.force_login(world["other_member"])
    assert client.post(reverse("privacy:contact_consent", args=[accepted.pk])).status_code == 404
    assert not ContactConsent.objects.exists()


def test_masking_helpers():
    from portal.validators import mask_phone

    assert mask_phone(PHONE) == MASKED_PHONE
    assert mask_name("欧阳娜娜") == "欧***" and mask_name("") == ""
