"""API login: username and password (and the code, if the second factor is on) for a token.

It authenticates through ``django.contrib.auth.authenticate`` with the request, so django-axes
counts failures and locks out exactly as for the login form.
"""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in, user_login_failed
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import TokenLoginSerializer, TokenSerializer
from accounts.services import totp_check, totp_required
from portal.api.throttles import AnonRateThrottle

BAD_CREDENTIALS = "用户名或密码不正确。"


class TokenLoginView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        request=TokenLoginSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="用户名或密码不正确，或缺少/错误的动态验证码"),
            429: OpenApiResponse(description="登录失败次数过多，账号暂时锁定"),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = TokenLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        http_request = request._request  # axes flags the Django request, which its middleware reads
        user = authenticate(http_request, username=data["username"], password=data["password"])
        if user is None:
            return Response(
                {"non_field_errors": [BAD_CREDENTIALS]}, status=status.HTTP_400_BAD_REQUEST
            )
        if totp_required(user):
            code = data.get("otp") or ""
            if not code:
                return Response({"otp": ["该账号已启用动态验证码，请填写 otp。"]}, status=400)
            if not totp_check(user=user, code=code):
                user_login_failed.send(
                    sender=__name__, credentials={"username": user.username}, request=http_request
                )
                return Response({"otp": ["动态验证码不正确或已过期。"]}, status=400)
        # As a form login does: axes clears the failures, Django stamps last_login.
        user_logged_in.send(sender=user.__class__, request=http_request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class TokenLogoutView(APIView):
    """Delete the caller's token: it stops working at once."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
