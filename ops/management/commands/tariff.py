import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from national.models import FrikortLimit, TariffRate
from national.services import frikort_limit_set, tariff_rate_set


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise CommandError(f"{text!r} is not an amount in kroner (for example 170 or 170.50).") from None


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Show or set the national tariff (Normaltariffen) the portal quotes from: a fee code's "
        "co-payment from a date on, and the frikort limit (docs/national.md)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,set,frikort}")
        actions.add_parser("list", help="Every rate and frikort limit with its period.")
        rate = actions.add_parser(
            "set", help="A fee code's co-payment from a date on (the one before ends the day before)."
        )
        rate.add_argument("code", help="The fee code (takst), for example 2ae.")
        rate.add_argument("copayment", help="The patient's co-payment in kroner.")
        rate.add_argument("--from", dest="valid_from", required=True, metavar="YYYY-MM-DD")
        rate.add_argument("--description", default="")
        limit = actions.add_parser("frikort", help="The frikort limit (egenandelstak) from a date on.")
        limit.add_argument("amount", help="The limit in kroner.")
        limit.add_argument("--from", dest="valid_from", required=True, metavar="YYYY-MM-DD")

    def handle(self, *args, action, **options):
        try:
            if action == "set":
                rate = tariff_rate_set(
                    code=options["code"],
                    copayment=_amount(options["copayment"]),
                    valid_from=_date(options["valid_from"]),
                    description=options["description"],
                )
                self.stdout.write(self.style.SUCCESS(f"Set {rate}."))
            elif action == "frikort":
                limit = frikort_limit_set(amount=_amount(options["amount"]), valid_from=_date(options["valid_from"]))
                self.stdout.write(self.style.SUCCESS(f"Set the frikort limit {limit}."))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if action == "list":
            for rate in TariffRate.objects.all():
                self.stdout.write(
                    f"{rate.code}\t{rate.copayment}\t{rate.valid_from}\t{rate.valid_to or '-'}\t{rate.description}"
                )
            for limit in FrikortLimit.objects.all():
                self.stdout.write(f"frikort\t{limit.amount}\t{limit.valid_from}\t{limit.valid_to or '-'}")
