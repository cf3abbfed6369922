from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from submissions.services import FIELD_NAME

# A journal-copy request is pre-formulated: the only thing the citizen chooses is where it goes.
ALLOWED_FIELDS = {"csrfmiddlewaretoken", FIELD_NAME, "service"}


class CopyRequestForm(forms.Form):
    service = forms.TypedChoiceField(
        label=_("Hvem vil du be om journalkopi fra?"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Velg helsekontakten du vil be om journalkopi fra."),
            "invalid_choice": _("Velg en av helsekontaktene i listen."),
        },
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.services = {s.pk: s for s in services}
        cast(forms.ChoiceField, self.fields["service"]).choices = [
            (s.pk, f"{s.name} – {s.organisation.name}") for s in services
        ]

    def clean(self):
        extra = set(self.data.keys()) - ALLOWED_FIELDS
        if extra:
            # The request has no free text; anything else in the POST is refused, not dropped silently.
            raise forms.ValidationError(_("Forespørselen om journalkopi kan ikke inneholde fritekst eller andre felt."))
        return super().clean()

    def chosen_service(self):
        return self.services[self.cleaned_data["service"]]
