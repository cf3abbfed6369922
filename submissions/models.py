from django.conf import settings
from django.db import models


class SubmissionKey(models.Model):
    """A form's one-time key, claimed before the action it starts runs and then given its result.

    The unique key is the lock: a second POST with the same key (a double click, or a retry after
    a lost response) cannot insert it again and is sent to the first result instead.
    """

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Empty while the first submission runs; then where it sent the user.
    result_url = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.key
