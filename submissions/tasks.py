from celery import shared_task

from submissions.services import prune_expired_keys


@shared_task(name="submissions.prune", ignore_result=True)
def prune():
    prune_expired_keys()
