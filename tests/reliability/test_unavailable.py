"""While the database or Redis is down the web answers 503 with a Chinese message, never 500."""

import pytest
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from portal.middleware import backend_unavailable

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_database(monkeypatch):
    def fail(*args, **kwargs):
        raise OperationalError("connection to server failed: Connection refused")

    from django.db.models.sql.compiler import SQLCompiler

    monkeypatch.setattr(SQLCompiler, "execute_sql", fail)


def test_api_answers_503_json_when_the_database_is_down(client, personas, broken_database):
    client.raise_request_exception = False
    response = client.get("/api/v1/policies/", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "暂时不可用" in response.json()["detail"]
    assert "no-store" in response["Cache-Control"]


def test_pages_answer_503_html_when_the_database_is_down(client, broken_database):
    client.raise_request_exception = False
    response = client.get("/policies/")
    assert response.status_code == 503
    assert "服务暂时不可用" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


def test_errors_outside_views_are_503_too(rf):
    """handler500 sees the exception being handled: an outage raised by a middleware."""
    from portal.middleware import server_error

    request = rf.get("/needs/")
    try:
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")
    except RedisConnectionError:
        response = server_error(request)
    assert response.status_code == 503
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500


def test_only_backend_outages_count():
    from kombu.exceptions import OperationalError as BrokerError

    assert backend_unavailable(OperationalError("x"))
    assert backend_unavailable(BrokerError("x"))
    wrapped = RuntimeError("while saving")
    wrapped.__cause__ = RedisConnectionError("down")
    assert backend_unavailable(wrapped)
    assert not backend_unavailable(ValueError("x"))
    assert not backend_unavailable(None)
