"""Files attached to tickets: what is accepted and how it is stored.

The browser's content type and the file name are both chosen by whoever uploads, so a file is
accepted only when its extension is on the list AND its first bytes are those of that format (a
renamed executable is refused). Everything is checked before anything is written, so a bad file
in a batch leaves no row and no stored file behind.
"""

import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from crm_site.models import User
from service.models import ServiceSettings, Ticket, TicketAttachment, TicketMessage

# How many leading bytes the checks read (the text check looks for binary content in them).
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class _Format:
    content_type: str
    label: str


FORMATS: dict[str, _Format] = {
    "jpg": _Format("image/jpeg", "JPEG"),
    "jpeg": _Format("image/jpeg", "JPEG"),
    "png": _Format("image/png", "PNG"),
    "webp": _Format("image/webp", "WebP"),
    "pdf": _Format("application/pdf", "PDF"),
    "txt": _Format("text/plain", "text"),
    "docx": _Format("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
    "xlsx": _Format("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"),
}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
# Office files are zip archives; the part that makes each one what it claims to be.
_OFFICE_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


def _extension(name: str) -> str:
    return os.path.splitext(name or "")[1].lower().lstrip(".")


def _head(file) -> bytes:
    file.seek(0)
    head = file.read(_SNIFF_BYTES)
    file.seek(0)
    return head


def _looks_like(extension: str, file, head: bytes) -> bool:
    if extension in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension == "txt":
        if b"\x00" in head:
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the end of the sample is still text.
            return error.start >= len(head) - 3
        return True
    if extension in _OFFICE_PARTS:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                return _OFFICE_PARTS[extension] in archive.namelist()
        except zipfile.BadZipFile:
            return False
        finally:
            file.seek(0)
    return False


def attachment_validate(file, *, max_mb: int | None = None) -> None:
    """Refuse a file whose type is not allowed, whose content is not what its name says, or that
    is larger than the service settings allow."""
    name = os.path.basename(getattr(file, "name", "") or "")
    extension = _extension(name)
    if extension not in FORMATS:
        raise ValidationError(
            _(
                "“%(name)s”: this type of file is not accepted. "
                "Attach images (JPEG, PNG, WebP), PDF, text, Word or Excel files."
            )
            % {"name": name or _("file")},
            code="file_type",
        )
    if max_mb is None:
        max_mb = ServiceSettings.load().max_attachment_mb
    if file.size > max_mb * 1024 * 1024:
        raise ValidationError(
            _("“%(name)s” is larger than %(max)s MB.") % {"name": name, "max": max_mb}, code="file_size"
        )
    if not file.size or not _looks_like(extension, file, _head(file)):
        raise ValidationError(
            _("“%(name)s” is not a real %(label)s file (its content does not match its name).")
            % {"name": name, "label": FORMATS[extension].label},
            code="file_content",
        )


def attachments_validate(files: Iterable[UploadedFile]) -> list[UploadedFile]:
    """Check every file (reading the settings once) and list the problems of all of them."""
    files = [file for file in files if file]
    if not files:
        return files
    max_mb = ServiceSettings.load().max_attachment_mb
    errors = []
    for file in files:
        try:
            attachment_validate(file, max_mb=max_mb)
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"attachments": errors})
    return files


def attachments_save(
    *, ticket: Ticket, files: Iterable[UploadedFile], by: User | None, message: TicketMessage | None, is_public: bool
) -> list[TicketAttachment]:
    """Store already validated files (call ``attachments_validate`` before writing anything)."""
    saved = []
    for file in files:
        name = os.path.basename(file.name)[:255]
        attachment = TicketAttachment(
            ticket=ticket,
            message=message,
            name=name,
            content_type=FORMATS[_extension(name)].content_type,
            size=file.size,
            is_public=is_public,
            uploaded_by=by,
        )
        attachment.file.save(name, file, save=False)
        attachment.full_clean()
        attachment.save()
        saved.append(attachment)
    return saved
