from django import forms
from django.utils.translation import gettext_lazy as _

from clinics.models import (
    APPOINTMENT_LEVEL_MAX,
    APPOINTMENT_LEVEL_ORDER,
    PROCESS_FRAMES,
    AppointmentLevel,
    Process,
    process_frame_error,
)


class ServiceProcessesForm(forms.Form):
    """One checkbox per process the service's kind allows, plus the appointment levels it allows.

    Only what the kind allows is offered; a request that asks for more anyway (a forged POST)
    gets the frame's reason as an error instead of being silently ignored.
    """

    def __init__(self, *args, service, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        current = {sp.process: sp.appointment_level for sp in service.processes.all()}
        allowed = PROCESS_FRAMES[service.kind]
        for code, label in Process.choices:
            if code == Process.APPOINTMENTS:
                continue
            if code in allowed:
                self.fields[f"p_{code}"] = forms.BooleanField(label=label, required=False, initial=code in current)
        if Process.APPOINTMENTS in allowed:
            highest = APPOINTMENT_LEVEL_ORDER.index(APPOINTMENT_LEVEL_MAX[service.kind])
            levels = [
                (v, label) for v, label in AppointmentLevel.choices if APPOINTMENT_LEVEL_ORDER.index(v) <= highest
            ]
            self.fields["appointment_level"] = forms.ChoiceField(
                label=_("Timeavtaler"),
                choices=levels,
                initial=current.get(Process.APPOINTMENTS, AppointmentLevel.NONE),
                error_messages={
                    "invalid_choice": process_frame_error(service.kind, Process.APPOINTMENTS, AppointmentLevel.BOOK)
                    or _("Velg et gyldig nivå.")
                },
            )

    def clean(self):
        cleaned = super().clean()
        for code, _label in Process.choices:
            name = "appointment_level" if code == Process.APPOINTMENTS else f"p_{code}"
            asked = self.data.get(self.add_prefix(name))
            if name not in self.fields and asked not in (None, "", AppointmentLevel.NONE):
                error = process_frame_error(self.service.kind, code, AppointmentLevel.BOOK)
                if error:
                    self.add_error(None, error)
        return cleaned

    def enabled(self) -> dict[str, str | None]:
        result: dict[str, str | None] = {}
        for code, _label in Process.choices:
            if self.cleaned_data.get(f"p_{code}"):
                result[code] = None
        level = self.cleaned_data.get("appointment_level")
        if level and level != AppointmentLevel.NONE:
            result[Process.APPOINTMENTS] = level
        return result
