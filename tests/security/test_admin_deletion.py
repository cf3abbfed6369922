"""The admin and the rows other systems keep in their own stores (helsenorge/routers.py): a
register entry is withdrawn and a login deactivated, never deleted, so the EPJ's records naming
them keep what they name."""

import datetime

import pytest
from django.urls import reverse

from epj.desk.models import AbsenceNotice
from epj.staff import staff_id
from tests import factories as f
from tests.conftest import TOTP_SECRET, login_as


def _operator(client):
    return login_as(client, f.UserFactory(is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET))


def _notice(cast, service=None) -> AbsenceNotice:
    today = datetime.date.today()
    return AbsenceNotice.objects.create(
        service=service or cast.gp_service,
        text="Ferie",
        substitute="Dr. Vikar",
        starts=today,
        ends=today,
        created_by_id=staff_id(cast.kari),
    )


@pytest.mark.parametrize("model", ["organisation", "service"])
def test_a_register_entry_is_withdrawn_not_deleted(client, cast, model):
    entry = cast.gp_org if model == "organisation" else cast.gp_service
    notice = _notice(cast)
    operator = _operator(client)
    assert operator.get(reverse(f"admin:clinics_{model}_delete", args=[entry.pk])).status_code == 403
    assert operator.post(reverse(f"admin:clinics_{model}_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    change = operator.get(reverse(f"admin:clinics_{model}_change", args=[entry.pk])).content.decode()
    assert reverse(f"admin:clinics_{model}_delete", args=[entry.pk]) not in change
    assert type(entry).objects.filter(pk=entry.pk).exists()
    assert AbsenceNotice.objects.filter(pk=notice.pk, service_id=cast.gp_service.pk).exists()


def test_a_staff_login_is_deactivated_not_deleted(client, cast):
    notice = _notice(cast)
    user = cast.kari
    operator = _operator(client)
    delete = reverse("admin:accounts_user_delete", args=[user.pk])
    assert operator.get(delete).status_code == 403
    assert operator.post(delete, {"post": "yes"}).status_code == 403
    # Nor through the changelist's bulk action.
    changelist = reverse("admin:accounts_user_changelist")
    operator.post(changelist, {"action": "delete_selected", "_selected_action": [user.pk], "post": "yes"})
    assert type(user).objects.filter(pk=user.pk).exists()
    assert delete not in operator.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    # Deactivating is how a login ends; the EPJ's records still name the same staff member.
    user.is_active = False
    user.save(update_fields=["is_active"])
    notice.refresh_from_db()
    assert notice.created_by.pid == user.nin
