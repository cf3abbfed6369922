from django import forms
from django.utils.translation import gettext_lazy as _

from clinics.models import PROCESS_FRAMES, AppointmentLevel, Process


class ServiceProcessesForm(forms.Form):
    """One checkbox per process the service's kind allows, plus the appointment level."""

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
            self.fields["appointment_level"] = forms.ChoiceField(
                label=_("Timeavtaler"), choices=AppointmentLevel.choices,
                initial=current.get(Process.APPOINTMENTS, AppointmentLevel.NONE),
            )

    def enabled(self) -> dict:
        result = {}
        for code, _label in Process.choices:
            if self.cleaned_data.get(f"p_{code}"):
                result[code] = None
        level = self.cleaned_data.get("appointment_level")
        if level and level != AppointmentLevel.NONE:
            result[Process.APPOINTMENTS] = level
        return result
