from typing import cast

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.nin import nin_parse
from tools.models import Dimension, TargetGroup, Tool, ToolKind, Topic, Verdict
from tools.selectors import published_tools
from tools.services import SUBMISSION_FIELDS


def https_url_formfield(field, **kwargs):
    """The model field's form field; a URL typed without a scheme means https (Django 6's default)."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class ToolSubmissionForm(forms.ModelForm):
    class Meta:
        model = Tool
        fields = SUBMISSION_FIELDS
        formfield_callback = https_url_formfield
        help_texts = {
            "maker": _("Virksomheten som lager og har ansvaret for verktøyet."),
            "purpose": _("Hvilket problem hjelper verktøyet innbyggeren med, og hvordan?"),
            "evidence": _(
                "Studier, erfaringer eller standarder (for eksempel ISO 82304-2) som viser nytte og kvalitet."
            ),
            "privacy_text": _("Lim inn erklæringen her hvis den ikke ligger på en nettside."),
        }
        widgets = {
            "launch_url": forms.URLInput(attrs={"placeholder": "https://"}),
            "privacy_url": forms.URLInput(attrs={"placeholder": "https://"}),
        }

    def clean(self):
        data = super().clean() or {}
        if not data.get("privacy_url") and not (data.get("privacy_text") or "").strip():
            self.add_error("privacy_url", _("Oppgi en lenke til personvernerklæringen eller selve teksten."))
        return data


class CatalogueFilterForm(forms.Form):
    """The public catalogue's search; every field optional, unknown values are simply errors."""

    q = forms.CharField(label=_("Søk"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Form"), required=False, choices=[("", _("Alle former"))] + ToolKind.choices)
    target_group = forms.ChoiceField(
        label=_("Målgruppe"), required=False, choices=[("", _("Alle målgrupper"))] + TargetGroup.choices
    )
    topic = forms.ChoiceField(label=_("Tema"), required=False, choices=[("", _("Alle tema"))] + Topic.choices)


class AssessmentForm(forms.Form):
    dimension = forms.ChoiceField(label=_("Dimensjon"), choices=Dimension.choices)
    verdict = forms.ChoiceField(label=_("Konklusjon"), choices=Verdict.choices)
    notes = forms.CharField(
        label=_("Merknader"),
        required=False,
        max_length=5000,
        widget=forms.Textarea,
        help_text=_("Påkrevd når verktøyet må endres eller avvises."),
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("verdict") and data["verdict"] != Verdict.APPROVED and not (data.get("notes") or "").strip():
            self.add_error("notes", _("Skriv hva som må endres eller hvorfor verktøyet avvises."))
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Begrunnelse"), max_length=2000, widget=forms.Textarea)


class ToolSendForm(forms.Form):
    tool = forms.ModelChoiceField(label=_("Verktøy"), queryset=Tool.objects.none(), empty_label=_("Velg verktøy"))
    patient_nin = forms.CharField(
        label=_("Pasientens fødselsnummer"),
        max_length=13,
        help_text=_("11 siffer. Pasienten må ha en aktiv helsekontakt hos virksomheten."),
    )
    note = forms.CharField(label=_("Melding til pasienten"), required=False, max_length=2000, widget=forms.Textarea)
    suitability_confirmed = forms.BooleanField(
        label=_("Jeg har vurdert at verktøyet er faglig forsvarlig og egnet for denne pasienten."),
        error_messages={"required": _("Du må bekrefte at verktøyet er faglig forsvarlig og egnet for pasienten.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["tool"]).queryset = published_tools()

    def clean_patient_nin(self):
        return nin_parse(self.cleaned_data["patient_nin"], allow_synthetic=settings.HN_ALLOW_SYNTHETIC_NIN).nin
