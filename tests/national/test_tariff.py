"""The national tariff: rates by date, the frikort limit, and the operators' command."""

import datetime
import importlib
import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from national.models import FrikortLimit, TariffRate
from national.selectors import tariff_quote
from national.services import frikort_limit_set, tariff_rate_set

pytestmark = pytest.mark.django_db

JAN, JUL = datetime.date(2027, 1, 1), datetime.date(2027, 7, 1)


@pytest.fixture(autouse=True)
def _seeded_tariff():
    """What the migration seeds, again: a transactional test run earlier flushes the tables."""
    importlib.import_module("national.migrations.0002_seed_tariff_2ae_and_frikort_limit").seed(apps, None)


def test_the_seeded_rate_quotes_2ae_with_the_frikort_limit():
    quote = tariff_quote(code="2ae", on=datetime.date(2026, 12, 3))
    assert quote is not None and (quote.code, quote.amount) == ("2ae", Decimal("170.00"))
    assert quote.frikort_limit is not None and quote.frikort_limit > 0


def test_a_new_rate_ends_the_one_before_and_quotes_follow_the_date():
    tariff_rate_set(code="2ae", copayment=Decimal("185"), valid_from=JAN)
    tariff_rate_set(code="2ae", copayment=Decimal("190"), valid_from=JUL)
    assert tariff_quote(code="2ae", on=JAN - datetime.timedelta(days=1)).amount == Decimal("170.00")
    assert tariff_quote(code="2ae", on=JAN).amount == Decimal("185")
    july = tariff_quote(code="2ae", on=JUL)
    assert (july.amount, july.valid_from, july.valid_to) == (Decimal("190"), JUL, None)
    assert TariffRate.objects.get(code="2ae", valid_from=JAN).valid_to == JUL - datetime.timedelta(days=1)
    # A rate put in between later still ends where the next one starts.
    tariff_rate_set(code="2ae", copayment=Decimal("187"), valid_from=datetime.date(2027, 4, 1))
    assert TariffRate.objects.get(valid_from=datetime.date(2027, 4, 1)).valid_to == JUL - datetime.timedelta(days=1)
    assert tariff_quote(code="2aek", on=JAN) is None


def test_the_frikort_limit_changes_by_date():
    frikort_limit_set(amount=Decimal("3500"), valid_from=JAN)
    assert tariff_quote(code="2ae", on=JAN).frikort_limit == Decimal("3500")
    assert FrikortLimit.objects.get(valid_from=datetime.date(2025, 1, 1)).valid_to == JAN - datetime.timedelta(days=1)


@pytest.mark.parametrize("change", [{"copayment": Decimal("-1")}, {"code": " "}])
def test_a_bad_rate_is_refused(change):
    with pytest.raises(ValidationError):
        tariff_rate_set(**{"code": "2ae", "copayment": Decimal("1"), "valid_from": JAN, **change})
    assert not TariffRate.objects.filter(valid_from=JAN).exists()


def test_the_tariff_command_sets_and_lists():
    out = io.StringIO()
    call_command("tariff", "set", "2ae", "185,50", "--from", "2027-01-01", stdout=out)
    call_command("tariff", "frikort", "3500", "--from", "2027-01-01", stdout=out)
    call_command("tariff", "list", stdout=out)
    text = out.getvalue()
    assert "2ae\t185.50\t2027-01-01\t-" in text and "frikort\t3500.00\t2027-01-01" in text
    with pytest.raises(CommandError):
        call_command("tariff", "set", "2ae", "mye", "--from", "2027-01-01")
