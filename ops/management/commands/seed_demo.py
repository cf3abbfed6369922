from django.conf import settings
from django.core.management.base import BaseCommand

from appointments.demo import seed_video
from clinics.demo import DEMO_PASSWORD, demo_logins, seed_all
from epj.desk.demo import seed_desk_demo
from epj.records.demo import seed_records
from epj.timebooks.demo import seed_timebooks
from ops.population import seed_epj_patients, seed_epj_staff, seed_population
from tools.demo import seed_tools

# Each app seeds its own side; in this order, because later seeders use what earlier ones wrote
# (the register first, the population register from its persons, then the EPJ's staff, patients, desk and timebooks, then what builds on them).
SEEDERS = (
    seed_all,
    seed_population,
    seed_epj_staff,
    seed_epj_patients,
    seed_desk_demo,
    seed_timebooks,
    seed_video,
    seed_records,
    seed_tools,
)


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo data of every app. Safe to run again."

    def handle(self, *args, **options):
        for seeder in SEEDERS:
            self.stdout.write(f"Seeding: {seeder.__module__}.{seeder.__name__} …")
            seeder()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("")
        self.stdout.write(f"  Portal:   {settings.SITE_URL}/  → «Logg inn»")
        self.stdout.write(f"  EPJ:      {settings.HN_EPJ_ORIGIN}/  → clinic staff, «Logg inn med HelseID»")
        self.stdout.write("  Citizens press «Logg inn med ID-porten», the catalogue reviewer «Logg inn med HelseID»;")
        self.stdout.write(f"  the local TestID page ({settings.SITE_URL}/testid/) then lists whom to log in as.")
        self.stdout.write(f"  The operator uses the password form (password {DEMO_PASSWORD}) and a TOTP code")
        self.stdout.write("  (any authenticator app, or `.venv/bin/python manage.py totp_code EMAIL`).")
        self.stdout.write("")
        for who, how in demo_logins():
            self.stdout.write(f"  {who:<42} {how}")
        self.stdout.write("")
