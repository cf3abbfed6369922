from django import forms
from django.utils.translation import gettext_lazy as _

from appointments.models import DropInOpening, VideoService


class BookingConfirmForm(forms.Form):
    # The slot the citizen picked, signed by us when we listed it; the EPJ still decides.
    choice = forms.CharField(widget=forms.HiddenInput)
    request_id = forms.UUIDField(widget=forms.HiddenInput)


class ClinicVideoForm(forms.Form):
    video_service = forms.ModelChoiceField(
        label=_("Videotjeneste"),
        queryset=VideoService.objects.none(),
        required=False,
        empty_label=_("Ingen (tilbyr ikke video)"),
        help_text=_("Bare tjenester driftsoperatøren har godkjent for integrasjon kan velges."),
    )

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["video_service"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset


class DropInRoomForm(forms.Form):
    title = forms.CharField(label=_("Navn på rommet"), max_length=120, initial=_("Drop-in på video"))
    room_url = forms.URLField(label=_("Lenke til videorommet"), assume_scheme="https")
    active = forms.BooleanField(label=_("Vis rommet for innbyggerne"), required=False, initial=True)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Åpne dager"),
        choices=DropInOpening._meta.get_field("weekday").choices or (),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    opens = forms.TimeField(label=_("Åpner (tt:mm)"))
    closes = forms.TimeField(label=_("Stenger (tt:mm)"))

    def clean(self):
        data = super().clean() or {}
        if data.get("opens") and data.get("closes") and data["closes"] <= data["opens"]:
            self.add_error("closes", _("Stengetid må være etter åpningstid."))
        return data
