from django.db import models
from oauth2_provider.models import Grant


class Assertion(models.Model):
    """Who the tester said they were, for one authorisation code: the claims its id_token carries.

    It lives and dies with the code (the token endpoint deletes the grant when the code is used).
    """

    grant = models.OneToOneField(Grant, on_delete=models.CASCADE, related_name="testid_assertion")
    claims = models.JSONField()

    def __str__(self):
        return f"TestID assertion for grant {self.grant_id}"
