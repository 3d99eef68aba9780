"""The authorisation matrix, generated from the URL resolver (table: tests/security/matrix.py).

Every endpoint and method is called as every role, on side A's objects; each answer must be the
table's. Every page a role is shown is searched for the markers of objects that role may not see,
so a list that leaks a foreign row fails whatever its status. Each call runs in a savepoint that
is rolled back, so a step taken by one role does not change what the next one finds.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse

from tests.security.conftest import ROLES, World
from tests.security.matrix import (
    DENY,
    LOGIN,
    NA,
    NAMESPACE_RULES,
    NF,
    OK,
    REDIRECT,
    TABLE,
    Case,
)
from tests.security.urlmap import Endpoint, endpoints, first_alternative, path_of

pytestmark = pytest.mark.django_db

REDIRECTS = (301, 302, 303)
TAKEN_UP = (200, 201, 204, 400, 409)


def _is_login_redirect(response, login_path: str) -> bool:
    return response.status_code in REDIRECTS and response["Location"].split("?")[0].endswith(
        login_path
    )


def verdict(response, expected: str, *, method: str, is_api: bool) -> str | None:
    """None when ``response`` is the ``expected`` answer, else what was wrong."""
    status = response.status_code
    login_path = reverse(settings.LOGIN_URL)
    if status >= 500:
        return f"server error {status}"
    if expected == OK:
        if method == "GET":
            good = status == 200
        else:
            good = status in TAKEN_UP or (
                status in REDIRECTS and not _is_login_redirect(response, login_path)
            )
    elif expected == LOGIN:
        good = status in (401, 403) if is_api else _is_login_redirect(response, login_path)
    elif expected == REDIRECT:
        good = status in REDIRECTS and not _is_login_redirect(response, login_path)
    else:
        good = status == int(expected)
    if good:
        return None
    where = f" -> {response['Location']}" if status in REDIRECTS else ""
    return f"expected {expected}, got {status}{where}"


def _body(response) -> str:
    if isinstance(response, FileResponse | StreamingHttpResponse):
        return ""
    content_type = response.get("Content-Type", "")
    if not content_type.startswith(("text/", "application/json")):
        return ""
    return response.content.decode("utf-8", "replace")


def call(client, method: str, path: str, data: dict[str, Any], *, is_api: bool, multipart: bool):
    """One request in a savepoint that is rolled back afterwards."""
    with transaction.atomic():
        if method == "GET":
            response = client.get(path)
        elif method == "POST" and (multipart or not is_api):
            response = client.post(path, data)
        else:
            response = client.generic(
                method, path, json.dumps(data), content_type="application/json"
            )
        transaction.set_rollback(True)
    return response


def _endpoint_map() -> dict[str, Endpoint]:
    return {endpoint.key: endpoint for endpoint in endpoints()}


def test_every_endpoint_has_an_entry():
    """A new URL, or a new method on one, needs its row in the matrix before it can ship."""
    problems = []
    found = _endpoint_map()
    for key, endpoint in found.items():
        if endpoint.namespace in NAMESPACE_RULES:
            continue
        entry = TABLE.get(key)
        if entry is None:
            problems.append(f"no entry for {endpoint} [{', '.join(endpoint.methods)}]")
            continue
        covered = {method for case in entry.cases for method in case.expect}
        for method in endpoint.methods:
            if method not in covered:
                problems.append(f"no {method} row for {endpoint}")
        if endpoint.is_api:
            for method in covered - set(endpoint.methods):
                problems.append(f"{endpoint} has no {method} (stale row)")
        for case in entry.cases:
            for method, by_role in case.expect.items():
                if set(by_role) != set(ROLES):
                    problems.append(f"{key} {method}: roles {sorted(set(ROLES) - set(by_role))}")
    for key in sorted(set(TABLE) - set(found)):
        problems.append(f"stale entry {key!r}: the resolver has no such endpoint")
    assert not problems, "tests/security/matrix.py TABLE is out of date:\n" + "\n".join(problems)


def _run_case(client, login_as, world: World, endpoint: Endpoint, case: Case) -> list[str]:
    failures = []
    path = reverse(endpoint.key, kwargs=case.kwargs(world))
    for role in ROLES:
        login_as(world, role)
        foreign = [m for m in world.foreign_markers(role) if m not in case.reveals]
        for method, by_role in case.expect.items():
            expected = by_role[role]
            try:
                response = call(
                    client,
                    method,
                    path,
                    case.data(world) if method != "GET" else {},
                    is_api=endpoint.is_api,
                    multipart=case.multipart,
                )
            except Exception as exc:  # a crash is a 500 in production: report it with the row
                failures.append(f"{method} {path} as {role}: raised {exc!r}")
                continue
            problem = verdict(response, expected, method=method, is_api=endpoint.is_api)
            label = f" [{case.label}]" if case.label else ""
            if problem:
                failures.append(f"{method} {path}{label} as {role}: {problem}")
            body = _body(response)
            leaked = [marker for marker in foreign if marker in body]
            if leaked:
                failures.append(f"{method} {path}{label} as {role}: shows foreign {leaked}")
    return failures


@pytest.mark.parametrize("key", sorted(TABLE))
def test_matrix(key, world, client, login_as):
    endpoint = _endpoint_map().get(key)
    assert endpoint is not None, f"{key} is not routed (see test_every_endpoint_has_an_entry)"
    failures = []
    for case in TABLE[key].cases:
        failures += _run_case(client, login_as, world, endpoint, case)
    assert not failures, "\n".join(failures)


def _admin_kwargs(endpoint: Endpoint) -> dict[str, str]:
    values = {
        "object_id": "999999",
        "id": "999999",
        "content_type_id": "999999",
        "url": "no-such-page/",
    }
    kwargs = {}
    for param in endpoint.params:
        kwargs[param] = values.get(param) or first_alternative(endpoint, param)
    return kwargs


def test_admin_site_only_lets_in_the_platform_admin(world, client, login_as):
    """Every admin route, as a rule: others are sent to the admin login and see nothing."""
    admin_login = reverse("admin:login")
    failures = []
    admin_endpoints = [e for e in endpoints() if e.namespace == "admin"]
    assert len(admin_endpoints) > 20
    for role in ("anonymous", "member", "officer", "staff", "admin"):
        login_as(world, role)
        foreign = world.foreign_markers(role)
        for endpoint in admin_endpoints:
            path = path_of(endpoint, _admin_kwargs(endpoint))
            response = call(client, "GET", path, {}, is_api=False, multipart=False)
            status = response.status_code
            if endpoint.key == "admin:logout":  # GET signs nobody out: refused or sent away
                good = status == 405 or status in REDIRECTS
            elif endpoint.key == "admin:login":
                good = status == 200 or (role == "admin" and status in REDIRECTS)
            elif role == "admin":
                good = status < 500 and not _is_login_redirect(response, admin_login)
            else:
                good = _is_login_redirect(response, admin_login)
            if not good:
                failures.append(f"GET {path} as {role}: {status}")
            leaked = [marker for marker in foreign if marker in _body(response)]
            if leaked:
                failures.append(f"GET {path} as {role}: shows foreign {leaked}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_api_methods_outside_the_routes_are_refused(method, world, client, login_as):
    """No API route answers a write method it does not declare with anything but a refusal."""
    failures = []
    login_as(world, "admin")
    for endpoint in endpoints():
        if not endpoint.is_api or method in endpoint.methods:
            continue
        kwargs = {param: "1" for param in endpoint.params}
        path = reverse(endpoint.key, kwargs=kwargs)
        response = call(client, method, path, {"status": "approved"}, is_api=True, multipart=False)
        if response.status_code not in (403, 404, 405):
            failures.append(f"{method} {path}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_codes_used_by_the_table_are_known():
    known = {OK, LOGIN, DENY, NF, NA, REDIRECT}
    used = {
        code
        for entry in TABLE.values()
        for case in entry.cases
        for by_role in case.expect.values()
        for code in by_role.values()
    }
    assert used <= known, used - known
