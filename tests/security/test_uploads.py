"""Upload checks on every upload field in the portal: type by content, size, count.

Each upload endpoint is posted otherwise valid data with a bad file: a `.pdf` name and
`application/pdf` claim over bytes that are not a PDF, one byte over the per-file limit, one file
over the count. Each must be refused with its message and change no application row; the same
post with a real PDF is then accepted, so the refusal is the file's doing. The upload fields are
found, not listed: a new form with a file field that this table does not cover fails the test.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse

from epj.desk.forms import DeskReplyForm
from messaging.dialogs.forms import EkonsultasjonForm, EkontaktForm, ReplyForm
from messaging.dialogs.models import Kind
from messaging.wire.attachments import MAX_FILE_BYTES, MAX_FILES
from tests.conftest import login_as
from tests.dialogs.conftest import PDF, clinic_data, sent  # noqa: F401 (fixtures)
from tests.security.conftest import application_row_counts

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class Endpoint:
    form: type
    role: str  # attribute of the cast
    url: Callable[..., str]  # (cast, thread, case) -> path
    data: dict


EKONSULTASJON = {
    "title": "Hoste",
    "complaint": "Tørrhoste",
    "duration": "uker",
    "fever": "nei",
    "wish": "Råd",
    "quoted_amount": "170.00",
    "accept_copayment": "on",
}
ENDPOINTS = {
    "ekontakt": Endpoint(
        EkontaktForm,
        "nora",
        lambda cast, thread, case: reverse("dialogs:compose", args=[cast.gp_service.pk, Kind.EKONTAKT]),
        {"title": "Attest", "text": "Trenger attest"},
    ),
    "ekonsultasjon": Endpoint(
        EkonsultasjonForm,
        "nora",
        lambda cast, thread, case: reverse("dialogs:compose", args=[cast.gp_service.pk, Kind.EKONSULTASJON]),
        EKONSULTASJON,
    ),
    "citizen reply": Endpoint(
        ReplyForm,
        "nora",
        lambda cast, thread, case: reverse("dialogs:thread", args=[thread.pk]),
        {"text": "Her er bildet"},
    ),
    "desk reply": Endpoint(
        DeskReplyForm, "kari", lambda cast, thread, case: reverse("desk:case", args=[case.pk]), {"text": "Attesten"}
    ),
}


def pdf(name="skjema.pdf", size=None):
    data = PDF if size is None else PDF + b"0" * (size - len(PDF))
    return SimpleUploadedFile(name, data, content_type="application/pdf")


BAD_FILES = {
    "not a pdf by content": (
        lambda: [SimpleUploadedFile("attest.pdf", b"MZ\x90\x00<html>not a pdf</html>", content_type="application/pdf")],
        "er ikke en PDF",
    ),
    "over the size limit": (lambda: [pdf(size=MAX_FILE_BYTES + 1)], "er for stor"),
    "too many files": (lambda: [pdf(f"{i}.pdf") for i in range(MAX_FILES + 1)], f"høyst {MAX_FILES} filer"),
}


def project_forms_with_file_fields() -> set[type]:
    """Every form class in the project's apps that has a file field."""
    found = set()
    for config in apps.get_app_configs():
        if not config.path.startswith(str(settings.BASE_DIR)) or "site-packages" in config.path:
            continue  # Django's and third-party apps
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
                and any(isinstance(fl, forms.FileField) for fl in getattr(value, "base_fields", {}).values())
            ):
                found.add(value)
    return found


def test_every_upload_field_is_covered():
    found = project_forms_with_file_fields()
    assert found == {endpoint.form for endpoint in ENDPOINTS.values()}, found
    # No model stores an upload through a FileField the admin would offer unchecked.
    assert not [fl for model in apps.get_models() for fl in model._meta.fields if isinstance(fl, models.FileField)]


@pytest.mark.parametrize("bad", BAD_FILES)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_bad_upload_is_refused_and_changes_nothing(client, clinic_data, sent, endpoint, bad):  # noqa: F811
    thread, case = sent
    spec = ENDPOINTS[endpoint]
    login_as(client, getattr(clinic_data, spec.role))
    url = spec.url(clinic_data, thread, case)
    files, message = BAD_FILES[bad]
    before = application_row_counts()
    response = client.post(url, {**spec.data, "files": files()})
    assert response.status_code == 200 and message in response.content.decode()
    assert application_row_counts() == before
    # The control: the same post with a real PDF goes through.
    response = client.post(url, {**spec.data, "files": [pdf()]})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert application_row_counts() != before
