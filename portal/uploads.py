"""Checking and storing uploaded files (need attachments, requested materials, applications).

A file is accepted only when its extension is on the allow-list, its first bytes match that
extension's format (so a renamed script is refused), and it is no larger than
``settings.UPLOAD_MAX_BYTES``. Office files (zip containers) are also opened and inflated under a
cap, so a zip bomb (a small file that expands to gigabytes, or a huge ratio) is refused before
anything reads it. It is stored through Django's default storage under a generated name; the
uploader's file name is kept as display text only, stripped of folders and control characters.
Stored files live under ``MEDIA_ROOT``, which no URL serves: serve them with
:func:`attachment_response` (an attachment, nosniff, sandboxed) from a view that checks scope.
"""

from __future__ import annotations

import unicodedata
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"

#: extension -> (content type, magic prefixes)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": (PDF, (b"%PDF-",)),
    ".png": (PNG, (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": (JPEG, (b"\xff\xd8\xff",)),
    ".jpeg": (JPEG, (b"\xff\xd8\xff",)),
    ".docx": (DOCX, (b"PK\x03\x04",)),
    ".xlsx": (XLSX, (b"PK\x03\x04",)),
    ".doc": (DOC, (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".xls": (XLS, (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
}
OOXML_MARKERS = {".docx": "word/", ".xlsx": "xl/"}
ALLOWED_LABEL = "PDF、PNG、JPG、Word（doc/docx）、Excel（xls/xlsx）"

#: Limits on what an Office zip may expand to; settings may lower or raise them.
ZIP_MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_MAX_ENTRIES = 2000
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the checks, with the name to store it under."""

    file: UploadedFile
    original_name: str
    storage_name: str
    content_type: str
    size: int


def _display_name(name: str) -> str:
    """The uploader's name without folders (``../``, ``C:\\``) or control and bidi characters
    (a right-to-left override can make ``gpj.exe`` read as ``exe.jpg``)."""
    cleaned = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    base = PurePath(cleaned.replace("\\", "/")).name.strip().lstrip(".") or "附件"
    return base[:200]


def _zip_limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _check_zip_expansion(archive: zipfile.ZipFile, compressed_size: int) -> None:
    """Refuse an archive that expands too far: by its declared sizes first (cheap), then by
    inflating every member under the same cap, since a crafted header can understate a size."""
    bomb = ValidationError(
        "文件解压后体积异常（疑似压缩炸弹），请上传正常的 Office 文档。", code="archive"
    )
    max_bytes = _zip_limit("UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES", ZIP_MAX_UNCOMPRESSED_BYTES)
    max_ratio = _zip_limit("UPLOAD_ZIP_MAX_RATIO", ZIP_MAX_RATIO)
    infos = archive.infolist()
    if len(infos) > _zip_limit("UPLOAD_ZIP_MAX_ENTRIES", ZIP_MAX_ENTRIES):
        raise bomb
    cap = min(max_bytes, max(compressed_size, 1) * max_ratio)
    if sum(info.file_size for info in infos) > cap:
        raise bomb
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                total += len(chunk)
                if total > cap:
                    raise bomb


def check_upload(upload: UploadedFile, *, folder: str = "uploads") -> CheckedUpload:
    """Validate ``upload``; raise ``ValidationError`` with a Chinese message when it is refused."""
    original = _display_name(upload.name or "")
    suffix = PurePath(original).suffix.lower()
    if suffix not in ALLOWED:
        raise ValidationError(f"不支持的文件类型，请上传 {ALLOWED_LABEL} 文件。", code="extension")
    size = upload.size or 0
    if size <= 0:
        raise ValidationError("文件为空。", code="empty")
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise ValidationError(f"文件过大：不能超过 {limit // (1024 * 1024)} MB。", code="too_large")
    content_type, magics = ALLOWED[suffix]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in magics):
        raise ValidationError("文件内容与扩展名不符，请上传真实的文件。", code="content")
    if suffix in OOXML_MARKERS:
        try:
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
                _check_zip_expansion(archive, size)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, RuntimeError, zlib.error) as exc:  # fmt: skip
            raise ValidationError("文件已损坏或不是 Office 文档。", code="content") from exc
        finally:
            upload.seek(0)
        if not any(name.startswith(OOXML_MARKERS[suffix]) for name in names):
            raise ValidationError("文件内容与扩展名不符，请上传真实的文件。", code="content")
    storage_name = f"{folder}/{uuid.uuid4().hex}{suffix}"
    return CheckedUpload(
        file=upload,
        original_name=original,
        storage_name=storage_name,
        content_type=content_type,
        size=size,
    )


def attachment_response(file_field, *, filename: str, content_type: str) -> FileResponse:
    """Serve a stored file as a download (never rendered inline), with nosniff."""
    response = FileResponse(
        file_field.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
