"""Whom the TestID page offers: synthetic citizens in the register and the demo's personnel."""

from django.db.models import Q
from django.utils.translation import gettext

from accounts.models import Person, User
from accounts.nin import nin_parse


def pickable_citizens(limit: int = 40) -> list[Person]:
    people = Person.objects.order_by("family_name", "given_name")[: limit * 4]
    return [p for p in people if nin_parse(p.nin, allow_synthetic=True).synthetic][:limit]


def pickable_personnel(limit: int = 40) -> list[dict[str, str]]:
    users = (
        User.objects.filter(Q(staff_memberships__isnull=False) | Q(is_catalogue_reviewer=True), person__isnull=True)
        .exclude(nin="")
        .prefetch_related("staff_memberships__organisation")
        .distinct()
        .order_by("last_name", "first_name")[:limit]
    )
    rows = []
    for user in users:
        memberships = list(user.staff_memberships.all())
        hpr = next((m.hpr_number for m in memberships if m.hpr_number), "")
        where = ", ".join(f"{m.organisation.name} ({m.get_role_display()})" for m in memberships)
        rows.append(
            {
                "pid": user.nin,
                "hpr_number": hpr,
                "name": user.get_full_name(),
                "where": where or gettext("Verktøykatalog"),
            }
        )
    return rows
