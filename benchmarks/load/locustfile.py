"""Locust users of the load test (run by ``python -m benchmarks.load``, not by hand).

One user class; ``LOAD_ENDPOINT`` picks what it does: one endpoint alone (to measure its
throughput against the bare view's) or ``mixed`` (the weighted workload below).
"""

from __future__ import annotations

import json
import os
import random

from locust import FastHttpUser, constant, task

from benchmarks.load.workload import ENDPOINTS

CONFIG = json.loads(os.environ.get("LOAD_CONFIG_JSON", "{}"))
ENDPOINT = os.environ.get("LOAD_ENDPOINT", "mixed")
# Needs routed to the officer, each accepted once; shared by this process's users.
# (None during the warm-up, which only reads.)
OFFICER_NEEDS: list[int] = (
    list(CONFIG.get("officer_needs", [])) if CONFIG.get("accept", True) else []
)

NEED = {
    "amount_yuan": 2_000_000,
    "term_months": 12,
    "purpose": "working_capital",
    "guarantee_methods": ["credit"],
    "description": "负载测试：采购原材料",
    "contact_name": "陈静",
    "contact_phone": "13805381234",
}
FACTS = {
    "region_code": "370911",
    "annual_revenue_yuan": 32_000_000,
    "employees": 120,
    "qualifications": ["tech_sme"],
}


def _auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Token {CONFIG['tokens'][role]}"}


def _cookies(role: str) -> dict[str, str]:
    return {"Cookie": f"{CONFIG['session_cookie']}={CONFIG['sessions'][role]}"}


def _bare(user):
    user.client.get("/bench/bare/", name="bare")


def _page_floor(user):
    user.client.get("/bench/floor/page/", headers=_cookies("firm"), name="floor: page, signed in")


def _json_floor(user):
    user.client.get("/bench/floor/json/", headers=_auth("firm"), name="floor: json, token auth")


def _write_floor(user):
    user.client.post(
        "/bench/floor/write/", json={}, headers=_auth("firm"), name="floor: json, one write"
    )


def _policy_list(user):
    user.client.get("/policies/", name="page: policy list")


def _policy_detail(user):
    pk = random.choice(CONFIG["policies"])
    user.client.get(f"/policies/{pk}/", name="page: policy detail")


def _policy_search(user):
    term = random.choice(["贴息", "担保", "科技", "奖补", "人才"])
    user.client.get(f"/policies/?search={term}", name="page: policy search")


def _products(user):
    user.client.get("/products/", name="page: product list")


def _calculator(user):
    user.client.get("/calculator/", headers=_cookies("firm"), name="page: calculator")


def _officer_cases(user):
    user.client.get("/needs/", headers=_cookies("officer"), name="page: officer case list")


def _api_search(user):
    term = random.choice(["贴息", "担保", "科技", "奖补", "人才"])
    user.client.get(
        f"/api/v1/policies/?search={term}", headers=_auth("firm"), name="json: policy search"
    )


def _api_eligibility(user):
    user.client.post(
        "/api/v1/eligibility/",
        json={"facts": FACTS},
        headers=_auth("firm"),
        name="json: eligibility calculator",
    )


def _api_submit(user):
    user.client.post("/api/v1/needs/", json=NEED, headers=_auth("firm"), name="json: submit need")


def _api_officer_list(user):
    user.client.get("/api/v1/needs/", headers=_auth("officer"), name="json: officer case list")


def _api_officer_accept(user):
    if not OFFICER_NEEDS:  # every prepared need accepted: read one instead
        pk = random.choice(CONFIG["officer_needs"])
        user.client.get(f"/api/v1/needs/{pk}/", headers=_auth("officer"), name="json: officer case")
        return
    pk = OFFICER_NEEDS.pop()
    user.client.post(
        f"/api/v1/needs/{pk}/accept/",
        json={"note": "已接单"},
        headers=_auth("officer"),
        name="json: officer accept",
    )


REQUESTS = {
    "bare": _bare,
    "floor: page, signed in": _page_floor,
    "floor: json, token auth": _json_floor,
    "floor: json, one write": _write_floor,
    "page: policy list": _policy_list,
    "page: policy detail": _policy_detail,
    "page: policy search": _policy_search,
    "page: product list": _products,
    "page: calculator": _calculator,
    "page: officer case list": _officer_cases,
    "json: policy search": _api_search,
    "json: eligibility calculator": _api_eligibility,
    "json: submit need": _api_submit,
    "json: officer case list": _api_officer_list,
    "json: officer accept": _api_officer_accept,
}
assert REQUESTS.keys() == ENDPOINTS.keys()
MIXED = [name for name, (_, weight) in ENDPOINTS.items() if weight]
WEIGHTS = [ENDPOINTS[name][1] for name in MIXED]


class PortalUser(FastHttpUser):
    """A closed-loop client: the next request as soon as the last one answered."""

    wait_time = constant(0)

    @task
    def step(self) -> None:
        name = random.choices(MIXED, WEIGHTS)[0] if ENDPOINT == "mixed" else ENDPOINT
        REQUESTS[name](self)
