from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from messaging.dialogs.models import Kind, ServiceArea, Thread
from messaging.dialogs.selectors import UNREAD_FILTER, InboxFilter
from messaging.wire import dialogs as wire
from messaging.wire.attachments import ALLOWED_DESCRIPTION, MAX_FILES, MultipleFileField


def attachments_field():
    return MultipleFileField(
        label=_("Vedlegg (valgfritt)"),
        required=False,
        help_text=_("Høyst %(n)s filer: %(types)s, inntil 5 MB hver.") % {"n": MAX_FILES, "types": ALLOWED_DESCRIPTION},
    )


class EkontaktForm(forms.Form):
    title = forms.CharField(label=_("Emne"), max_length=wire.SUBJECT_MAX_CHARS)
    text = forms.CharField(label=_("Melding"), widget=forms.Textarea, max_length=wire.TEXT_MAX_CHARS)
    files = attachments_field()


# The structured e-konsultasjon questions (a GP's standard intake), asked in this order.
EKONSULTASJON_QUESTIONS = [
    ("complaint", _("Hva gjelder det?")),
    ("duration", _("Hvor lenge har du hatt plagene?")),
    ("fever", _("Har du feber?")),
    ("medicines", _("Bruker du faste legemidler?")),
    ("wish", _("Hva ønsker du hjelp til?")),
]
DURATION_CHOICES = [
    ("", _("Velg")),
    ("dager", _("Noen dager")),
    ("uker", _("Noen uker")),
    ("maneder", _("Flere måneder")),
    ("lenger", _("Lenger enn et år")),
]
YES_NO = [("", _("Velg")), ("ja", _("Ja")), ("nei", _("Nei")), ("vet-ikke", _("Vet ikke"))]


class EkonsultasjonForm(forms.Form):
    title = forms.CharField(label=_("Emne"), max_length=wire.SUBJECT_MAX_CHARS)
    complaint = forms.CharField(
        label=EKONSULTASJON_QUESTIONS[0][1], widget=forms.Textarea, max_length=wire.EKONSULTASJON_ANSWER_MAX_CHARS
    )
    duration = forms.ChoiceField(label=EKONSULTASJON_QUESTIONS[1][1], choices=DURATION_CHOICES)
    fever = forms.ChoiceField(label=EKONSULTASJON_QUESTIONS[2][1], choices=YES_NO)
    medicines = forms.CharField(
        label=EKONSULTASJON_QUESTIONS[3][1],
        required=False,
        max_length=wire.EKONSULTASJON_MEDICINES_MAX_CHARS,
        help_text=_("Skriv hvilke, eller la feltet stå tomt."),
    )
    wish = forms.CharField(
        label=EKONSULTASJON_QUESTIONS[4][1], widget=forms.Textarea, max_length=wire.EKONSULTASJON_ANSWER_MAX_CHARS
    )
    files = attachments_field()
    accept_copayment = forms.BooleanField(
        label=_("Jeg godtar egenandelen"),
        required=True,
        error_messages={"required": _("Du må godta egenandelen for å sende.")},
    )

    def answers(self) -> list:
        data = self.cleaned_data
        shown = {"duration": dict(DURATION_CHOICES), "fever": dict(YES_NO)}
        result = []
        for key, question in EKONSULTASJON_QUESTIONS:
            value = data.get(key) or ""
            value = str(shown[key].get(value, value)) if key in shown else value
            result.append({"question": str(question), "answer": value or str(_("Ikke oppgitt"))})
        return result


class RenewalForm(forms.Form):
    medication = forms.ChoiceField(label=_("Legemiddel"), choices=())
    collect = forms.ChoiceField(
        label=_("Hvordan vil du hente legemiddelet?"),
        widget=forms.RadioSelect,
        choices=[(c.code, c.dn) for c in wire.COLLECT_OPTIONS.values()],
        initial=wire.COLLECT_PHARMACY.code,
    )
    text = forms.CharField(
        label=_("Melding til legen (valgfritt)"),
        widget=forms.Textarea,
        required=False,
        max_length=wire.RENEWAL_TEXT_MAX_CHARS,
    )

    def __init__(self, *args, medications=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["medication"]).choices = [("", _("Velg legemiddel"))] + [
            (name, f"{name} – {dosage}" if dosage else name) for name, dosage in medications
        ]


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Svar"), widget=forms.Textarea, max_length=wire.TEXT_MAX_CHARS)
    files = attachments_field()


class PowerOfAttorneyForm(forms.Form):
    holder_nin = forms.CharField(
        label=_("Fødselsnummeret til fullmektigen"),
        min_length=11,
        max_length=11,
        help_text=_("11 siffer. Fullmektigen må være over 18 år."),
    )
    areas = forms.MultipleChoiceField(
        label=_("Tjenesteområder"), choices=ServiceArea.choices, widget=forms.CheckboxSelectMultiple
    )
    valid_until = forms.DateField(
        label=_("Gyldig til (valgfritt)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("La feltet stå tomt for en fullmakt uten sluttdato."),
    )

    def clean_holder_nin(self):
        value = self.cleaned_data["holder_nin"].strip()
        if not value.isdigit():
            raise ValidationError(_("Fødselsnummeret må ha 11 siffer."))
        return value

    def clean_valid_until(self):
        value = self.cleaned_data.get("valid_until")
        if value and value < timezone.localdate():
            raise ValidationError(_("Sluttdatoen kan ikke være i fortiden."))
        return value


class InboxFilterForm(forms.Form):
    """The inbox's search: free text, contact, kind and state; every field optional."""

    q = forms.CharField(label=_("Søk i meldingene"), required=False, max_length=100, strip=True)
    contact = forms.TypedChoiceField(label=_("Helsekontakt"), required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Alle typer")), *Kind.choices])
    state = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Alle")), (UNREAD_FILTER, _("Uleste")), *Thread.State.choices],
    )

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["contact"]).choices = [
            ("", _("Alle helsekontakter")),
            *((str(pk), name) for pk, name in contacts),
        ]

    def filters(self) -> InboxFilter:
        data = self.cleaned_data
        return InboxFilter(
            text=data.get("q") or "",
            service_id=data.get("contact"),
            kind=data.get("kind") or "",
            state=data.get("state") or "",
        )
