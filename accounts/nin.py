"""National identity numbers are national data: the parser lives in `national.nin`, and the
portal's code keeps importing it from here."""

from national.nin import (
    KIND_DNR,
    KIND_FNR,
    SYNTHETIC_DOLLY,
    SYNTHETIC_TENOR,
    NinInfo,
    nin_check_digits,
    nin_generate,
    nin_has_valid_check_digits,
    nin_parse,
)

__all__ = [
    "KIND_DNR",
    "KIND_FNR",
    "SYNTHETIC_DOLLY",
    "SYNTHETIC_TENOR",
    "NinInfo",
    "nin_check_digits",
    "nin_generate",
    "nin_has_valid_check_digits",
    "nin_parse",
]
