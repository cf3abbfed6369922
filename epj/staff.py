"""Who works in the EPJ: its own staff register (`StaffMember`, `Employment`), in its own store.

Who is signed in reaches the EPJ's code as `user`, and the EPJ knows them by one thing only: the
identity number HelseID vouched for, its staff record's `pid`. In the EPJ's own web process
(epj/site/) `user` is that staff record itself; where the portal's process serves the EPJ's pages
too (HN_EPJ_IN_PORTAL, the test suite) it is the portal's login (`settings.AUTH_USER_MODEL`, after
the portal's HelseID login), whose `nin` is that number. The EPJ names that login only through
Django's abstract user, never through the portal's app, and keeps no key of it.

Everything else about staff (names, HPR numbers, roles per organisation) comes from the EPJ's own
tables. The access function for employments is `employment_for`: every EPJ page and service that
acts for a staff member finds their employment through it (or through the list readers below,
which filter the same rows).
"""

from collections.abc import Collection

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from clinics.models import Organisation, Service
from epj.models import Employment, StaffMember
from helsenorge.routers import EPJ_DB

StaffUser = AbstractUser | StaffMember

Login = AbstractBaseUser | AnonymousUser | StaffMember


def _identity(user: Login | None) -> str:
    """The identity number a signed-in login was vouched for, or "" (anyone else)."""
    if user is None or not user.is_authenticated:
        return ""
    return str(getattr(user, "nin", "") or "")


def _staff_q(user: Login | None, via: str = "") -> Q:
    """The filter for the signed-in user's staff record, on `StaffMember` or (with `via`, such as
    "staff__") on a model that names it. For anyone else it matches nothing, and a query so
    filtered runs no statement at all (Django sees the empty `pk__in` before asking the store)."""
    if isinstance(user, StaffMember):
        return Q(**{f"{via}pk": user.pk})
    pid = _identity(user)
    return Q(**{f"{via}pid": pid}) if pid else Q(pk__in=[])


def staff_id(user: Login | None) -> int | None:
    """The id of the EPJ's staff record of the signed-in user (what the EPJ's rows name as
    assignee, sender, recorder), or None."""
    if isinstance(user, StaffMember):
        return user.pk
    return StaffMember.objects.filter(_staff_q(user)).values_list("pk", flat=True).first()


def employments(*, user: Login | None) -> QuerySet[Employment]:
    """The signed-in staff member's employments (none for anyone else), with the staff record."""
    return Employment.objects.select_related("staff").filter(_staff_q(user, via="staff__"))


def employment_of(*, user: Login | None, organisation_id: int) -> Employment | None:
    """The user's employment in the organisation, or None."""
    return employments(user=user).filter(organisation_id=organisation_id).prefetch_related("organisation").first()


def employed(*, user: Login | None, organisation_id: int) -> bool:
    """Whether the user works in the organisation (`employment_of` without reading the row)."""
    return employments(user=user).filter(organisation_id=organisation_id).exists()


def employment_for(*, user: Login, organisation_id: int, roles: Collection[str] | None = None) -> Employment:
    """The user's employment in the organisation (optionally in one of `roles`), or 404."""
    employment = employment_of(user=user, organisation_id=organisation_id)
    if employment is None or (roles is not None and employment.role not in roles):
        raise Http404
    return employment


def employments_listed(*, user: Login | None) -> list[Employment]:
    """The user's employments with their organisations, for the EPJ's header (one read each store)."""
    return list(employments(user=user).prefetch_related("organisation").order_by("pk"))


def organisation_ids_for_staff(*, user: Login) -> list[int]:
    """The ids of the organisations the user works in, as a list: the EPJ filters its own rows by
    them without joining the register."""
    return list(employments(user=user).values_list("organisation_id", flat=True).distinct())


def service_ids_for_staff(*, user: Login) -> list[int]:
    """The ids of the services of the organisations the user works in, as a list (see above)."""
    organisation_ids = organisation_ids_for_staff(user=user)
    if not organisation_ids:
        return []
    return list(Service.objects.filter(organisation_id__in=organisation_ids).values_list("pk", flat=True))


def colleagues(*, organisation: Organisation) -> QuerySet[Employment]:
    """Everyone employed in the organisation, by name."""
    return Employment.objects.select_related("staff").filter(organisation=organisation).order_by("staff__name")


@transaction.atomic(using=EPJ_DB)
def staff_employ(
    *,
    pid: str,
    name: str,
    email: str,
    organisation: Organisation,
    role: str,
    service: Service | None = None,
    hpr_number: str = "",
) -> Employment:
    """Put someone on the clinic's staff list (or change their role there): the EPJ's own
    register of who works in it, by the identity number HelseID vouches for. The demo, the scale
    data and the tests call this; a real clinic's administrator does it in the record system's
    own user administration."""
    if not pid:
        raise ValueError("a staff member needs the identity number HelseID vouches for")
    staff, _created = StaffMember.objects.update_or_create(
        pid=pid, defaults={"name": name, "email": email, "hpr_number": hpr_number}
    )
    employment, _created = Employment.objects.update_or_create(
        staff=staff, organisation=organisation, defaults={"role": role, "service": service}
    )
    return employment
