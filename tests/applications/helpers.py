"""Helpers of the application tests: a published policy with a rule, and upload bytes."""

from __future__ import annotations

import io
import itertools
import zipfile
from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

_serial = itertools.count(1)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 32
MATERIALS = ["营业执照副本", "上年度财务报表"]


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def percent_rule(**extra: Any) -> dict[str, Any]:
    """1% of revenue, at most 20万元, for 科技型中小企业 (firm-demo: 3200万 → 20万)."""
    rule = {
        "beneficiary": "enterprise",
        "one_time": False,
        "annual_cap_yuan": None,
        "conditions": {
            "fact": "qualifications",
            "op": "has_any",
            "value": ["tech_sme"],
            "label": "科技型中小企业",
        },
        "benefit": {
            "type": "percent",
            "fact": "annual_revenue_yuan",
            "rate": "0.01",
            "cap_yuan": 200_000,
        },
    }
    rule.update(extra)
    return rule


def make_policy(
    region,
    *,
    rule: dict[str, Any] | None = None,
    materials: list[str] | None = None,
    title: str | None = None,
    published: bool = True,
):
    from policies.models import Policy, PolicyRule

    serial = next(_serial)
    policy = Policy.objects.create(
        key=f"test-policy-{serial}",
        title=title or f"测试科技企业研发奖补{serial}",
        issuer=f"{region.name}金融发展服务中心",
        region=region,
        category="科技创新",
        support_type="奖补",
        beneficiary="enterprise",
        valid_from=date(2020, 1, 1),
        materials=list(MATERIALS if materials is None else materials),
        status="published" if published else "draft",
    )
    PolicyRule.objects.create(
        policy=policy, valid_from=date(2020, 1, 1), data=rule or percent_rule()
    )
    return policy


def stored_files(root) -> list:
    """Every file under the media root: what uploads actually wrote."""
    return [p for p in root.rglob("*") if p.is_file()]
