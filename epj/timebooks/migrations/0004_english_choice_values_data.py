"""Rewrite stored choice values from the Norwegian codes to the English ones (and back).

The labels users see are unchanged; only the values in the database move.
"""

from django.db import migrations

# (model, field): {old value: new value}
RENAMES = {
    ("timebook", "kind"): {
        "behandler": "clinician",
        "ressurs": "resource",
    },
    ("timebook", "resource_kind"): {
        "covidtest": "covid_test",
        "covidvaksine": "covid_vaccine",
        "vaksinasjon": "vaccination",
    },
    ("availabilityrule", "appointment_type"): {
        "oppmote": "in_person",
        "telefon": "phone",
    },
    ("availabilityexception", "appointment_type"): {
        "oppmote": "in_person",
        "telefon": "phone",
    },
    ("availabilityexception", "kind"): {
        "stengt": "closed",
        "ekstra": "extra",
    },
    ("slot", "appointment_type"): {
        "oppmote": "in_person",
        "telefon": "phone",
    },
    ("booking", "status"): {
        "aktiv": "active",
        "avbestilt": "cancelled",
    },
}


def _rename(apps, *, backwards):
    for (model_name, field), values in RENAMES.items():
        model = apps.get_model("epj_timebooks", model_name)
        for old, new in values.items():
            before, after = (new, old) if backwards else (old, new)
            model.objects.filter(**{field: before}).update(**{field: after})


def forwards(apps, schema_editor):
    _rename(apps, backwards=False)


def backwards(apps, schema_editor):
    _rename(apps, backwards=True)


class Migration(migrations.Migration):
    dependencies = [("epj_timebooks", "0003_english_choice_values")]

    operations = [migrations.RunPython(forwards, backwards)]
