from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.representation import SESSION_KEY as ACTING_FOR
from accounts.representation import acting_for_set, acting_subject
from helsenorge.pagecache import REGISTER, page_from_memory, person_version, user_version
from messaging.dialogs.access import (
    attachment_for_citizen,
    dialog_subject,
    power_of_attorney_for_citizen,
    service_for_compose,
    thread_for_citizen,
)
from messaging.dialogs.context_processors import citizen_counts_for
from messaging.dialogs.forms import (
    EkonsultasjonForm,
    EkontaktForm,
    InboxFilterForm,
    PowerOfAttorneyForm,
    RenewalForm,
    ReplyForm,
)
from messaging.dialogs.models import Kind
from messaging.dialogs.selectors import (
    InboxFilter,
    compose_facts,
    compose_targets,
    inbox_contacts,
    inbox_page,
    inbox_search_page,
    live_powers_between,
    proxy_groups,
    thread_messages,
)
from messaging.dialogs.services import (
    DialogRefused,
    dialog_reply,
    dialog_send,
    power_of_attorney_grant,
    power_of_attorney_revoke,
    thread_mark_read,
)
from submissions.decorators import idempotent

PAGE_SIZE = 20
CLOSED_REFUSAL = gettext_lazy(
    "Helsetjenesten har avsluttet samtalen, så svaret ditt er ikke sendt. Skriv en ny melding i stedet."
)


@login_required
def inbox(request):
    """The inbox; from memory while nothing it shows changed (helsenorge.pagecache)."""
    user = request.user
    if not user.is_citizen:
        return _inbox(request)  # refused there, like every citizen page
    chosen = request.session.get(ACTING_FOR)
    return page_from_memory(
        request,
        name="inbox",
        vary_on=[str(chosen)],
        # The actor's links, notices and name; the patient's threads and contacts; the header.
        depends_on=[person_version(user.person_id), person_version(chosen), user_version(user.pk), REGISTER],
        render=lambda: _inbox(request),
    )


def _inbox(request):
    subject = dialog_subject(request)
    person, number = subject.patient, request.GET.get("side")
    form = InboxFilterForm(request.GET, contacts=inbox_contacts(person=person))
    filters = form.filters() if form.is_valid() else InboxFilter()
    if filters.active:
        page = inbox_search_page(person=person, filters=filters, number=number, per_page=PAGE_SIZE)
    else:
        threads = citizen_counts_for(request).threads  # counted with the menu's badges
        page = inbox_page(person=person, number=number, per_page=PAGE_SIZE, threads=threads)
    return render(
        request,
        "dialogs/inbox.html",
        {
            "subject": subject,
            "page": page,
            "form": form,
            "searching": filters.active,
            "targets": compose_targets(subject=subject),
        },
    )


FORMS = {Kind.EKONTAKT: EkontaktForm, Kind.EKONSULTASJON: EkonsultasjonForm, Kind.RENEWAL: RenewalForm}


def _form_for(kind, info, data=None, files=None):
    if kind == Kind.RENEWAL:
        return RenewalForm(data, medications=info.medications)
    return FORMS[kind](data, files)


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def compose(request, service_id, kind):
    """Write to a health contact; the server refuses services that do not offer `kind`."""
    subject, service = service_for_compose(request=request, service_id=service_id, kind=kind)
    info = compose_facts(subject=subject, service=service, kind=kind)
    quote = info.quote
    # Without a rate for takst 2ae today there is nothing the citizen could accept.
    unavailable = kind == Kind.EKONSULTASJON and quote is None
    form = _form_for(kind, info)
    if request.method == "POST" and unavailable:
        # Keep what the citizen wrote; nothing is sent until the co-payment is known.
        form = _form_for(kind, info, request.POST)
        form.is_valid()
        form.add_error(None, _("Egenandelen for e-konsultasjon er ikke kjent akkurat nå, så meldingen er ikke sendt."))
    elif request.method == "POST":
        form = _form_for(kind, info, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            accepted = None
            if kind == Kind.EKONSULTASJON:
                assert quote is not None  # without one the form is unavailable (above)
                try:
                    accepted = Decimal(request.POST.get("quoted_amount", ""))
                except InvalidOperation:
                    accepted = None
                if accepted != quote.amount:
                    form.add_error(
                        "accept_copayment",
                        _("Egenandelen er %(amount)s kr. Les den og godta på nytt.") % {"amount": quote.amount},
                    )
            if form.is_valid():
                try:
                    thread = dialog_send(
                        subject=subject,
                        service=service,
                        kind=kind,
                        title=data.get("title", ""),
                        text=data.get("text", ""),
                        answers=form.answers() if kind == Kind.EKONSULTASJON else None,
                        medication=data.get("medication", ""),
                        collect_code=data.get("collect", ""),
                        files=data.get("files") or [],
                        accepted_amount=accepted,
                    )
                except DialogRefused as exc:
                    for error in exc.messages:
                        form.add_error(None, error)
                else:
                    messages.success(request, _("Meldingen er sendt til %(service)s.") % {"service": service.name})
                    return redirect("dialogs:thread", thread_id=thread.pk)
    return render(
        request,
        "dialogs/compose.html",
        {
            "subject": subject,
            "service": service,
            "kind": kind,
            "kind_label": Kind(kind).label,
            "is_renewal": kind == Kind.RENEWAL,
            "form": form,
            "info": info,
            "quote": quote,
            "unavailable": unavailable,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def thread_detail(request, thread_id):
    thread = thread_for_citizen(request=request, thread_id=thread_id)
    subject = dialog_subject(request)
    form = ReplyForm()
    status = 200
    if request.method == "POST" and thread.is_closed:
        # The page offers no reply form then; a reply posted anyway is refused here, before anything is stored.
        messages.error(request, CLOSED_REFUSAL)
        status = 409
    elif request.method == "POST":
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                dialog_reply(
                    subject=subject,
                    thread=thread,
                    text=form.cleaned_data["text"],
                    files=form.cleaned_data.get("files") or [],
                )
            except DialogRefused as exc:
                for error in exc.messages:
                    form.add_error(None, error)
            else:
                messages.success(request, _("Svaret ditt er sendt."))
                return redirect("dialogs:thread", thread_id=thread.pk)
    else:
        thread_mark_read(thread=thread)
    charge = getattr(thread, "charge", None) if thread.kind == Kind.EKONSULTASJON else None
    return render(
        request,
        "dialogs/thread.html",
        {
            "thread": thread,
            "subject": subject,
            "shown": thread_messages(thread=thread),
            "form": form,
            "charge": charge,
        },
        status=status,
    )


@login_required
def attachment_download(request, attachment_id):
    attachment = attachment_for_citizen(request=request, attachment_id=attachment_id)
    response = HttpResponse(bytes(attachment.data), content_type=attachment.mime_type)
    response["Content-Disposition"] = f'attachment; filename="{attachment.filename}"'
    return response


@login_required
@require_POST
def acting_for(request):
    """The header switch: act for yourself, a child or someone who gave you a power of attorney."""
    try:
        person_id = int(request.POST.get("person", ""))
    except ValueError:
        raise Http404 from None
    subject = acting_for_set(request, person_id=person_id)
    if subject.is_self:
        messages.info(request, _("Du bruker nå tjenestene for deg selv."))
    else:
        messages.info(request, _("Du bruker nå tjenestene på vegne av %(name)s.") % {"name": subject.patient.full_name})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    # Another person's thread would be 404 now: land on the inbox rather than a page that vanished.
    if not target or target.startswith("/meldinger/") and target.rstrip("/") != "/meldinger":
        return redirect("dialogs:inbox")
    return redirect(target)


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def proxies(request):
    """Powers of attorney the citizen gave and holds. Only for yourself: access cannot be passed on."""
    subject = acting_subject(request)
    form = PowerOfAttorneyForm()
    if request.method == "POST":
        if not subject.is_self:
            raise Http404
        form = PowerOfAttorneyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                power_of_attorney_grant(
                    grantor=subject.actor,
                    holder_nin=data["holder_nin"],
                    areas=data["areas"],
                    valid_until=data["valid_until"],
                )
            except ValidationError as exc:
                for error in exc.messages:
                    form.add_error(None, error)
            else:
                messages.success(request, _("Fullmakten er registrert."))
                return redirect("dialogs:proxies")
    given, received = proxy_groups(person=subject.actor)
    return render(
        request,
        "dialogs/proxies.html",
        {
            "subject": subject,
            "form": form,
            "given": given,
            "received": received,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def proxy_revoke(request, poa_id):
    """Withdraw a power of attorney, all its service areas at once, after a confirmation page."""
    poa = power_of_attorney_for_citizen(request=request, poa_id=poa_id)
    live = live_powers_between(grantor_id=poa.grantor_id, holder_id=poa.holder_id)
    if not live:
        messages.info(request, _("Fullmakten er allerede trukket tilbake eller utløpt."))
        return redirect("dialogs:proxies")
    if request.method == "POST":
        power_of_attorney_revoke(poa=poa)
        messages.success(request, _("Fullmakten er trukket tilbake for alle tjenesteområder."))
        return redirect("dialogs:proxies")
    given = poa.grantor_id == acting_subject(request).actor.pk
    return render(
        request,
        "dialogs/proxy_revoke.html",
        {
            "poa": poa,
            "given": given,
            "counterpart": poa.holder if given else poa.grantor,
            "areas": [p.get_area_display() for p in live],
        },
    )
