"""Serializers shared by the policy and product APIs."""

from rest_framework import serializers


class SourceSerializer(serializers.Serializer):
    """Where a catalogue record comes from: the seed file, its title and the exact passage."""

    file = serializers.CharField(source="source_file", help_text="种子文件名")
    title = serializers.CharField(source="source_title", help_text="来源文件标题")
    passage = serializers.CharField(source="source_passage", help_text="原文摘录")
