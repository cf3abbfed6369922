from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.nin import nin_parse
from accounts.oidc.config import HELSEID_HPR, HELSEID_LEVEL, HELSEID_PID, IDPORTEN_LEVELS


class CitizenPickForm(forms.Form):
    """TestID: a tester types (or picks) a synthetic identity number and gets a real signed token."""

    pid = forms.CharField(label=_("Syntetisk fødselsnummer"), max_length=11, min_length=11)
    acr = forms.ChoiceField(
        label=_("Sikkerhetsnivå"),
        choices=[(level, level) for level in reversed(IDPORTEN_LEVELS)],
        initial=IDPORTEN_LEVELS[-1],
    )
    locale = forms.ChoiceField(
        label=_("Språk"), choices=[("nb", "Bokmål"), ("nn", "Nynorsk"), ("en", "English"), ("se", "Sámegiella")]
    )

    def clean_pid(self):
        pid = self.cleaned_data["pid"].strip()
        info = nin_parse(pid, allow_synthetic=True)
        if not info.synthetic:
            # TestID never issues tokens for real people.
            raise ValidationError(_("TestID godtar bare syntetiske testnumre."))
        return pid

    def claims(self) -> dict:
        pid = self.cleaned_data["pid"]
        return {
            "_pid": pid,
            "pid": pid,
            "acr": self.cleaned_data["acr"],
            "amr": ["TestID"],
            "locale": self.cleaned_data["locale"],
        }


class PersonnelPickForm(forms.Form):
    """HelseID's test login: a demo clinician or reviewer, at the chosen security level."""

    pid = forms.CharField(label=_("Fødselsnummer"), max_length=11, min_length=11)
    hpr_number = forms.CharField(label=_("HPR-nummer"), max_length=9, required=False)
    security_level = forms.ChoiceField(label=_("Sikkerhetsnivå"), choices=[("4", "4"), ("3", "3")], initial="4")
    name = forms.CharField(max_length=200, required=False)

    def claims(self) -> dict:
        data = self.cleaned_data
        claims = {
            "_pid": data["pid"],
            HELSEID_PID: data["pid"],
            HELSEID_LEVEL: data["security_level"],
            "amr": ["pwd", "otp"],
            "name": data["name"],
        }
        if data["hpr_number"]:
            claims[HELSEID_HPR] = data["hpr_number"]
        return claims
