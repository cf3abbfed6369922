"""Rewrite stored choice values from the Norwegian codes to the English ones (and back).

The labels users see are unchanged; only the values in the database move. Both models are the
register's directory, in the national store (helsenorge/routers.py): the rewrite runs where their
tables are and nowhere else.
"""

from django.db import migrations, router

# (model, field): {old value: new value}
RENAMES = {
    ("service", "kind"): {
        "fastlege": "gp",
        "hjemmetjeneste": "home_service",
        "primaer": "other_primary",
        "spesialist": "specialist",
    },
    ("serviceprocess", "process"): {
        "ekontakt": "e_contact",
        "ekonsultasjon": "e_consultation",
        "reseptfornyelse": "renewal",
        "timer": "appointments",
        "journalkopi": "journal_copy",
        "dokumentdeling": "documents",
        "verktoy": "tools",
    },
}


def _rename(apps, schema_editor, *, backwards):
    db = schema_editor.connection.alias
    for (model_name, field), values in RENAMES.items():
        model = apps.get_model("clinics", model_name)
        if not router.allow_migrate_model(db, model):
            continue
        for old, new in values.items():
            before, after = (new, old) if backwards else (old, new)
            model.objects.using(db).filter(**{field: before}).update(**{field: after})


def forwards(apps, schema_editor):
    _rename(apps, schema_editor, backwards=False)


def backwards(apps, schema_editor):
    _rename(apps, schema_editor, backwards=True)


class Migration(migrations.Migration):
    dependencies = [("clinics", "0002_english_choice_values")]

    # The hint names a register model: without one the router answers for the app, whose
    # remaining tables are the portal's.
    operations = [migrations.RunPython(forwards, backwards, hints={"model_name": "service"})]
