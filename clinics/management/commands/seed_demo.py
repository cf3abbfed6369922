from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from clinics.demo import DEMO_PASSWORD, demo_logins


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo data of every app. Safe to run again."

    def handle(self, *args, **options):
        # Each app seeds its own side; the list lives in settings so the register does not
        # import the EPJ or the portal's feature apps.
        for dotted in settings.HN_DEMO_SEEDERS:
            self.stdout.write(f"Seeding: {dotted} …")
            import_string(dotted)()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("")
        self.stdout.write(f"  Portal:   {settings.SITE_URL}/")
        self.stdout.write(f"  Password for every demo login: {DEMO_PASSWORD}")
        self.stdout.write("  Staff, reviewer and operator must enter a TOTP code (any authenticator app, or")
        self.stdout.write("  `.venv/bin/python manage.py totp_code EMAIL`).")
        self.stdout.write("")
        for who, email, secret in demo_logins():
            self.stdout.write(f"  {who:<42} {email:<34} {('TOTP ' + secret) if secret else ''}")
        self.stdout.write("")
