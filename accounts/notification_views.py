"""The citizen's notices: the list of what e-mail and SMS announced ("Varsler") and their channels ("Varslinger")."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from messaging.notifications import (
    notice_events,
    notice_follow,
    notification_channels,
    notification_channels_set,
)
from submissions.decorators import idempotent

NOTICES_PER_PAGE = 20


class NotificationChannelsForm(forms.Form):
    sms_enabled = forms.BooleanField(label=gettext_lazy("Varsle meg på SMS"), required=False)
    email_enabled = forms.BooleanField(label=gettext_lazy("Varsle meg på e-post"), required=False)

    def clean(self):
        data = super().clean() or {}
        if not data.get("sms_enabled") and not data.get("email_enabled"):
            raise forms.ValidationError(
                _("Velg minst én kanal. Noen varsler, som meldinger fra helsepersonell, sendes alltid.")
            )
        return data


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def notification_preferences(request):
    if not request.user.is_citizen:
        raise Http404
    person = request.user.person
    if request.method == "POST":
        form = NotificationChannelsForm(request.POST)
        if form.is_valid():
            notification_channels_set(
                person=person,
                email_enabled=form.cleaned_data["email_enabled"],
                sms_enabled=form.cleaned_data["sms_enabled"],
            )
            messages.success(request, _("Varslingsvalgene er lagret."))
            return redirect("notification_preferences")
    else:
        channels = notification_channels(person=person)
        form = NotificationChannelsForm(
            initial={"sms_enabled": channels.sms_enabled, "email_enabled": channels.email_enabled}
        )
    return render(request, "accounts/notification_preferences.html", {"form": form, "person": person})


@login_required
@require_http_methods(["GET"])
def notice_list(request):
    """The signed-in citizen's own notices, newest first, one row per event."""
    if not request.user.is_citizen:
        raise Http404
    page = Paginator(notice_events(person=request.user.person_id), NOTICES_PER_PAGE).get_page(request.GET.get("side"))
    return render(request, "accounts/notice_list.html", {"page": page})


@login_required
@require_http_methods(["GET"])
def notice_open(request, event_id):
    """Follow a notice: it is marked read and the citizen goes on to the thing it was about."""
    if not request.user.is_citizen:
        raise Http404
    event = notice_follow(person=request.user.person_id, event_id=event_id)
    if event is None:
        raise Http404
    if not url_has_allowed_host_and_scheme(event.path, allowed_hosts={request.get_host()}):
        return redirect("notices")  # only our own site: a stored link is never followed elsewhere
    return redirect(event.path)
