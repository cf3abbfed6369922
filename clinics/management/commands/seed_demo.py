from django.conf import settings
from django.core.management.base import BaseCommand

from clinics.demo import DEMO_PASSWORD, demo_logins, seed_all


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo register, staff and citizens. Safe to run again."

    def handle(self, *args, **options):
        self.stdout.write("Seeding the address register, citizens and staff …")
        services, persons = seed_all()
        from epj.desk.demo import seed_desk_demo  # the EPJ's medication lists for the dialog demo

        seed_desk_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(services)} services, {len(persons)} citizens."))
        self.stdout.write("")
        self.stdout.write(f"  Portal:   {settings.SITE_URL}/")
        self.stdout.write(f"  Password for every demo login: {DEMO_PASSWORD}")
        self.stdout.write("  Staff, reviewer and operator must enter a TOTP code (any authenticator app, or")
        self.stdout.write("  `.venv/bin/python manage.py totp_code EMAIL`).")
        self.stdout.write("")
        for who, email, secret in demo_logins():
            self.stdout.write(f"  {who:<42} {email:<34} {('TOTP ' + secret) if secret else ''}")
        self.stdout.write("")
