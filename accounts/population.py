"""The one way the portal looks a person up by national identity number.

Logins (ID-porten's `pid`) go through `person_for_pid`, so moving the population register
elsewhere changes this module only.
"""

import datetime

from accounts.models import Person

# Helserettslig myndig: from 16 a person decides about their own health and uses the portal
# alone; below that, parents with parental responsibility act for them (domain brief §8.3).
PORTAL_ALONE_AGE = 16


def person_for_pid(pid: str) -> Person | None:
    return Person.objects.filter(nin=pid.strip()).first()


def may_use_portal_alone(person: Person, today: datetime.date) -> bool:
    return person.age_on(today) >= PORTAL_ALONE_AGE
