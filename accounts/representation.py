"""Who a signed-in citizen may act for (domain brief §8.3), checked on every request.

A citizen acts for themselves, for a child under 12 they have parental responsibility for
(when a parent is registered at the child's address), or for someone who gave them a power of
attorney. People with a confidential address (codes 6 and 7) cannot represent or be
represented. Options are always built from the user's OWN person, so a representative can never
pass access on: acting for someone gives no options of theirs.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, Value
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ParentalResponsibility, Person
from messaging.dialogs.models import PowerOfAttorney, ServiceArea

SESSION_KEY = "dialogs.acting_for"
CHILD_AGE_LIMIT = 12  # parents act for children under 12; 12–15 is limited, 16+ decides alone
GRANTOR_MIN_AGE = 16
HOLDER_MIN_AGE = 18

RELATION_SELF = "self"
RELATION_PARENT = "parent"
RELATION_PROXY = "proxy"
RELATION_LABELS = {
    RELATION_SELF: _("deg selv"),
    RELATION_PARENT: _("forelder"),
    RELATION_PROXY: _("fullmektig"),
}


@dataclass(frozen=True)
class Subject:
    """The person the citizen is acting for in this request, and what they may do for them."""

    actor: Person
    patient: Person
    relation: str
    areas: frozenset

    @property
    def is_self(self) -> bool:
        return self.relation == RELATION_SELF

    @property
    def may_use_dialogs(self) -> bool:
        return ServiceArea.DIGITAL in self.areas

    @property
    def relation_label(self):
        return RELATION_LABELS[self.relation]


def is_confidential(person: Person) -> bool:
    return bool(person.confidentiality)


def _today() -> datetime.date:
    return timezone.localdate()


def child_may_be_represented(*, child: Person, today: datetime.date, parent_at_home: bool | None = None) -> bool:
    """Under 12, no confidential address, and at least one parent registered at the child's address.

    `parent_at_home` is that last check when the caller has already read it (see `_people`).
    """
    if child.age_on(today) >= CHILD_AGE_LIMIT or is_confidential(child) or not child.address_code:
        return False
    if parent_at_home is None:
        parent_at_home = ParentalResponsibility.objects.filter(
            child=child, parent__address_code=child.address_code
        ).exists()
    return parent_at_home


def live_powers_of_attorney(today: datetime.date):
    return PowerOfAttorney.objects.filter(revoked_at__isnull=True).exclude(valid_until__lt=today)


def _people(*, actor_id: int, today: datetime.date) -> list[Any]:
    """The actor and everyone they are linked to, in one statement, each row marked with the link.

    UNION ALL of three index lookups: the actor (`relation` "self"), their children ("parent",
    with `at_home`: a parent is registered at the child's address) and the grantors of their
    live powers of attorney ("proxy", one row per `area`). The rules are applied by the caller.
    """
    parent_at_home = ParentalResponsibility.objects.filter(
        child=OuterRef("pk"), parent__address_code=OuterRef("address_code")
    )
    actor = Person.objects.filter(pk=actor_id).annotate(
        relation=Value(RELATION_SELF), area=Value(""), at_home=Value(False)
    )
    children = Person.objects.filter(parent_links__parent=actor_id).annotate(
        relation=Value(RELATION_PARENT), area=Value(""), at_home=Exists(parent_at_home)
    )
    live = Q(granted_proxies__holder=actor_id, granted_proxies__revoked_at__isnull=True) & (
        Q(granted_proxies__valid_until__isnull=True) | Q(granted_proxies__valid_until__gte=today)
    )
    grantors = Person.objects.filter(live).annotate(
        relation=Value(RELATION_PROXY), area=F("granted_proxies__area"), at_home=Value(False)
    )
    # Unordered: a compound statement's parts may not sort (the caller orders the options).
    return list(actor.order_by().union(children.order_by(), grantors.order_by(), all=True))


def _options(*, actor_id: int, today: datetime.date) -> list[Subject]:
    people = _people(actor_id=actor_id, today=today)
    actor = next(p for p in people if p.relation == RELATION_SELF)
    options = [Subject(actor=actor, patient=actor, relation=RELATION_SELF, areas=frozenset(ServiceArea.values))]
    if is_confidential(actor):
        return options
    children = sorted((p for p in people if p.relation == RELATION_PARENT), key=lambda p: (p.given_name, p.pk))
    for child in children:
        if child_may_be_represented(child=child, today=today, parent_at_home=bool(child.at_home)):
            options.append(
                Subject(actor=actor, patient=child, relation=RELATION_PARENT, areas=frozenset(ServiceArea.values))
            )
    if actor.age_on(today) >= HOLDER_MIN_AGE:
        areas_by_grantor: dict[Person, set[str]] = {}
        for grantor in (p for p in people if p.relation == RELATION_PROXY):
            if is_confidential(grantor) or grantor.age_on(today) < GRANTOR_MIN_AGE:
                continue
            areas_by_grantor.setdefault(grantor, set()).add(grantor.area)
        for grantor, areas in sorted(areas_by_grantor.items(), key=lambda item: item[0].full_name):
            if any(option.patient == grantor for option in options):
                continue  # a parent's own rights already cover the child
            options.append(Subject(actor=actor, patient=grantor, relation=RELATION_PROXY, areas=frozenset(areas)))
    return options


def representation_options(*, actor: Person, today: datetime.date | None = None) -> list[Subject]:
    """Everyone `actor` may act for right now, themselves first (one statement)."""
    return _options(actor_id=actor.pk, today=today or _today())


def _request_options(request) -> list[Subject]:
    """The signed-in citizen's options; their own Person row comes with them and is kept on the user."""
    user = request.user
    options = _options(actor_id=user.person_id, today=_today())
    user.person = options[0].actor
    return options


def acting_subject(request) -> Subject:
    """THE access function for "on whose behalf": validates the session's choice on every request.

    Answers 404 for anyone who is not a citizen. A choice that is no longer allowed (a revoked or
    expired power of attorney, a child who turned 12) silently falls back to the user themselves.
    """
    user = request.user
    if not user.is_authenticated or not user.is_citizen:
        raise Http404
    cached = getattr(request, "_dialogs_subject", None)
    if cached is not None:
        return cached
    chosen = request.session.get(SESSION_KEY)
    options = _request_options(request)
    subject = next((o for o in options if o.patient.pk == chosen), options[0])
    if chosen is not None and subject.patient.pk != chosen:
        request.session.pop(SESSION_KEY, None)
    request._dialogs_subject = subject
    request._dialogs_options = options
    return subject


def acting_options(request) -> list[Subject]:
    acting_subject(request)
    return request._dialogs_options


def acting_for_set(request, *, person_id: int) -> Subject:
    """Switch the session to act for `person_id`; 404 when the user may not act for them."""
    user = request.user
    if not user.is_authenticated or not user.is_citizen:
        raise Http404
    options = _request_options(request)
    subject = next((o for o in options if o.patient.pk == person_id), None)
    if subject is None:
        raise Http404
    if subject.is_self:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = subject.patient.pk
    request._dialogs_subject = subject
    request._dialogs_options = options
    return subject


def representatives_of(*, patient: Person, today: datetime.date | None = None) -> list[Person]:
    """Who may currently act for `patient` in dialogs (for notices: parents get their children's)."""
    today = today or _today()
    if is_confidential(patient):
        return []
    people = []
    if child_may_be_represented(child=patient, today=today):
        people += [
            link.parent
            for link in ParentalResponsibility.objects.filter(child=patient).select_related("parent")
            if not is_confidential(link.parent)
        ]
    if patient.age_on(today) >= GRANTOR_MIN_AGE:
        for poa in (
            live_powers_of_attorney(today).filter(grantor=patient, area=ServiceArea.DIGITAL).select_related("holder")
        ):
            if not is_confidential(poa.holder) and poa.holder.age_on(today) >= HOLDER_MIN_AGE:
                people.append(poa.holder)
    return list(dict.fromkeys(people))
