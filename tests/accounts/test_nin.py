import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.nin import KIND_DNR, KIND_FNR, SYNTHETIC_DOLLY, SYNTHETIC_TENOR, nin_generate, nin_parse


def test_worked_example_from_fnrinfo():
    # individnummer 567 with year 99 falls in the 1854-1899 range
    info = nin_parse("31129956715", allow_synthetic=False)
    assert info.kind == KIND_FNR
    assert info.birth_date == datetime.date(1899, 12, 31)
    assert info.synthetic is None


@pytest.mark.parametrize("nin", ["13116900216", "12057900308", "07118600295"])
def test_helsenorge_example_numbers_are_valid(nin):
    assert nin_parse(nin, allow_synthetic=False).kind == KIND_FNR


@pytest.mark.parametrize(
    "nin,code",
    [
        ("31129956716", "checksum"),  # second check digit off by one
        ("31129956705", "checksum"),  # first check digit wrong
        ("3112995671", "format"),
        ("3112995671a", "format"),
        ("22067612345", "checksum"),  # the FHIR example value that does not pass mod-11
    ],
)
def test_invalid_numbers_are_rejected_with_reason(nin, code):
    with pytest.raises(ValidationError) as exc:
        nin_parse(nin, allow_synthetic=True)
    assert exc.value.code == code


def test_d_number_adds_forty_to_the_day():
    nin = nin_generate(datetime.date(1985, 6, 7), female=False, synthetic=None, d_number=True)
    assert nin.startswith("47")
    info = nin_parse(nin, allow_synthetic=False)
    assert info.kind == KIND_DNR
    assert info.birth_date == datetime.date(1985, 6, 7)
    assert info.is_female is False


@pytest.mark.parametrize("synthetic,offset", [(SYNTHETIC_TENOR, 80), (SYNTHETIC_DOLLY, 40)])
def test_synthetic_numbers_only_when_allowed(synthetic, offset):
    nin = nin_generate(datetime.date(2018, 5, 10), female=True, synthetic=synthetic)
    assert int(nin[2:4]) == 5 + offset
    info = nin_parse(nin, allow_synthetic=True)
    assert info.synthetic == synthetic and info.birth_date == datetime.date(2018, 5, 10)
    with pytest.raises(ValidationError) as exc:
        nin_parse(nin, allow_synthetic=False)
    assert exc.value.code == "synthetic"


def test_impossible_date_is_rejected():
    # 30 February with valid check digits
    from accounts.nin import nin_check_digits

    first = next(f"300285{i:03d}" for i in range(100, 500) if nin_check_digits(f"300285{i:03d}"))
    check = nin_check_digits(first)
    assert check is not None
    with pytest.raises(ValidationError) as exc:
        nin_parse(first + check, allow_synthetic=False)
    assert exc.value.code == "date"


def test_generated_numbers_cover_both_centuries():
    for year in (1905, 1999, 2000, 2025):
        nin = nin_generate(datetime.date(year, 3, 3), female=True, synthetic=None)
        assert nin_parse(nin, allow_synthetic=False).birth_date.year == year
