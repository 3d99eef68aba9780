"""Serializers of the token login."""

from __future__ import annotations

from rest_framework import serializers


class TokenLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, style={"input_type": "password"}, write_only=True
    )
    otp = serializers.CharField(max_length=8, required=False, allow_blank=True, write_only=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
