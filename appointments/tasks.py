"""Celery tasks for appointments. Thin, and safe to run twice (the reminder row is the claim)."""

from celery import shared_task

from appointments.services import reminders_send


@shared_task(name="appointments.reminders", ignore_result=True)
def appointment_reminders() -> int:
    return reminders_send()
