"""What each provider's id_token must say before anyone is logged in."""

from django.conf import settings

from accounts.oidc.config import (
    HELSEID,
    HELSEID_LEVEL,
    HELSEID_PID,
    HELSEID_REQUIRED_LEVEL,
    IDPORTEN,
    IDPORTEN_LEVELS,
)
from accounts.oidc.errors import LoginRefused, Reason


def require(provider_id: str, data: dict) -> None:
    if provider_id == IDPORTEN:
        acr = data.get("acr")
        if acr not in IDPORTEN_LEVELS:
            raise LoginRefused(Reason.LEVEL_TOO_LOW, f"acr {acr!r}")
        if IDPORTEN_LEVELS.index(acr) < IDPORTEN_LEVELS.index(settings.HN_IDPORTEN_ACR):
            raise LoginRefused(Reason.LEVEL_TOO_LOW, f"acr {acr!r} below {settings.HN_IDPORTEN_ACR}")
        if not str(data.get("pid") or "").strip():
            raise LoginRefused(Reason.BAD_TOKEN, "no pid claim")
    elif provider_id == HELSEID:
        if str(data.get(HELSEID_LEVEL, "")) != HELSEID_REQUIRED_LEVEL:
            raise LoginRefused(Reason.LEVEL_TOO_LOW, f"security_level {data.get(HELSEID_LEVEL)!r}")
        if not str(data.get(HELSEID_PID) or "").strip():
            raise LoginRefused(Reason.BAD_TOKEN, "no helseid pid claim")
    else:
        raise LoginRefused(Reason.FAILED, f"unknown provider {provider_id!r}")
