"""Typed reading of environment variables for settings.

Every reader names the variable in its error, so a malformed value stops the
process at start-up with a message an operator can act on. We do not use
django-environ here because it silently maps unknown boolean spellings to
False; a typo in DEBUG or SECURE_SSL_REDIRECT must stop the process instead.
"""

import os
import re
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name):
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name, default=""):
    value = _raw(name)
    return default if value is None else value


def env_bool(name, default=False):
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={value!r} is not a boolean; use one of true/false, 1/0, yes/no, on/off."
    )


def env_int(name, default, minimum=None, maximum=None):
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} is below the minimum {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} is above the maximum {maximum}.")
    return number


def env_float(name, default, minimum=None):
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not a number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} is below the minimum {minimum}.")
    return number


def env_list(name, default=()):
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name, schemes, default=""):
    """A URL whose scheme is one of `schemes`; empty means 'not set'."""
    value = _raw(name)
    if value is None or value == "":
        return default
    parsed = urlparse(value)
    if parsed.scheme not in schemes:
        raise ImproperlyConfigured(
            f"Environment variable {name} has scheme {parsed.scheme!r}; expected one of {', '.join(sorted(schemes))}."
        )
    if parsed.scheme not in {"filesystem", "sqlite"} and not parsed.hostname:
        raise ImproperlyConfigured(f"Environment variable {name} has no host name.")
    return value


def env_choice(name, choices, default):
    value = _raw(name)
    if value is None or value == "":
        return default
    if value not in choices:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not one of: {', '.join(choices)}.")
    return value


_RATE = re.compile(r"^[0-9]+/[0-9]*(\.[0-9]+)?[smhd](/(ip|key|user))?$")


def env_rates(name, default):
    """An allauth rate list such as '10/m/ip,5/300s/key'; allauth itself only parses it on first use."""
    value = _raw(name)
    if value is None or value == "":
        return default
    for part in value.split(","):
        if not _RATE.match(part.strip()):
            raise ImproperlyConfigured(
                f"Environment variable {name}={value!r} is not a rate list like '10/m/ip,5/300s/key' "
                f"(amount/period[s|m|h|d]/per[ip|key|user], comma-separated)."
            )
    return value
