"""Why a login through ID-porten or HelseID was refused, in words a person can act on."""

import enum

from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.utils.translation import gettext_lazy as _


class Reason(enum.Enum):
    BAD_TOKEN = "bad_token"
    LEVEL_TOO_LOW = "level_too_low"
    NOT_IN_REGISTER = "not_in_register"
    TOO_YOUNG = "too_young"
    NOT_PERSONNEL = "not_personnel"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    FAILED = "failed"


MESSAGES = {
    Reason.BAD_TOKEN: _(
        "Svaret fra innloggingstjenesten kunne ikke bekreftes, så du er ikke logget inn. Prøv å logge inn på nytt."
    ),
    Reason.LEVEL_TOO_LOW: _(
        "Innloggingen hadde for lavt sikkerhetsnivå for denne tjenesten. Logg inn med en metode med høyere "
        "sikkerhetsnivå (for eksempel BankID)."
    ),
    Reason.NOT_IN_REGISTER: _(
        "Fødselsnummeret du logget inn med finnes ikke i folkeregisteret, så vi kan ikke vise deg noe her."
    ),
    Reason.TOO_YOUNG: _(
        "Du må være 16 år for å bruke Helsenorge på egen hånd. Foreldre med foreldreansvar kan bruke tjenestene "
        "på vegne av barn under 16 år."
    ),
    Reason.NOT_PERSONNEL: _(
        "Du er ikke registrert som ansatt hos et helsekontor eller som katalogvurderer i denne tjenesten. "
        "Ta kontakt med den som administrerer tilgangene ved arbeidsstedet ditt."
    ),
    Reason.PROVIDER_UNAVAILABLE: _("Innloggingstjenesten svarer ikke akkurat nå. Prøv igjen om litt."),
    Reason.FAILED: _("Innloggingen ble avbrutt eller kunne ikke fullføres. Prøv å logge inn på nytt."),
}


class LoginRefused(OAuth2Error):
    """A login that must not go through; `detail` is for the log, never for the page."""

    def __init__(self, reason: Reason, detail: str = ""):
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
