"""Schemathesis, in-process, against the OpenAPI schema at /api/v1/schema/, for every role.

Every operation of the schema gets generated requests (valid and invalid bodies, queries and
paths; a path ``id`` is drawn from real objects of both sides as often as from random numbers),
sent through the WSGI app with the role's token. No answer may be a 5xx, every documented answer
must match its schema, and a refused write (4xx) must leave every table as it was. Each request
runs in a savepoint that is rolled back, so one example cannot prepare the next.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.security.conftest import ROLES, World
from tests.security.rows import row_counts

pytestmark = pytest.mark.django_db

#: Examples per operation, role and mode (valid, and invalid for writes): 9 roles x ~45
#: operations x 1-2 modes x this keeps the whole run to a few minutes on two cores.
MAX_EXAMPLES = 2


@pytest.fixture
def wsgi_app():
    """The project's WSGI app, called in-process like Django's test client calls it: without
    closing the test's database connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _ids(world: World) -> list[int]:
    names = ("need", "other_need", "application", "other_application", "firm", "other_firm")
    return sorted({world[name].pk for name in names} | {world["policy"].pk})


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


@pytest.mark.parametrize("role", ROLES)
def test_api_answers_by_the_schema_for_every_role(role, world, wsgi_app, api_token):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app)
    user = world.users[role]
    headers = {}
    if user is not None:
        headers["Authorization"] = api_token(user)["HTTP_AUTHORIZATION"]
    real_ids = _ids(world)
    operations = list(_operations(schema))
    assert len(operations) > 30
    failures: list[str] = []

    for operation in operations:
        modes = [GenerationMode.POSITIVE]
        if operation.method.upper() != "GET":  # invalid bodies matter where something is written
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy, pk=st.one_of(st.sampled_from(real_ids), st.integers(1, 10**6)))
            def run(case, pk):
                for name in ("id", "pk"):
                    if name in (case.path_parameters or {}):
                        case.path_parameters[name] = pk
                writes = case.method.upper() != "GET"
                with transaction.atomic():
                    before = row_counts() if writes else {}
                    response = case.call(headers=headers)
                    after = row_counts() if writes else {}
                    transaction.set_rollback(True)
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )
                if response.status_code >= 400 and after != before:
                    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                    raise AssertionError(
                        f"{case.method} {case.formatted_path} answered "
                        f"{response.status_code} but wrote {changed}"
                    )

            try:
                run()
            except Unsatisfiable:  # no input of this operation can be made invalid: nothing to try
                continue
            except Exception as exc:  # collect every operation's failure, then report them all
                failures.append(f"{operation.label} [{mode.value}] as {role}: {exc}")
    assert not failures, "\n\n".join(failures)
