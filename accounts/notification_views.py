"""The citizen's "Varslinger" page: which channels notices come on."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from messaging.notifications import notification_channels, notification_channels_set
from submissions.decorators import idempotent


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
