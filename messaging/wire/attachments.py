"""Attachment checks: the file's CONTENT decides its type, never its name or the browser's claim."""

import io
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

MAX_FILES = 3
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
ALLOWED_DESCRIPTION = "PDF, PNG, JPEG"


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    mime_type: str
    data: bytes


def content_type_of(data: bytes) -> str | None:
    """The MIME type the bytes really are (PDF, PNG or JPEG), or None."""
    if data.startswith(PDF_MAGIC):
        return "application/pdf"
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            image.verify()  # catches truncated and corrupt images, not just a forged header
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return IMAGE_FORMATS.get(fmt or "")


def safe_filename(name: str, mime_type: str) -> str:
    stem = "".join(ch for ch in name.rsplit(".", 1)[0] if ch.isalnum() or ch in " -_")[:80].strip() or _("vedlegg")
    return f"{stem}.{EXTENSIONS[mime_type]}"


def attachments_check(files) -> list[CheckedFile]:
    """Read and check uploaded files; raises ValidationError naming every bad file."""
    files = list(files)
    if len(files) > MAX_FILES:
        raise ValidationError(_("Du kan legge ved høyst %(n)s filer.") % {"n": MAX_FILES})
    errors, checked, total = [], [], 0
    for upload in files:
        if upload.size > MAX_FILE_BYTES:
            errors.append(
                _("%(name)s er for stor (høyst %(mb)s MB).") % {"name": upload.name, "mb": MAX_FILE_BYTES // 2**20}
            )
            continue
        data = upload.read()
        total += len(data)
        mime_type = content_type_of(data)
        if mime_type is None:
            errors.append(
                _("%(name)s er ikke en PDF eller et bilde (PNG/JPEG). Innholdet avgjør, ikke filnavnet.")
                % {"name": upload.name}
            )
            continue
        checked.append(CheckedFile(filename=safe_filename(upload.name, mime_type), mime_type=mime_type, data=data))
    if total > MAX_TOTAL_BYTES:
        errors.append(_("Vedleggene er til sammen for store (høyst %(mb)s MB).") % {"mb": MAX_TOTAL_BYTES // 2**20})
    if errors:
        raise ValidationError(errors)
    return checked


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the content checks run in clean()."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return attachments_check(files)
