"""Rewrite stored choice values from the Norwegian codes to the English ones (and back).

The labels users see are unchanged; only the values in the database move.
"""

from django.db import migrations

# (model, field): {old value: new value}
RENAMES = {
    ("tool", "kind"): {
        "hjemmeoppfolging": "home_monitoring",
    },
    ("tool", "target_group"): {
        "voksne": "adults",
        "barn_unge": "children",
        "eldre": "elderly",
        "parorende": "relatives",
        "alle": "everyone",
    },
    ("tool", "topic"): {
        "psykisk_helse": "mental_health",
        "hjerte_kar": "heart",
        "lunger": "lungs",
        "smerte": "pain",
        "fysisk_aktivitet": "physical_activity",
        "sovn": "sleep",
        "rus": "substance_use",
        "graviditet": "pregnancy",
        "annet": "other",
    },
    ("tool", "status"): {
        "til_vurdering": "pending",
        "endringer": "changes_requested",
        "avvist": "rejected",
        "publisert": "published",
        "trukket": "withdrawn",
    },
    ("toolevent", "kind"): {
        "innmeldt": "submitted",
        "endret": "resubmitted",
        "vurdert": "assessed",
        "publisert": "published",
        "trukket": "withdrawn",
        "importert": "imported",
    },
    ("toolevent", "dimension"): {
        "helsefaglig": "clinical",
        "informasjonssikkerhet": "security",
        "personvern": "privacy",
    },
    ("toolevent", "verdict"): {
        "godkjent": "approved",
        "endringer": "changes_requested",
        "avvist": "rejected",
    },
}


def _rename(apps, *, backwards):
    for (model_name, field), values in RENAMES.items():
        model = apps.get_model("tools", model_name)
        for old, new in values.items():
            before, after = (new, old) if backwards else (old, new)
            model.objects.filter(**{field: before}).update(**{field: after})


def forwards(apps, schema_editor):
    _rename(apps, backwards=False)


def backwards(apps, schema_editor):
    _rename(apps, backwards=True)


class Migration(migrations.Migration):
    dependencies = [("tools", "0002_english_choice_values")]

    operations = [migrations.RunPython(forwards, backwards)]
