"""Hypothesis against every form: each page that takes a POST gets arbitrary values for the
fields its form page renders (text, numbers, dates, control and right-to-left characters, very
long strings, files with odd names and bytes), as a role allowed to post there.

No answer may be a 5xx, and an answer that is not a redirect (the form came back with its errors)
must leave every table as it was: bad input changes nothing. Each POST runs in a savepoint that is
rolled back. The POST pages come from the authorisation matrix, so a new form page is fuzzed as
soon as it has its row there.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.conftest import World
from tests.security.matrix import OK, TABLE
from tests.security.rows import row_counts

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 5
ROLE_ORDER = ("member", "officer", "manager", "staff", "admin", "anonymous")
#: Sign-in pages are the accounts part's (lockout counts every failed POST); logging out ends
#: the session the other examples need.
NOT_FUZZED = {"login", "logout", "password_change", "admin"}
#: POST-only addresses and the page whose forms post to them.
FORM_PAGES: dict[str, Callable[[World, dict], str]] = {
    "needs:act": lambda w, kw: reverse("needs:detail", kwargs={"pk": kw["pk"]}),
    "applications:act": lambda w, kw: reverse("applications:detail", kwargs={"pk": kw["pk"]}),
    "enterprises:verify": lambda w, kw: reverse("enterprises:staff_list"),
    "notifications:mark_read": lambda w, kw: reverse("notifications:inbox"),
    "notifications:preferences": lambda w, kw: reverse("notifications:inbox"),
    "catalogue:saved_create": lambda w, kw: reverse("policies:list"),
    "catalogue:saved_delete": lambda w, kw: reverse("catalogue:saved_list"),
    "eligibility:save": lambda w, kw: reverse("eligibility:calculator") + "?region_code=370911",
    "privacy:export": lambda w, kw: reverse("privacy:my_data"),
    "privacy:deletion": lambda w, kw: reverse("privacy:my_data"),
    "privacy:contact_consent": lambda w, kw: reverse("needs:detail", kwargs={"pk": kw["need_id"]}),
    "workdays:override_set": lambda w, kw: reverse("workdays:calendar"),
    "workdays:schedule_enter": lambda w, kw: reverse("workdays:calendar"),
    "workdays:override_delete": lambda w, kw: reverse("workdays:calendar"),
    "privacy:staff_request_fulfil": lambda w, kw: reverse("privacy:staff_requests"),
    "regions:chain_delete": lambda w, kw: reverse("regions:chain_edit", kwargs=kw),
    "regions:lead_bank_add": lambda w, kw: reverse("regions:chain_edit", kwargs=kw),
    "regions:lead_bank_remove": lambda w, kw: reverse(
        "regions:chain_edit", kwargs={"pk": w["chain"].pk}
    ),
    "regions:team_delete": lambda w, kw: reverse("regions:team_edit", kwargs=kw),
    "dashboards:workbench_bulk": lambda w, kw: reverse("dashboards:workbench"),
    "dashboards:bulletin_generate": lambda w, kw: reverse("dashboards:assessment"),
    "applications:proactive": lambda w, kw: reverse(
        "policies:detail", kwargs={"pk": kw["policy_pk"]}
    ),
    "catalogue:staff_policy_publish": lambda w, kw: reverse(
        "catalogue:staff_policy_edit", kwargs=kw
    ),
    "catalogue:staff_policy_unpublish": lambda w, kw: reverse(
        "catalogue:staff_policy_edit", kwargs=kw
    ),
    "catalogue:staff_product_publish": lambda w, kw: reverse(
        "catalogue:staff_product_edit", kwargs=kw
    ),
    "catalogue:staff_product_unpublish": lambda w, kw: reverse(
        "catalogue:staff_product_edit", kwargs=kw
    ),
}
FIELD_RE = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.IGNORECASE)
NAME_RE = re.compile(r'\bname="([^"]+)"')
TYPE_RE = re.compile(r'\btype="([^"]+)"')

NASTY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e309",
        "NaN",
        "9" * 40,
        "2026-02-30",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "\u202eexe.pdf",
        "\x00",
        "名" * 5000,
        "138****1234",
        "true",
        "[]",
        "{}",
    ]
)
VALUES = st.one_of(
    NASTY_TEXT,
    st.text(max_size=60),
    st.integers(-(10**15), 10**15).map(str),
    st.dates().map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)
FILES = st.builds(
    lambda name, body: SimpleUploadedFile(name, body),
    st.sampled_from(["a.pdf", "截图.png", "x.pdf.exe", "../../x.docx", "bomb.xlsx", ""]).map(
        lambda n: n or "noname"
    ),
    st.binary(max_size=200).map(lambda b: b"%PDF-" + b if b[:1] == b"\x00" else b),
)


def form_fields(html: str) -> dict[str, str]:
    """name -> input type of the fields rendered on a page (the CSRF token left out)."""
    fields = {}
    for tag, attrs in FIELD_RE.findall(html):
        name = NAME_RE.search(attrs)
        if not name or name.group(1) == "csrfmiddlewaretoken":
            continue
        kind = TYPE_RE.search(attrs)
        fields[name.group(1)] = kind.group(1).lower() if kind else tag.lower()
    return fields


def _is_api(key: str) -> bool:
    return key.startswith("api-") or ("-" in key and ":" not in key)


def post_targets():
    for key, entry in sorted(TABLE.items()):
        if key in NOT_FUZZED or key.split(":")[0] in NOT_FUZZED:
            continue
        for case in entry.cases:
            post = case.expect.get("POST")
            if post is None or _is_api(key):  # API routes: test_api_fuzz (schemathesis)
                continue
            role = next((r for r in ROLE_ORDER if post.get(r) == OK), None)
            if role is not None:
                yield pytest.param(
                    key, case, role, id=f"{key}{'-' + case.label if case.label else ''}"
                )


def _fuzz(key, case, role, world: World, client, login_as) -> None:
    login_as(world, role)
    kwargs = case.kwargs(world)
    path = reverse(key, kwargs=kwargs)
    page = FORM_PAGES[key](world, kwargs) if key in FORM_PAGES else path
    shown = client.get(page, follow=True)
    assert shown.status_code == 200, (page, shown.status_code)
    html = shown["Content-Type"].startswith("text/html")
    fields = form_fields(shown.content.decode()) if html else {}
    # A page without a form still answers a POST: then only an unknown field is tried.
    names = sorted(fields) or ["unexpected"]
    fields = fields or {"unexpected": "text"}

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data):
        chosen = data.draw(st.lists(st.sampled_from(names), unique=True), label="fields")
        payload = {
            name: data.draw(FILES if fields[name] == "file" else VALUES, label=name)
            for name in chosen
        }
        with transaction.atomic():
            before = row_counts()
            response = client.post(path, payload)
            after = row_counts()
            transaction.set_rollback(True)
        assert response.status_code < 500, (path, payload, response.status_code)
        # A redirect or a download means the input was taken up; anything else is a refusal.
        taken_up = response.status_code in (301, 302, 303) or response.has_header(
            "Content-Disposition"
        )
        if not taken_up:
            changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
            assert not changed, (path, payload, response.status_code, changed)

    run()


def test_bad_form_input_is_refused_and_writes_nothing(world, client, login_as):
    """One world for every form (each POST is rolled back), every failure reported at once."""
    targets = list(post_targets())
    assert len(targets) > 40
    failures = []
    for target in targets:
        key, case, role = target.values
        try:
            _fuzz(key, case, role, world, client, login_as)
        except Exception as exc:  # collect, then report every form that failed
            failures.append(f"{target.id} as {role}: {exc!r}"[:2000])
    assert not failures, "\n\n".join(failures)
