from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clinics.models import Service
from epj.desk.models import Case, CaseKind, DeskMessage
from messaging.wire.attachments import MultipleFileField


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Pasient"),
        required=False,
        max_length=100,
        help_text=_("Navn eller fødselsnummer"),
    )
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Alle typer")), *CaseKind.choices])
    state = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("open", _("Ubesvarte")), ("", _("Alle")), *Case.State.choices]
    )
    age = forms.ChoiceField(
        label=_("Alder"),
        required=False,
        choices=[
            ("", _("Alle")),
            ("overdue", _("Over svarfristen")),
            ("1", _("Eldre enn 1 døgn")),
            ("3", _("Eldre enn 3 døgn")),
            ("7", _("Eldre enn 7 døgn")),
        ],
    )
    assignee = forms.ChoiceField(label=_("Saksbehandler"), required=False)

    def __init__(self, *args, colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Alle")),
            ("me", _("Mine")),
            ("none", _("Ikke tildelt")),
        ] + [(str(m.staff_id), str(m.staff)) for m in colleagues]


class DeskReplyForm(forms.Form):
    text = forms.CharField(label=_("Svar til pasienten"), widget=forms.Textarea, max_length=5000)
    outcome = forms.ChoiceField(
        label=_("Reseptfornyelse"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (DeskMessage.Outcome.RENEWED, _("Resept er fornyet")),
            (DeskMessage.Outcome.REFUSED, _("Resept fornyes ikke")),
        ],
    )
    # The metaclass moves declared fields into base_fields, so this never hides BaseForm.files.
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Vedlegg (valgfritt)"), required=False, help_text=_("PDF, PNG eller JPEG, høyst 3 filer på 5 MB.")
    )
    close = forms.BooleanField(label=_("Avslutt samtalen etter svaret (pasienten kan ikke svare)"), required=False)

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        if case.kind != CaseKind.RENEWAL:
            del self.fields["outcome"]
        else:
            self.fields["outcome"].required = True
            self.fields["outcome"].error_messages["required"] = _("Velg om resepten fornyes eller ikke.")


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Tildel til"), required=False)

    def __init__(self, *args, colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [("", _("Ingen (felles kø)"))] + [
            (str(m.staff_id), f"{m.staff} ({m.get_role_display()})") for m in colleagues
        ]


class AbsenceForm(forms.Form):
    service: "forms.ModelChoiceField[Service]" = forms.ModelChoiceField(label=_("Tjeneste"), queryset=None)
    text = forms.CharField(
        label=_("Fraværsmelding"), max_length=300, help_text=_("Vises for innbyggere før de sender en melding.")
    )
    substitute = forms.CharField(label=_("Vikar"), max_length=200)
    starts = forms.DateField(label=_("Fra"), widget=forms.DateInput(attrs={"type": "date"}))
    ends = forms.DateField(label=_("Til"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = services

    def clean(self):
        data = super().clean() or {}
        if data.get("starts") and data.get("ends") and data["ends"] < data["starts"]:
            raise ValidationError(_("Sluttdatoen må være etter startdatoen."))
        return data


class ThreadStartForm(forms.Form):
    service: "forms.ModelChoiceField[Service]" = forms.ModelChoiceField(label=_("Fra tjeneste"), queryset=None)
    patient_nin = forms.CharField(label=_("Pasientens fødselsnummer"), min_length=11, max_length=11)
    subject = forms.CharField(label=_("Emne"), max_length=200)
    text = forms.CharField(label=_("Melding"), widget=forms.Textarea, max_length=5000)

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = services


class PatientLookupForm(forms.Form):
    q = forms.CharField(
        label=_("Finn pasient"),
        required=False,
        max_length=100,
        help_text=_("Navn (for eksempel «Nora Sørensen») eller fødselsnummer"),
    )


class PatientListAddForm(forms.Form):
    """Put a resident on one of the organisation's service lists."""

    nin = forms.CharField(
        label=_("Fødselsnummer"),
        min_length=11,
        max_length=11,
        help_text=_("11 siffer. Navnet hentes fra folkeregisteret."),
    )
    service: "forms.ModelChoiceField[Service]" = forms.ModelChoiceField(label=_("Tjeneste"), queryset=None)

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = services
