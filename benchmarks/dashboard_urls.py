"""The portal's URLs plus the references the benchmarks measure against.

``/bench/bare/`` is a Django view that does nothing (the reference of every ratio). The floors
say what an endpoint pays before its own work: a signed-in page (session, user, the site's
layout with its navigation), an authenticated JSON endpoint (DRF, token authentication,
throttles, JSON rendering), and a write on top of that (one row inserted and committed durably),
so a ratio can be read against what the stack and the disk allow.
"""

from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.urls import urlpatterns as portal_urlpatterns

#: Run by the load test before the server starts; the write floor adds one row per request.
WRITE_FLOOR_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_write_floor"
    " (id bigserial PRIMARY KEY, user_id bigint NOT NULL, at timestamptz DEFAULT now())"
)


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_required
def page_floor(request: HttpRequest) -> HttpResponse:
    """A signed-in page of the site's layout with no content of its own."""
    return render(request, "base.html")


class JsonFloor(APIView):
    """An authenticated JSON answer that reads nothing."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class WriteFloor(APIView):
    """An authenticated JSON answer after one committed INSERT."""

    def post(self, request: Request) -> Response:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_write_floor (user_id) VALUES (%s)", [request.user.pk])
        return Response({"ok": True}, status=201)


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/floor/page/", page_floor),
    path("bench/floor/json/", JsonFloor.as_view()),
    path("bench/floor/write/", WriteFloor.as_view()),
    *portal_urlpatterns,
]
