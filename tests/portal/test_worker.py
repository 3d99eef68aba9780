"""The broker and a real worker: the embedded filesystem broker by default, Redis when REDIS_URL is set."""

import uuid

import pytest
from django.conf import settings

from portal.celery import app
from portal.tasks import ping

pytestmark = pytest.mark.worker


def test_a_task_crosses_the_broker_to_a_real_worker(real_tasks):
    worker = real_tasks
    token = uuid.uuid4().hex
    result = ping.apply_async(args=[token])
    log = worker.wait_for(f"Task portal.tasks.ping[{result.id}] succeeded")
    assert token in log
    expected = "redis" if settings.REDIS_URL else "filesystem"
    assert app.connection_for_write().transport_cls == expected or expected in str(
        app.conf.broker_url
    )


def test_celery_is_configured_for_reliability():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    if settings.REDIS_URL:
        assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_tasks_sent_from_another_thread_use_the_portal_app():
    """runserver and the live test server handle requests in threads; they must not fall back to
    Celery's default app (and its AMQP broker)."""
    import threading

    seen = {}

    def probe():
        seen["app"] = ping.app.main
        seen["broker"] = ping.app.conf.broker_url

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    assert seen["app"] == "portal"
    assert seen["broker"] == app.conf.broker_url
