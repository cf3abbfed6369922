"""Norwegian national identity numbers: fødselsnummer and D-number (domain brief §8.4).

Both carry two mod-11 check digits. Synthetic test numbers add 40 (NAV Dolly)
or 80 (Skatteetaten Tenor) to the month and are accepted only when the caller
allows them (the HN_ALLOW_SYNTHETIC_NIN setting).
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_WEIGHTS_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_WEIGHTS_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

KIND_FNR = "FNR"
KIND_DNR = "DNR"
SYNTHETIC_DOLLY = "dolly"
SYNTHETIC_TENOR = "tenor"


@dataclass(frozen=True)
class NinInfo:
    nin: str
    kind: str  # FNR or DNR
    birth_date: datetime.date
    is_female: bool
    synthetic: str | None  # None, "dolly" or "tenor"


def _check_digit(digits, weights):
    remainder = sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
    value = 11 - remainder
    if value == 11:
        return 0
    return value  # 10 means no valid number exists for these digits


def nin_check_digits(first_nine: str) -> str | None:
    """The two check digits for nine leading digits, or None when none exist."""
    digits = [int(c) for c in first_nine]
    k1 = _check_digit(digits, _WEIGHTS_K1)
    if k1 == 10:
        return None
    k2 = _check_digit(digits + [k1], _WEIGHTS_K2)
    if k2 == 10:
        return None
    return f"{k1}{k2}"


def nin_has_valid_check_digits(nin: str) -> bool:
    if len(nin) != 11 or not (nin.isascii() and nin.isdigit()):
        return False
    return nin_check_digits(nin[:9]) == nin[9:]


def _century(two_digit_year: int, individual: int) -> int | None:
    if individual <= 499:
        return 1900
    if individual <= 749 and two_digit_year >= 54:
        return 1800
    if individual >= 500 and two_digit_year <= 39:
        return 2000
    if individual >= 900 and two_digit_year >= 40:
        return 1900
    return None


def nin_parse(nin: str, *, allow_synthetic: bool) -> NinInfo:
    """Validate and decode a number; raise ValidationError with a plain reason."""
    nin = (nin or "").strip().replace(" ", "")
    if len(nin) != 11 or not (nin.isascii() and nin.isdigit()):
        raise ValidationError(_("Fødselsnummeret må ha nøyaktig 11 siffer."), code="format")
    if not nin_has_valid_check_digits(nin):
        raise ValidationError(_("Kontrollsifrene i fødselsnummeret stemmer ikke."), code="checksum")
    day, month, year2, individual = int(nin[0:2]), int(nin[2:4]), int(nin[4:6]), int(nin[6:9])
    kind = KIND_FNR
    if day > 40:
        kind = KIND_DNR
        day -= 40
    synthetic = None
    if month > 80:
        synthetic, month = SYNTHETIC_TENOR, month - 80
    elif month > 40:
        synthetic, month = SYNTHETIC_DOLLY, month - 40
    if synthetic and not allow_synthetic:
        raise ValidationError(_("Syntetiske testnumre er ikke tillatt her."), code="synthetic")
    century = _century(year2, individual)
    if century is None:
        raise ValidationError(_("Individnummeret passer ikke med fødselsåret."), code="century")
    try:
        birth_date = datetime.date(century + year2, month, day)
    except ValueError:
        raise ValidationError(_("Fødselsnummeret inneholder ingen gyldig dato."), code="date") from None
    return NinInfo(nin=nin, kind=kind, birth_date=birth_date, is_female=int(nin[8]) % 2 == 0, synthetic=synthetic)


def nin_generate(
    birth_date: datetime.date,
    *,
    female: bool,
    serial: int = 0,
    synthetic: str | None = SYNTHETIC_TENOR,
    d_number: bool = False,
) -> str:
    """A valid number for the date; `serial` picks among the valid individnumre."""
    year = birth_date.year
    if 1900 <= year <= 1999:
        ranges = [range(0, 500)]
    elif 2000 <= year <= 2039:
        ranges = [range(500, 1000)]
    else:
        raise ValueError("birth year outside the supported range 1900-2039")
    month = birth_date.month + {None: 0, SYNTHETIC_DOLLY: 40, SYNTHETIC_TENOR: 80}[synthetic]
    day = birth_date.day + (40 if d_number else 0)
    found = -1
    for individuals in ranges:
        for individual in individuals:
            if (individual % 2 == 0) != female:
                continue
            first = f"{day:02d}{month:02d}{year % 100:02d}{individual:03d}"
            check = nin_check_digits(first)
            if check is None:
                continue
            found += 1
            if found == serial:
                return first + check
    raise ValueError("no valid number left for this date")
