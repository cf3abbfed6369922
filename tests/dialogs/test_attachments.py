"""Attachments are accepted by what the bytes are, not by their name or claimed type."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from messaging.wire.attachments import MAX_FILE_BYTES, attachments_check


def image(fmt, size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, fmt)
    return buffer.getvalue()


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(
    "name, data, mime",
    [
        ("skjema.pdf", b"%PDF-1.7\n1 0 obj\n", "application/pdf"),
        ("bilde.png", image("PNG"), "image/png"),
        ("foto.jpg", image("JPEG"), "image/jpeg"),
        ("feil-navn.txt", image("PNG"), "image/png"),  # content decides, not the name
    ],
)
def test_pdf_png_and_jpeg_are_recognised_by_content(name, data, mime):
    [checked] = attachments_check([upload(name, data)])
    assert checked.mime_type == mime and checked.data == data
    assert checked.filename.endswith({"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}[mime])


@pytest.mark.parametrize(
    "name, data",
    [
        ("virus.pdf", b"MZ\x90\x00 this is an executable"),
        ("tekst.png", b"just text pretending"),
        ("avkortet.png", image("PNG")[:40]),
        ("animasjon.gif", image("GIF")),
        ("side.html", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_other_content_is_refused_whatever_its_name(name, data):
    with pytest.raises(ValidationError) as excinfo:
        attachments_check([upload(name, data, content_type="application/pdf")])
    assert name in excinfo.value.messages[0]


def test_size_and_count_limits():
    big = upload("stor.pdf", b"%PDF-" + b"0" * MAX_FILE_BYTES)
    with pytest.raises(ValidationError, match="for stor"):
        attachments_check([big])
    with pytest.raises(ValidationError, match="høyst 3"):
        attachments_check([upload(f"{i}.pdf", b"%PDF-1") for i in range(4)])


def test_filename_is_cleaned():
    [checked] = attachments_check([upload('../../etc/passwd".pdf', b"%PDF-1.4")])
    assert "/" not in checked.filename and '"' not in checked.filename
