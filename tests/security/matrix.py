"""The authorisation matrix: for every endpoint, method and role, the answer it must give.

Roles are named relative to side A's objects (see ``tests/security/conftest.py``): ``member`` owns
them, ``other_member`` is another firm's member, ``officer``/``manager`` work at the branch the
need is routed to, ``other_officer`` at another bank, ``staff`` is the region's, ``other_staff``
another region's. Expected answers:

``ok``        GET 200; a write is taken up (200/201/204, a redirect other than to the login page,
              400 for bad input or 409 for a step the state does not allow): never refused.
``login``     anonymous: a page redirects to the login page, the API answers 401/403.
``403``       the role may not use this endpoint at all.
``404``       the object is outside the role's scope (never 403: it does not exist for them).
``405``       the method is not allowed.
``redirect``  a redirect that is not to the login page (e.g. the landing page sends members home).

An endpoint the resolver knows but this table does not fails ``test_every_endpoint_has_an_entry``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.security.conftest import ADMIN, PDF, ROLES, SIDE_A, World

OK, LOGIN, DENY, NF, NA, REDIRECT = "ok", "login", "403", "404", "405", "redirect"
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
MEMBERS = frozenset({"member", "other_member"})
BANK = frozenset({"officer", "manager"})
STAFF = frozenset({"staff", "other_staff", "admin"})

Expect = dict[str, str]


def every(code: str) -> Expect:
    return dict.fromkeys(ROLES, code)


def signed_in(code: str = OK, *, anon: str = LOGIN) -> Expect:
    return {**dict.fromkeys(ROLES, code), "anonymous": anon}


def only(allowed: frozenset[str] | set[str], *, other: str = DENY, anon: str = LOGIN) -> Expect:
    """``allowed`` roles get in; the other signed-in roles get ``other``."""
    return {role: OK if role in allowed else other for role in SIGNED_IN} | {"anonymous": anon}


def scoped(
    visible: frozenset[str] | set[str],
    may: frozenset[str] | set[str] | None = None,
    *,
    anon: str = LOGIN,
) -> Expect:
    """An object ``visible`` roles see (others: 404); of those, ``may`` act (others: 403)."""
    expect = {"anonymous": anon}
    for role in SIGNED_IN:
        if role not in visible:
            expect[role] = NF
        elif may is None or role in may:
            expect[role] = OK
        else:
            expect[role] = DENY
    return expect


def missing(allowed: frozenset[str] | set[str], *, other: str = DENY) -> Expect:
    """An address of an object that does not exist: 404 to the roles that may use it."""
    return only(allowed, other=other) | {role: NF for role in allowed}


def post_only(post: Expect) -> dict[str, Expect]:
    """A ``require_POST`` view behind ``login_required``: GET is 405 once signed in."""
    return {"GET": signed_in(NA), "POST": post}


def same(expect: Expect) -> dict[str, Expect]:
    """A view that answers GET and POST alike (it does not look at the method)."""
    return {"GET": expect, "POST": expect}


@dataclass(frozen=True)
class Case:
    expect: dict[str, Expect]
    kwargs: Callable[[World], dict[str, Any]] = lambda w: {}
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    multipart: bool = False
    label: str = ""
    #: markers this address shows to whoever holds it (a signed link is the permission)
    reveals: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    cases: tuple[Case, ...] = field(default_factory=tuple)


def entry(*cases: Case) -> Entry:
    return Entry(cases=cases)


def _today() -> str:
    return timezone.localdate().isoformat()


NEED = lambda w: {"pk": w["need"].pk}  # noqa: E731
APPLICATION = lambda w: {"pk": w["application"].pk}  # noqa: E731
NEED_SEES = SIDE_A | ADMIN
BANKS = frozenset({"officer", "other_officer", "manager"})
NOT_FIRMS = SIGNED_IN - MEMBERS
NO_SUCH = 999_999
APPLICATION_SEES = frozenset({"member", "staff", "admin"})
A_STAFF = frozenset({"staff", "admin"})
B_STAFF = frozenset({"other_staff", "admin"})

# --- API steps: (url name, serializer payload, the roles that may take the step) ---------------
NEED_STEPS: dict[str, tuple[Callable[[World], dict], frozenset[str]]] = {
    "need-accept": (lambda w: {"note": ""}, BANK),
    "need-contact": (lambda w: {"channel": "phone", "note": "电话联系"}, BANK),
    "need-request-materials": (lambda w: {"items": "营业执照", "note": ""}, BANK),
    "need-propose": (
        lambda w: {
            "product": "测试贷",
            "amount_yuan": 1_000_000,
            "rate_percent": "4.00",
            "term_months": 12,
            "note": "",
        },
        BANK,
    ),
    "need-approve": (lambda w: {"amount_yuan": 1_000_000, "note": ""}, BANK),
    "need-disburse": (
        lambda w: {"amount_yuan": 1_000_000, "disbursed_on": _today(), "note": ""},
        BANK,
    ),
    "need-decline": (lambda w: {"reason": "quota", "note": "额度已满"}, BANK),
    "need-transfer": (lambda w: {"officer": w["manager"].pk, "note": ""}, BANK),
    "need-assign-officer": (
        lambda w: {"officer": w["officer"].pk, "note": ""},
        frozenset({"manager"}),
    ),
    "need-staff-assign": (lambda w: {"branch": w["branch"].pk, "note": ""}, A_STAFF),
    "need-withdraw": (lambda w: {"note": ""}, frozenset({"member"})),
    "need-another-bank": (lambda w: {"note": ""}, frozenset({"member"})),
    "need-rate": (lambda w: {"score": 5, "comment": ""}, frozenset({"member"})),
    "need-comment": (lambda w: {"text": "请尽快联系"}, NEED_SEES),
}
APPLICATION_STEPS: dict[str, tuple[Callable[[World], dict], frozenset[str]]] = {
    "application-confirm": (lambda w: {"declaration": True}, frozenset({"member"})),
    "application-resubmit": (
        lambda w: {"facts": {}, "note": "已补充说明"},
        frozenset({"member"}),
    ),
    "application-withdraw": (lambda w: {"note": ""}, frozenset({"member"})),
    "application-accept": (lambda w: {"note": ""}, A_STAFF),
    "application-return-for-correction": (lambda w: {"items": "补充报表"}, A_STAFF),
    "application-approve": (
        lambda w: {"amount_yuan": 100_000, "reason": "按核定额度"},
        A_STAFF,
    ),
    "application-reject": (lambda w: {"reason": "不符合条件"}, A_STAFF),
    "application-publicize": (lambda w: {"ends_on": "2026-12-31", "note": ""}, A_STAFF),
    "application-pay": (
        lambda w: {"amount_yuan": 100_000, "paid_on": _today(), "note": ""},
        A_STAFF,
    ),
    "application-comment": (lambda w: {"text": "请补充"}, APPLICATION_SEES),
}


def _steps(steps, kwargs, sees) -> dict[str, Entry]:
    return {
        name: entry(Case({"POST": scoped(sees, may)}, kwargs=kwargs, data=data))
        for name, (data, may) in steps.items()
    }


TABLE: dict[str, Entry] = {
    # --- portal ----------------------------------------------------------------------------
    "landing": entry(Case(same(signed_in(REDIRECT, anon=OK)))),
    "home": entry(Case(same(signed_in()))),
    "health": entry(Case(same(every(OK)))),
    "login": entry(Case(same(every(OK)))),
    "logout": entry(Case({"GET": every(NA), "POST": every(REDIRECT)})),
    "password_change": entry(Case(same(signed_in()))),
    "password_change_done": entry(Case({"GET": signed_in(), "POST": signed_in(NA)})),
    # --- enterprises -----------------------------------------------------------------------
    "enterprises:register": entry(Case(same(every(OK)))),
    "enterprises:profile": entry(Case(same(only(MEMBERS)))),
    "enterprises:staff_list": entry(Case(same(only(STAFF)))),
    "enterprises:verify": entry(
        Case(
            post_only({**only(STAFF), "other_staff": NF}),
            kwargs=lambda w: {"pk": w["firm"].pk},
        )
    ),
    # --- notifications ---------------------------------------------------------------------
    "notifications:inbox": entry(Case(same(signed_in()))),
    "notifications:mark_read": entry(Case(post_only(signed_in()))),
    "notifications:preferences": entry(Case(post_only(signed_in()))),
    # --- needs -----------------------------------------------------------------------------
    "needs:list": entry(Case(same(signed_in()))),
    "needs:submit": entry(Case(same(only(MEMBERS)))),
    "needs:detail": entry(Case(same(scoped(NEED_SEES)), kwargs=NEED)),
    "needs:attachment": entry(
        Case(
            same(scoped(NEED_SEES)),
            kwargs=lambda w: {"pk": w["need"].pk, "attachment_id": w["attachment"].pk},
        ),
        Case(  # another need's file through this need's address
            same(scoped(frozenset())),
            kwargs=lambda w: {"pk": w["need"].pk, "attachment_id": w["other_attachment"].pk},
            label="foreign file",
        ),
    ),
    "needs:act": entry(
        Case(
            post_only(scoped(NEED_SEES)),
            kwargs=lambda w: {"pk": w["need"].pk, "action": "comment"},
            data=lambda w: {"comment-text": "请尽快联系"},
            label="comment",
        ),
        Case(
            post_only(scoped(NEED_SEES, BANK)),
            kwargs=lambda w: {"pk": w["need"].pk, "action": "accept"},
            data=lambda w: {"accept-note": ""},
            label="accept",
        ),
    ),
    # --- applications ----------------------------------------------------------------------
    "applications:list": entry(Case(same(only(MEMBERS | STAFF)))),
    "applications:apply": entry(
        Case(  # the member's firm already applied: it is sent to its open application
            {"GET": {**only(MEMBERS), "member": REDIRECT}, "POST": only(MEMBERS)},
            kwargs=lambda w: {"policy_pk": w["policy"].pk},
        )
    ),
    "applications:proactive": entry(
        Case(
            post_only({**only(STAFF), "other_staff": NF}),
            kwargs=lambda w: {"policy_pk": w["policy"].pk},
        )
    ),
    "applications:detail": entry(Case(same(scoped(APPLICATION_SEES)), kwargs=APPLICATION)),
    "applications:file": entry(
        Case(
            same(scoped(APPLICATION_SEES)),
            kwargs=lambda w: {"pk": w["application"].pk, "file_id": w["application_file"].pk},
        ),
        Case(
            same(scoped(frozenset())),
            kwargs=lambda w: {
                "pk": w["application"].pk,
                "file_id": w["other_application_file"].pk,
            },
            label="foreign file",
        ),
    ),
    "applications:act": entry(
        Case(
            post_only(scoped(APPLICATION_SEES)),
            kwargs=lambda w: {"pk": w["application"].pk, "action": "comment"},
            data=lambda w: {"comment-text": "请补充"},
            label="comment",
        ),
        Case(
            post_only(scoped(APPLICATION_SEES, A_STAFF)),
            kwargs=lambda w: {"pk": w["application"].pk, "action": "accept"},
            data=lambda w: {"accept-note": ""},
            label="accept",
        ),
    ),
    # --- public catalogue ------------------------------------------------------------------
    "policies:list": entry(Case(same(every(OK)))),
    "policies:detail": entry(
        Case(same(every(OK)), kwargs=lambda w: {"pk": w["policy"].pk}, label="published"),
        Case(
            same(scoped(A_STAFF, anon=NF)),
            kwargs=lambda w: {"pk": w["draft_policy"].pk},
            label="draft",
        ),
    ),
    "banks:product_list": entry(Case(same(every(OK)))),
    "banks:product_detail": entry(
        Case(
            same(scoped(A_STAFF, anon=NF)),
            kwargs=lambda w: {"pk": w["draft_product"].pk},
            label="draft",
        ),
    ),
    "catalogue:compendium": entry(
        Case(same(every(OK)), kwargs=lambda w: {"region_code": "370911"})
    ),
    # --- catalogue administration (staff pages answer 404 to others) -------------------------
    "catalogue:staff_index": entry(Case(same(only(STAFF, other=NF)))),
    "catalogue:staff_policy_create": entry(Case(same(only(STAFF, other=NF)))),
    "catalogue:staff_product_create": entry(Case(same(only(STAFF, other=NF)))),
    "catalogue:staff_import": entry(Case(same(only(STAFF, other=NF)))),
    "catalogue:staff_export": entry(Case(same(only(STAFF, other=NF)))),
    "catalogue:staff_policy_edit": entry(
        Case(same(scoped(A_STAFF)), kwargs=lambda w: {"pk": w["draft_policy"].pk})
    ),
    "catalogue:staff_product_edit": entry(
        Case(same(scoped(A_STAFF)), kwargs=lambda w: {"pk": w["draft_product"].pk})
    ),
    **{
        f"catalogue:staff_{kind}_{verb}": entry(
            Case(
                post_only(scoped(A_STAFF)),
                kwargs=lambda w, kind=kind: {"pk": w[f"draft_{kind}"].pk},
            )
        )
        for kind in ("policy", "product")
        for verb in ("publish", "unpublish")
    },
    # --- saved searches and calculations ---------------------------------------------------
    "catalogue:saved_list": entry(Case(same(signed_in()))),
    "catalogue:saved_create": entry(Case(post_only(signed_in()))),
    "catalogue:saved_delete": entry(
        Case(post_only(scoped({"member"})), kwargs=lambda w: {"pk": w["saved"].pk})
    ),
    "catalogue:unsubscribe": entry(
        Case(
            same(every(OK)),
            kwargs=lambda w: {"token": w["unsubscribe_token"]},
            reveals=("甲方保存搜索标记",),
        ),
        Case(same(every(NF)), kwargs=lambda w: {"token": "forged-token"}, label="forged"),
    ),
    "eligibility:calculator": entry(Case(same(every(OK)))),
    "eligibility:save": entry(Case(post_only(only(MEMBERS)))),
    "eligibility:saved": entry(Case(same(signed_in()))),
    # --- accounts: second factor ------------------------------------------------------------
    # Without a password step pending, the verification page sends everyone to the login page.
    "accounts:otp_verify": entry(Case(same(every(LOGIN)))),
    "accounts:otp_settings": entry(Case(same(only(NOT_FIRMS)))),
    # --- audit and privacy -----------------------------------------------------------------
    "audit:list": entry(Case({"GET": only(STAFF), "POST": signed_in(NA)})),
    "privacy:my_data": entry(Case(same(only(MEMBERS)))),
    "privacy:export": entry(Case(post_only(only(MEMBERS)))),
    "privacy:deletion": entry(Case(post_only(only(MEMBERS)))),
    "privacy:contact_consent": entry(
        Case(post_only(scoped(NEED_SEES, {"member"})), kwargs=lambda w: {"need_id": w["need"].pk})
    ),
    "privacy:review_request": entry(
        Case(same(only(MEMBERS)), kwargs=lambda w: {"policy_id": w["policy"].pk})
    ),
    "privacy:staff_reviews": entry(Case(same(only(STAFF)))),
    "privacy:staff_review_answer": entry(
        Case(
            same({**only(STAFF), "other_staff": NF}),
            kwargs=lambda w: {"pk": w["review"].pk},
            data=lambda w: {"answer": "经人工复核，维持测算结果。"},
            label="own",
        ),
        Case(
            same({**only(STAFF), "staff": NF}),
            kwargs=lambda w: {"pk": w["other_review"].pk},
            data=lambda w: {"answer": "经人工复核，维持测算结果。"},
            label="other",
        ),
        Case(same(missing(STAFF)), kwargs=lambda w: {"pk": NO_SUCH}, label="missing"),
    ),
    "privacy:staff_requests": entry(Case(same(only(STAFF)))),
    "privacy:staff_request_fulfil": entry(
        Case(
            post_only({**only(STAFF), "other_staff": NF}),
            kwargs=lambda w: {"pk": w["deletion_request"].pk},
            label="own",
        ),
        Case(
            post_only({**only(STAFF), "staff": NF}),
            kwargs=lambda w: {"pk": w["other_deletion_request"].pk},
            label="other",
        ),
        Case(post_only(missing(STAFF)), kwargs=lambda w: {"pk": NO_SUCH}, label="missing"),
    ),
    # --- bank and district pages -----------------------------------------------------------
    "needs:released": entry(Case(same(only(BANKS, other=NF)))),
    "dashboards:home": entry(Case(same({**signed_in(REDIRECT), "member": NF, "other_member": NF}))),
    "dashboards:workbench": entry(Case(same(only(BANKS, other=NF)))),
    "dashboards:workbench_bulk": entry(Case(post_only(only(BANKS, other=NF)))),
    "dashboards:branch": entry(Case(same(only({"manager"}, other=NF)))),
    "dashboards:district": entry(Case(same(only(NOT_FIRMS, other=NF)))),
    # The platform admin has no region of its own to assess or write a bulletin for.
    "dashboards:assessment": entry(
        Case({"GET": only(STAFF, other=NF), "POST": only({"staff", "other_staff"}, other=NF)})
    ),
    "dashboards:bulletin_generate": entry(
        Case(post_only(only({"staff", "other_staff"}, other=NF)))
    ),
    "dashboards:bulletin_download": entry(
        *(
            Case(
                same(scoped(sees)),
                kwargs=lambda w, name=name, fmt=fmt: {"pk": w[name].pk, "fmt": fmt},
                label=f"{name} {fmt}",
            )
            for name, sees in (("bulletin", A_STAFF), ("other_bulletin", B_STAFF))
            for fmt in ("pdf", "xlsx")
        ),
        Case(
            same(signed_in(NF)),
            kwargs=lambda w: {"pk": w["bulletin"].pk, "fmt": "exe"},
            label="unknown format",
        ),
        Case(same(signed_in(NF)), kwargs=lambda w: {"pk": NO_SUCH, "fmt": "pdf"}, label="missing"),
    ),
    "dashboards:job_start": entry(Case(post_only(signed_in(NF)))),
    # A job is its requester's alone: another staff member, even the admin, gets 404.
    **{
        f"dashboards:{name}": entry(
            Case(same(scoped({"staff"})), kwargs=lambda w: {"pk": w["job"].pk}, label="own"),
            Case(
                same(scoped({"other_staff"})),
                kwargs=lambda w: {"pk": w["other_job"].pk},
                label="other",
            ),
            Case(same(signed_in(NF)), kwargs=lambda w: {"pk": NO_SUCH}, label="missing"),
        )
        for name in ("job", "job_download")
    },
    # --- working-day calendar and district set-up (others: 404) ------------------------------
    "workdays:calendar": entry(Case(same(only(STAFF, other=NF)))),
    "workdays:override_set": entry(Case(post_only(only(STAFF, other=NF)))),
    # One calendar for the whole country: every district's staff keeps it, nobody else sees it.
    "workdays:override_delete": entry(
        Case(
            post_only(only(STAFF, other=NF)),
            kwargs=lambda w: {"pk": w["override"].pk},
            label="existing",
        ),
        Case(post_only(signed_in(NF)), kwargs=lambda w: {"pk": NO_SUCH}, label="missing"),
    ),
    "workdays:schedule_enter": entry(Case(post_only(only(STAFF, other=NF)))),
    "regions:chains": entry(Case(same(only(STAFF, other=NF)))),
    "regions:chain_new": entry(Case(same(only(STAFF, other=NF)))),
    "regions:chain_edit": entry(
        Case(same(scoped(A_STAFF)), kwargs=lambda w: {"pk": w["chain"].pk})
    ),
    "regions:chain_delete": entry(
        Case(post_only(scoped(A_STAFF)), kwargs=lambda w: {"pk": w["chain"].pk})
    ),
    "regions:lead_bank_add": entry(
        Case(post_only(scoped(A_STAFF)), kwargs=lambda w: {"pk": w["chain"].pk})
    ),
    "regions:lead_bank_remove": entry(
        Case(post_only(scoped(A_STAFF)), kwargs=lambda w: {"pk": w["lead_bank"].pk})
    ),
    "regions:teams": entry(Case(same(only(STAFF, other=NF)), kwargs=lambda w: {"kind": "butler"})),
    "regions:team_new": entry(
        Case(same(only(STAFF, other=NF)), kwargs=lambda w: {"kind": "butler"})
    ),
    "regions:team_edit": entry(
        Case(
            same(scoped(A_STAFF)),
            kwargs=lambda w: {"kind": "butler", "pk": w["butler_team"].pk},
        )
    ),
    "regions:team_delete": entry(
        Case(
            post_only(scoped(A_STAFF)),
            kwargs=lambda w: {"kind": "butler", "pk": w["butler_team"].pk},
        )
    ),
    # --- API -------------------------------------------------------------------------------
    "api-root": entry(Case({"GET": signed_in()})),
    "api-schema": entry(Case({"GET": every(OK)})),
    "api-docs": entry(Case({"GET": every(OK)})),
    "api-redoc": entry(Case({"GET": every(OK)})),
    "api-token-login": entry(Case({"POST": every(OK)}, data=lambda w: {"username": "x"})),
    "api-token-logout": entry(Case({"POST": signed_in()})),
    **{
        f"api-stats{suffix}": entry(Case({"GET": only(NOT_FIRMS, other=NF)}, kwargs=kwargs))
        for suffix, kwargs in (
            ("", lambda w: {}),
            ("-summary", lambda w: {}),
            ("-by", lambda w: {"dimension": "bank"}),
            ("-declines", lambda w: {}),
            ("-overdue", lambda w: {}),
        )
    },
    **{
        f"api-stats-{name}": entry(Case({"GET": only(STAFF, other=NF)}))
        for name in ("applications", "catalogue", "assessment")
    },
    "api-facts": entry(Case({"GET": every(OK)})),
    "api-eligibility": entry(Case({"POST": every(OK)}, data=lambda w: {"facts": {}})),
    "api-product-match": entry(Case({"POST": every(OK)}, data=lambda w: {"facts": {}})),
    "policy-list": entry(Case({"GET": every(OK)})),
    "policy-detail": entry(
        Case({"GET": every(OK)}, kwargs=lambda w: {"pk": w["policy"].pk}, label="published"),
        Case({"GET": every(NF)}, kwargs=lambda w: {"pk": w["draft_policy"].pk}, label="draft"),
    ),
    "product-list": entry(Case({"GET": every(OK)})),
    "product-detail": entry(
        Case({"GET": every(NF)}, kwargs=lambda w: {"pk": w["draft_product"].pk}, label="draft")
    ),
    "enterprise-list": entry(Case({"GET": signed_in()})),
    "enterprise-detail": entry(
        Case({"GET": scoped({"member", "staff", "admin"})}, kwargs=lambda w: {"pk": w["firm"].pk})
    ),
    "enterprise-me": entry(
        Case(
            {"GET": only(MEMBERS, other=NF), "PATCH": only(MEMBERS, other=NF)},
            data=lambda w: {"employees": 60},
        )
    ),
    "enterprise-register": entry(Case({"POST": every(OK)})),
    "need-list": entry(
        Case({"GET": signed_in(), "POST": only(MEMBERS)}, data=lambda w: {"amount_yuan": 1})
    ),
    "need-detail": entry(Case({"GET": scoped(NEED_SEES)}, kwargs=NEED)),
    "need-materials": entry(
        Case(
            {"POST": scoped(NEED_SEES, {"member"})},
            kwargs=NEED,
            data=lambda w: {"note": "", "files": SimpleUploadedFile("补充.pdf", PDF)},
            multipart=True,
        )
    ),
    **_steps(NEED_STEPS, NEED, NEED_SEES),
    "application-list": entry(
        Case({"GET": signed_in(), "POST": only(MEMBERS)}, data=lambda w: {"declaration": True})
    ),
    "application-detail": entry(Case({"GET": scoped(APPLICATION_SEES)}, kwargs=APPLICATION)),
    **_steps(APPLICATION_STEPS, APPLICATION, APPLICATION_SEES),
}

#: Namespaces whose every endpoint follows one rule, checked on every route the resolver lists.
#: The admin site lets in active ``is_staff`` users only (here: the platform admin); everyone else
#: is sent to its login page.
NAMESPACE_RULES = {"admin"}
