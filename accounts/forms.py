from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Person
from accounts.nin import nin_parse


class CitizenSignupForm(forms.Form):
    """Extra signup field: the citizen's national identity number, checked against the register."""

    nin = forms.CharField(
        label=_("Fødselsnummer (11 siffer)"),
        max_length=11,
        min_length=11,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_nin(self):
        nin = self.cleaned_data["nin"].strip()
        nin_parse(nin, allow_synthetic=settings.HN_ALLOW_SYNTHETIC_NIN)
        person = Person.objects.filter(nin=nin).first()
        if person is None:
            raise ValidationError(_("Fødselsnummeret finnes ikke i folkeregisteret."))
        if hasattr(person, "user"):
            raise ValidationError(_("Det finnes allerede en bruker for dette fødselsnummeret."))
        self.person = person
        return nin

    def signup(self, request, user):
        user.person = self.person
        user.first_name = self.person.given_name
        user.last_name = self.person.family_name
        user.save(update_fields=["person", "first_name", "last_name"])
