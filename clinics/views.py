from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.representation import acting_subject
from clinics.access import organisation_for_admin
from clinics.contact_actions import contact_starts
from clinics.contacts import contact_summaries, health_contact_of, health_contacts_for_person
from clinics.forms import ServiceProcessesForm
from clinics.services import service_processes_set
from submissions.decorators import idempotent


@login_required
def contact_list(request):
    """The health contacts of the person acted for, each offered service a link into its flow."""
    subject = acting_subject(request)  # 404 for anyone who is not a citizen
    starts = contact_starts(subject=subject, summaries=health_contacts_for_person(person=subject.patient))
    return render(request, "clinics/contact_list.html", {"subject": subject, "contacts": starts})


@login_required
def contact_detail(request, contact_id):
    subject = acting_subject(request)
    contact = health_contact_of(person=subject.patient, contact_id=contact_id)
    start = contact_starts(subject=subject, summaries=contact_summaries([contact]))[0]
    return render(
        request, "clinics/contact_detail.html", {"subject": subject, "summary": start.summary, "start": start}
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def clinic_services(request, organisation_id):
    """A clinic admin switches the organisation's own services on and off."""
    organisation = organisation_for_admin(user=request.user, organisation_id=organisation_id)
    services = list(organisation.services.prefetch_related("processes").order_by("name"))
    forms = {s.pk: ServiceProcessesForm(prefix=f"s{s.pk}", service=s) for s in services}
    if request.method == "POST":
        service_id = request.POST.get("service_id", "")
        target = next((s for s in services if str(s.pk) == service_id), None)
        if target is None:
            raise Http404
        form = ServiceProcessesForm(request.POST, prefix=f"s{target.pk}", service=target)
        forms[target.pk] = form
        if form.is_valid():
            try:
                service_processes_set(service=target, enabled=form.enabled(), user=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Tjenestene for %(name)s er lagret.") % {"name": target.name})
                return redirect("clinics:clinic_services", organisation_id=organisation.pk)
    rows = [(s, forms[s.pk]) for s in services]
    return render(request, "clinics/clinic_services.html", {"organisation": organisation, "rows": rows})
