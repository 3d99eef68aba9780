"""Uploads: checked by magic bytes, extension, size and zip expansion; stored under generated names
outside any served folder; served as sandboxed attachments with nosniff, only within scope."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from needs.models import FinancingNeed, NeedAttachment
from portal.uploads import check_upload
from tests.security.conftest import NEED_DATA, PDF

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 32


def office(marker: str, payload: bytes = b"<w:document/>", *, entries: int = 1) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for index in range(entries):
            archive.writestr(f"{marker}part{index}.xml", payload)
    return buffer.getvalue()


def refused(name: str, content: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile(name, content))
    return caught.value.code


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("截图.png", HTML, "content"),  # HTML dressed as a PNG
        ("report.pdf.exe", EXE, "extension"),
        ("report.exe.pdf", EXE, "content"),
        ("invoice.pdf.html", HTML, "extension"),
        ("scan.svg", b"<svg onload=alert(1)>", "extension"),
        ("empty.pdf", b"", "empty"),
        ("fake.docx", PDF, "content"),
        ("not-word.docx", office("xl/"), "content"),  # a workbook renamed .docx
        ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 40, "content"),
    ],
)
def test_refused_uploads(name, content, code):
    assert refused(name, content) == code


def test_oversized_file_is_refused(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    assert refused("big.pdf", PDF + b"0" * 2048) == "too_large"


def test_zip_bomb_office_file_is_refused():
    """10 MB of zeros deflates to ~10 KB: a ratio of ~1000 is refused before it is inflated."""
    bomb = office("word/", b"\x00" * (10 * 1024 * 1024))
    assert len(bomb) < 100 * 1024
    assert refused("bomb.docx", bomb) == "archive"


def test_zip_over_the_total_cap_is_refused(settings):
    settings.UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES = 64 * 1024
    settings.UPLOAD_ZIP_MAX_RATIO = 10_000
    big = office("xl/", bytes(range(256)) * 512)  # 128 KB that compresses well
    assert refused("big.xlsx", big) == "archive"


def test_zip_with_too_many_entries_is_refused(settings):
    settings.UPLOAD_ZIP_MAX_ENTRIES = 50
    assert refused("many.xlsx", office("xl/", entries=60)) == "archive"


def test_zip_that_understates_its_size_is_refused(settings):
    """A crafted central directory declares 10 bytes for a 1 MB member: the declared-size check
    passes, but inflating stops at the declared size and the CRC no longer matches."""
    settings.UPLOAD_ZIP_MAX_RATIO = 10_000
    data = bytearray(office("word/", b"A" * (1024 * 1024)))
    name = b"word/part0.xml"
    entry = -1
    while True:
        entry = data.find(b"PK\x01\x02", entry + 1)
        assert entry != -1
        if data[entry + 46 : entry + 46 + len(name)] == name:
            break
    data[entry + 24 : entry + 28] = (10).to_bytes(4, "little")  # uncompressed size
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("lying.docx", bytes(data)))


def test_real_office_files_pass():
    for name, marker in (("制度.docx", "word/"), ("报表.xlsx", "xl/")):
        checked = check_upload(SimpleUploadedFile(name, office(marker, b"<x>" * 2000)))
        assert checked.original_name == name


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\a.pdf", "a.pdf"),
        ("/var/www/static/x.pdf", "x.pdf"),
        ("营业执照（副本）.pdf", "营业执照（副本）.pdf"),
        ("invoice\u202efdp.exe.pdf", "invoicefdp.exe.pdf"),  # right-to-left override removed
        ("a\x00b\n.pdf", "ab.pdf"),
    ],
)
def test_names_are_display_text_and_storage_names_are_generated(given, shown):
    checked = check_upload(SimpleUploadedFile(given, PDF), folder="needs")
    assert checked.original_name == shown
    folder, _, stored = checked.storage_name.partition("/")
    assert folder == "needs"
    assert len(stored) == len("0" * 32 + ".pdf") and stored.endswith(".pdf")
    assert ".." not in checked.storage_name and "/" not in stored


def test_media_root_is_outside_every_served_folder():
    media = Path(settings.MEDIA_ROOT).resolve()
    served = [Path(settings.STATIC_ROOT).resolve(), *map(Path, settings.STATICFILES_DIRS)]
    for folder in served:
        assert not media.is_relative_to(folder.resolve())
    assert not media.is_relative_to(Path(settings.BASE_DIR, "templates"))


def _submit(client, name: str, content: bytes):
    data = {
        **{k: v for k, v in NEED_DATA.items() if k != "guarantee_methods"},
        "guarantee_methods": NEED_DATA["guarantee_methods"],
        "attachments": SimpleUploadedFile(name, content),
    }
    return client.post(reverse("need-list"), data)


def test_a_refused_file_leaves_no_need_and_no_file(world, client, media):
    client.force_login(world["member"])
    needs, files = FinancingNeed.objects.count(), sorted(media.rglob("*"))
    response = _submit(client, "截图.png", HTML)
    assert response.status_code == 400, response.content
    assert json.loads(response.content)
    assert FinancingNeed.objects.count() == needs
    assert sorted(media.rglob("*")) == files


def test_stored_file_is_served_as_a_sandboxed_attachment_within_scope(world, client, media):
    client.force_login(world["member"])
    response = _submit(client, "../../营业执照 副本.pdf", PDF)
    assert response.status_code == 201, response.content
    attachment = NeedAttachment.objects.get(need_id=response.json()["id"])
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(media.resolve())
    assert "营业执照" not in stored.name and stored.suffix == ".pdf"
    assert attachment.original_name == "营业执照 副本.pdf"

    url = reverse(
        "needs:attachment", kwargs={"pk": attachment.need_id, "attachment_id": attachment.pk}
    )
    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in served["Content-Disposition"].lower()
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert "no-store" in served["Cache-Control"]
    assert b"".join(served.streaming_content) == PDF

    client.force_login(world["other_member"])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    # No URL serves the media folder itself.
    assert client.get(f"{settings.MEDIA_URL}{attachment.file.name}").status_code == 404


def test_polyglot_png_is_only_ever_a_download(world, client):
    """A file that starts like a PNG but carries HTML passes the magic check; it is served
    as a sandboxed attachment with nosniff, so a browser never renders it as a page."""
    client.force_login(world["member"])
    response = _submit(client, "logo.png", PNG + HTML)
    assert response.status_code == 201, response.content
    attachment = NeedAttachment.objects.get(need_id=response.json()["id"])
    served = client.get(
        reverse(
            "needs:attachment", kwargs={"pk": attachment.need_id, "attachment_id": attachment.pk}
        )
    )
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"
