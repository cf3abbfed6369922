"""Who works in the EPJ: staff log in through the project's login model (`settings.AUTH_USER_MODEL`).

The EPJ names that model only through Django's abstract user, never through the portal's
`accounts` app: a record system has its own staff logins (HelseID), and the simulated one
shares the project's login table only because both systems run in one project.
"""

from django.contrib.auth.models import AbstractUser

StaffUser = AbstractUser
