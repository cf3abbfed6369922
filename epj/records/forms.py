from typing import cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from epj.records.models import CopyRequest, HospitalDocument
from national.nin import nin_parse


def _clean_nin(value: str) -> str:
    value = (value or "").strip().replace(" ", "")
    nin_parse(value, allow_synthetic=settings.HN_ALLOW_SYNTHETIC_NIN)  # raises ValidationError with the reason
    return value


class CopyRequestFilterForm(forms.Form):
    """The desk's choice of which copy requests to list: one state, or all of them."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[*CopyRequest.State.choices, ("alle", _("Alle"))]
    )


class CopyPushForm(forms.Form):
    patient_nin = forms.CharField(
        label=_("Pasientens fødselsnummer"),
        max_length=11,
        error_messages={"required": _("Skriv pasientens fødselsnummer.")},
    )
    service = forms.TypedChoiceField(
        label=_("Send fra tjeneste"), coerce=int, error_messages={"required": _("Velg tjenesten kopien sendes fra.")}
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.services = {s.pk: s for s in services}
        cast(forms.ChoiceField, self.fields["service"]).choices = [(s.pk, s.name) for s in services]

    def clean_patient_nin(self):
        return _clean_nin(self.cleaned_data["patient_nin"])

    def chosen_service(self):
        return self.services[self.cleaned_data["service"]]


class PublishForm(forms.Form):
    patient_nin = forms.CharField(
        label=_("Pasientens fødselsnummer"),
        max_length=11,
        error_messages={"required": _("Skriv pasientens fødselsnummer.")},
    )
    kind = forms.ChoiceField(label=_("Type dokument"), choices=HospitalDocument.Kind.choices)
    title = forms.CharField(label=_("Tittel"), max_length=200, error_messages={"required": _("Skriv en tittel.")})
    department = forms.CharField(label=_("Avdeling"), max_length=200, required=False)
    text = forms.CharField(
        label=_("Tekst"),
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Skriv innholdet i dokumentet.")},
    )
    confidential = forms.BooleanField(
        label=_("Skjermet for pasienten"),
        required=False,
        help_text=_("Skjermede dokumenter vises ikke for pasienten eller representanter."),
    )

    def clean_patient_nin(self):
        return _clean_nin(self.cleaned_data["patient_nin"])
