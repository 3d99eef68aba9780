"""The consent texts, versioned: a record keeps the version and a digest of the words agreed to."""

from __future__ import annotations

import hashlib

REGISTRATION_VERSION = "2026-11-v1"
REGISTRATION_TEXT = (
    "我已阅读并同意《个人信息处理规则》，同意本平台为提供融资服务处理企业及联系人信息"
)
CONTACT_VERSION = "2026-11-v1"


def contact_text(bank_name: str) -> str:
    """The separate consent to give this need's contact details to one named bank."""
    return (
        f"同意本平台将本融资需求的联系人姓名和联系电话提供给{bank_name}，"
        "仅用于办理本笔融资需求；可随时撤回，撤回后该行不再能查看。"
    )


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
