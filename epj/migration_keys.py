"""For the migrations that re-key the EPJ's rows from the web process's login to the EPJ's own staff
record (epj_desk 0002, epj_records 0002, epj_timebooks 0003; epj/staff.py).

Each column that held a login's id gets the id of that login's staff record (`StaffMember.login`);
a login the staff register lacks gets a nameless record, so no row loses who acted. Backwards,
each staff record's id becomes its login's again. Rows are grouped by their new value first and
updated by primary key, so an id that is both an old and a new value is never mapped twice.
"""

from collections import defaultdict
from collections.abc import Callable

from django.db import router

Fields = dict[str, list[str]]  # model name → the names of its keys to re-key


def _rekey(apps, schema_editor, app_label: str, fields: Fields, *, to_staff: bool) -> None:
    alias = schema_editor.connection.alias
    StaffMember = apps.get_model("epj", "StaffMember")
    staff = StaffMember.objects.using(alias)
    for model_name, names in fields.items():
        model = apps.get_model(app_label, model_name)
        if not router.allow_migrate_model(alias, model):
            continue
        rows = model.objects.using(alias)
        for name in names:
            column = f"{name}_id"
            old = dict(rows.exclude(**{f"{column}__isnull": True}).values_list("pk", column))
            if to_staff:
                mapping = {
                    login_id: staff.get_or_create(login_id=login_id, defaults={"name": ""})[0].pk
                    for login_id in set(old.values())
                }
            else:
                mapping = dict(staff.filter(pk__in=set(old.values())).values_list("pk", "login_id"))
            groups: dict[int, list[int]] = defaultdict(list)
            for pk, value in old.items():
                groups[mapping[value]].append(pk)
            for value, pks in groups.items():
                rows.filter(pk__in=pks).update(**{column: value})


def logins_to_staff(app_label: str, fields: Fields) -> tuple[Callable, Callable]:
    """(forwards, backwards) for a RunPython that re-keys `fields` of `app_label`'s models."""

    def forwards(apps, schema_editor):
        _rekey(apps, schema_editor, app_label, fields, to_staff=True)

    def backwards(apps, schema_editor):
        _rekey(apps, schema_editor, app_label, fields, to_staff=False)

    return forwards, backwards
