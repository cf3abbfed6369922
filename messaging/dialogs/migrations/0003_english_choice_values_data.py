"""Rewrite stored choice values from the Norwegian codes to the English ones (and back).

The labels users see are unchanged; only the values in the database move.
"""

from django.db import migrations

# (model, field): {old value: new value}
RENAMES = {
    ("thread", "kind"): {
        "ekontakt": "e_contact",
        "ekonsultasjon": "e_consultation",
        "reseptfornyelse": "renewal",
    },
}


def _rename(apps, *, backwards):
    for (model_name, field), values in RENAMES.items():
        model = apps.get_model("dialogs", model_name)
        for old, new in values.items():
            before, after = (new, old) if backwards else (old, new)
            model.objects.filter(**{field: before}).update(**{field: after})


def forwards(apps, schema_editor):
    _rename(apps, backwards=False)


def backwards(apps, schema_editor):
    _rename(apps, backwards=True)


class Migration(migrations.Migration):
    dependencies = [("dialogs", "0002_english_choice_values")]

    operations = [migrations.RunPython(forwards, backwards)]
