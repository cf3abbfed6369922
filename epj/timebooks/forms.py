from typing import cast

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinics.models import Service, StaffRole
from epj.models import Employment
from epj.timebooks.models import AvailabilityException, AvailabilityRule, ExceptionKind, Slot, Timebook, TimebookKind
from helsenorge.clock import local_today
from national.nin import nin_parse


def https_url_formfield(field, **kwargs):
    """The model field's form field; a URL typed without a scheme means https (Django 6's default)."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class TimebookForm(forms.ModelForm):
    class Meta:
        model = Timebook
        formfield_callback = https_url_formfield
        fields = [
            "name",
            "kind",
            "resource_kind",
            "service",
            "clinician",
            "location",
            "video_base_url",
            "cancel_deadline_hours",
        ]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = Service.objects.filter(
            organisation=organisation
        )
        cast(forms.ModelChoiceField, self.fields["clinician"]).queryset = Employment.objects.filter(
            organisation=organisation, role=StaffRole.CLINICIAN
        ).select_related("staff")
        # Each choice's label, for this form only.
        self.fields["clinician"].label_from_instance = lambda m: str(m.staff)  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean() or {}
        if data.get("kind") == TimebookKind.TREATER:
            if not data.get("clinician"):
                self.add_error("clinician", _("En behandlertimebok må ha en behandler."))
            if data.get("resource_kind"):
                self.add_error("resource_kind", _("En behandlertimebok har ingen ressurs."))
        elif data.get("kind") == TimebookKind.RESOURCE and not data.get("resource_kind"):
            self.add_error("resource_kind", _("Velg hva ressurstimeboken gjelder (lab, vaksine …)."))
        return data


class AvailabilityRuleForm(forms.ModelForm):
    class Meta:
        model = AvailabilityRule
        fields = [
            "weekday",
            "start_time",
            "end_time",
            "slot_minutes",
            "capacity",
            "appointment_type",
            "bookable_online",
            "valid_from",
            "valid_until",
        ]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, timebook, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.timebook = timebook
        self.fields["valid_from"].initial = local_today()

    def clean(self):
        data = super().clean() or {}
        if data.get("start_time") and data.get("end_time") and data["end_time"] <= data["start_time"]:
            self.add_error("end_time", _("Sluttid må være etter starttid."))
        if data.get("slot_minutes") is not None and data["slot_minutes"] < 5:
            self.add_error("slot_minutes", _("En time må vare minst 5 minutter."))
        if data.get("capacity") is not None and data["capacity"] < 1:
            self.add_error("capacity", _("Minst én plass per time."))
        if data.get("valid_until") and data.get("valid_from") and data["valid_until"] < data["valid_from"]:
            self.add_error("valid_until", _("Sluttdatoen må være etter startdatoen."))
        return data


class AvailabilityExceptionForm(forms.ModelForm):
    class Meta:
        model = AvailabilityException
        fields = [
            "kind",
            "date",
            "start_time",
            "end_time",
            "reason",
            "slot_minutes",
            "capacity",
            "appointment_type",
            "bookable_online",
        ]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
        }
        help_texts = {
            "start_time": _("Stengt: la fra og til stå tomme for å stenge hele dagen."),
            "slot_minutes": _("Bare for ekstra åpningstid."),
        }

    def __init__(self, *args, timebook, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.timebook = timebook

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if data.get("kind") == ExceptionKind.EXTRA:
            for name in ("start_time", "end_time", "slot_minutes", "capacity"):
                if data.get(name) in (None, ""):
                    self.add_error(name, _("Må fylles ut for ekstra åpningstid."))
            if data.get("slot_minutes") is not None and data["slot_minutes"] < 5:
                self.add_error("slot_minutes", _("En time må vare minst 5 minutter."))
            if data.get("capacity") is not None and data["capacity"] < 1:
                self.add_error("capacity", _("Minst én plass per time."))
        if (start is None) != (end is None):
            self.add_error("end_time", _("Fyll ut både fra og til, eller ingen av dem (hele dagen)."))
        elif start and end and end <= start:
            self.add_error("end_time", _("Til må være etter fra."))
        return data


class GenerateSlotsForm(forms.Form):
    start_date = forms.DateField(label=_("Fra dato"), widget=forms.DateInput(attrs={"type": "date"}))
    weeks = forms.IntegerField(label=_("Antall uker"), min_value=1, max_value=26, initial=4)


class DeskBookingForm(forms.Form):
    nin = forms.CharField(label=_("Fødselsnummer"), max_length=11, min_length=11)
    name = forms.CharField(label=_("Navn"), max_length=200)

    def clean_nin(self):
        value = self.cleaned_data["nin"].strip()
        nin_parse(value, allow_synthetic=settings.HN_ALLOW_SYNTHETIC_NIN)  # raises ValidationError with the reason
        return value


class MoveBookingForm(forms.Form):
    to_slot: "forms.ModelChoiceField[Slot]" = forms.ModelChoiceField(label=_("Flytt til"), queryset=None)

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["to_slot"]).queryset = slots
        self.fields["to_slot"].label_from_instance = lambda s: f"{s.start:%d.%m %H:%M} ({s.seats_left} ledig)"  # type: ignore[attr-defined]
