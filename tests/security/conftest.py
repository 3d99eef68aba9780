"""The world of the security tests: two of everything, one per side.

Side A is the personas' firm in 岱岳区, its need routed to the persona ``branch`` (bank A), an
application to a 岱岳区 policy, drafts of 岱岳区's office. Side B mirrors it in 黄岛区/青岛市.
The matrix's roles are named relative to side A's objects: ``member`` is A's firm member,
``other_member`` B's; ``officer``/``manager`` work at A's routed branch, ``other_officer`` at B's
bank; ``staff`` is 岱岳区's, ``other_staff`` 青岛市's; ``admin`` is the platform admin.

Every object carries a marker text; :data:`World.markers` says which roles may see each, so that
any page shown to a role can be searched for markers it must not contain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from accounts.models import User
from banks.models import ButlerTeam, LeadBank
from tests.factories import ChainFactory, LoanProductFactory, PolicyFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLES = (
    "anonymous",
    "member",
    "other_member",
    "officer",
    "other_officer",
    "manager",
    "staff",
    "other_staff",
    "admin",
)
#: Roles on side A (they see A's objects), on side B, and the admin who sees both.
SIDE_A = frozenset({"member", "officer", "manager", "staff"})
SIDE_B = frozenset({"other_member", "other_officer", "other_staff"})
ADMIN = frozenset({"admin"})

NEED_DATA = {
    "amount_yuan": 3_000_000,
    "term_months": 12,
    "purpose": "working_capital",
    "guarantee_methods": ["credit", "mortgage"],
    "contact_name": "陈静",
    "contact_phone": "13805381234",
}


@dataclass
class World:
    users: dict[str, User | None]
    objects: dict[str, Any]
    #: marker text -> the roles that may see it
    markers: dict[str, frozenset[str]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.objects[name]

    def foreign_markers(self, role: str) -> list[str]:
        return [text for text, roles in self.markers.items() if role not in roles]


@pytest.fixture
def media(settings, tmp_path):
    """Stored files go to a fresh directory outside the project."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


def _submit_need(user: User, description: str, capture) -> Any:
    from needs.services import financing_need_submit

    with capture(execute=True):
        need = financing_need_submit(
            enterprise=user.enterprise,
            submitted_by=user,
            data={**NEED_DATA, "description": description},
            attachments=[SimpleUploadedFile("材料.pdf", PDF)],
        )
    need.refresh_from_db()
    return need


def _apply(user: User, policy) -> Any:
    from applications.services import policy_application_submit
    from tests.applications.helpers import MATERIALS

    files = [(m, SimpleUploadedFile(f"{m}.pdf", PDF)) for m in MATERIALS]
    return policy_application_submit(
        enterprise=user.enterprise,
        policy=policy,
        submitted_by=user,
        facts={},
        files=files,
        declaration=True,
    )


def _privacy_dashboard_calendar_objects(personas, regions, policy, other_policy) -> dict:
    """Real rows, one per side, for the addresses keyed by their own id: review and deletion
    requests, bulletins, jobs; and a working-day override (one calendar for every region)."""
    from datetime import date

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from dashboards.models import Bulletin, Job
    from privacy.services import deletion_request_create, review_request_create
    from workdays.models import WorkdayOverride

    objects = {}
    for side, member, staff, policy_, region in (
        ("", personas["member"], personas["staff"], policy, regions["daiyue"]),
        (
            "other_",
            personas["other_member"],
            personas["other_staff"],
            other_policy,
            regions["qingdao"],
        ),
    ):
        mark = "甲方" if not side else "乙方"
        objects[f"{side}review"] = review_request_create(
            enterprise=member.enterprise, policy=policy_, user=member, reason=f"{mark}复核理由标记"
        )
        objects[f"{side}deletion_request"] = deletion_request_create(
            enterprise=member.enterprise, user=member
        )
        bulletin = Bulletin(region=region, month=date(2026, 9, 1), data={})
        bulletin.pdf.save(f"{side}bulletin.pdf", ContentFile(PDF), save=False)
        bulletin.xlsx.save(f"{side}bulletin.xlsx", ContentFile(b"PK\x03\x04"), save=False)
        bulletin.save()
        objects[f"{side}bulletin"] = bulletin
        job = Job(
            kind=Job.Kind.DASHBOARD_EXPORT,
            status=Job.Status.DONE,
            progress=100,
            message=f"{mark}任务标记",
            requested_by=staff,
        )
        job.result.save(f"{side}export.xlsx", ContentFile(b"PK\x03\x04"), save=False)
        job.save()
        objects[f"{side}job"] = job
    # Dec 31 of this year, as it already is: shown on the calendar page, changes no deadline.
    day = date(timezone.localdate().year, 12, 31)
    objects["override"] = WorkdayOverride.objects.create(
        date=day, is_working_day=day.weekday() < 5, note="工作日调整标记"
    )
    return objects


@pytest.fixture
def world(personas, regions, media, django_capture_on_commit_callbacks) -> World:
    from catalogue.services import saved_search_create, saved_search_unsubscribe_token
    from tests.applications.helpers import make_policy

    capture = django_capture_on_commit_callbacks
    firm, other_firm = personas["firm"], personas["other_firm"]
    setup = {}
    for side, enterprise, region, branch in (
        ("", firm, regions["daiyue"], personas["branch"]),
        ("other_", other_firm, regions["huangdao"], personas["other_branch"]),
    ):
        chain = ChainFactory(region=region, name="新材料")
        setup[f"{side}chain"] = chain
        setup[f"{side}lead_bank"] = LeadBank.objects.create(chain=chain, branch=branch)
        setup[f"{side}butler_team"] = ButlerTeam.objects.create(
            name="金融管家团队", region=region, branch=branch
        )
        enterprise.industry_chain = chain
        enterprise.qualifications = ["tech_sme"]
        enterprise.annual_revenue_yuan = 32_000_000
        enterprise.save()

    users = {role: personas.get(role) for role in ROLES}

    need = _submit_need(personas["member"], "甲方需求标记说明", capture)
    other_need = _submit_need(personas["other_member"], "乙方需求标记说明", capture)
    assert need.assigned_branch_id == personas["branch"].pk, need.status
    assert other_need.assigned_branch_id == personas["other_branch"].pk, other_need.status

    policy = make_policy(regions["daiyue"], title="甲方区县奖补政策")
    other_policy = make_policy(regions["qingdao"], title="乙方市级奖补政策")
    application = _apply(personas["member"], policy)
    other_application = _apply(personas["other_member"], other_policy)

    draft_policy = PolicyFactory(
        key="sec-draft-a", region=regions["daiyue"], title="甲方草稿政策标记", publish=False
    )
    other_draft_policy = PolicyFactory(
        key="sec-draft-b", region=regions["qingdao"], title="乙方草稿政策标记", publish=False
    )
    draft_product = LoanProductFactory(
        key="sec-draft-a",
        region=regions["daiyue"],
        bank=personas["branch"].bank,
        name="甲方草稿产品标记",
        publish=False,
    )
    other_draft_product = LoanProductFactory(
        key="sec-draft-b",
        region=regions["qingdao"],
        bank=personas["other_branch"].bank,
        name="乙方草稿产品标记",
        publish=False,
    )
    saved = saved_search_create(
        user=personas["member"], kind="policy", params={"search": "贴息"}, name="甲方保存搜索标记"
    )
    other_saved = saved_search_create(
        user=personas["other_member"],
        kind="policy",
        params={"search": "贴息"},
        name="乙方保存搜索标记",
    )
    objects = {
        **personas,
        **setup,
        "need": need,
        "other_need": other_need,
        "attachment": need.attachments.get(),
        "other_attachment": other_need.attachments.get(),
        "policy": policy,
        "other_policy": other_policy,
        "application": application,
        "other_application": other_application,
        "application_file": application.files.order_by("pk").first(),
        "other_application_file": other_application.files.order_by("pk").first(),
        "draft_policy": draft_policy,
        "other_draft_policy": other_draft_policy,
        "draft_product": draft_product,
        "other_draft_product": other_draft_product,
        "saved": saved,
        "other_saved": other_saved,
        "unsubscribe_token": saved_search_unsubscribe_token(saved),
        **_privacy_dashboard_calendar_objects(personas, regions, policy, other_policy),
    }
    firm_a_sees = SIDE_A | ADMIN
    firm_b_sees = SIDE_B | ADMIN
    markers = {
        firm.name: firm_a_sees,
        firm.uscc: firm_a_sees,
        "甲方需求标记说明": firm_a_sees,
        other_firm.name: firm_b_sees,
        other_firm.uscc: firm_b_sees,
        "乙方需求标记说明": firm_b_sees,
        "甲方草稿政策标记": frozenset({"staff", "admin"}),
        "乙方草稿政策标记": frozenset({"other_staff", "admin"}),
        "甲方草稿产品标记": frozenset({"staff", "admin"}),
        "乙方草稿产品标记": frozenset({"other_staff", "admin"}),
        "甲方保存搜索标记": frozenset({"member"}),
        "乙方保存搜索标记": frozenset({"other_member"}),
        "甲方复核理由标记": frozenset({"member", "staff", "admin"}),
        "乙方复核理由标记": frozenset({"other_member", "other_staff", "admin"}),
        "甲方任务标记": frozenset({"staff"}),  # a job is its requester's alone
        "乙方任务标记": frozenset({"other_staff"}),
        "工作日调整标记": frozenset({"staff", "other_staff", "admin"}),
    }
    return World(users=users, objects=objects, markers=markers)


@pytest.fixture
def login_as(client):
    """Sign ``client`` in as a matrix role (``anonymous`` signs out)."""

    def _login(world: World, role: str):
        client.logout()
        user = world.users[role]
        if user is not None:
            client.force_login(user)
        return client

    return _login


@pytest.fixture
def api_token():
    """``Authorization`` header value for an API call as ``user`` (token auth: no CSRF)."""

    def _token(user: User | None) -> dict[str, str]:
        if user is None:
            return {}
        token, _ = Token.objects.get_or_create(user=user)
        return {"HTTP_AUTHORIZATION": f"Token {token.key}"}

    return _token
