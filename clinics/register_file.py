"""The address register as a JSON file: export, and an all-or-nothing import by HER-id.

Both directions of one documented format (docs/register-format.md) live here so they
cannot drift apart: `register_export()` reads the register into the document that
`register_import()` accepts. The import checks every row before it writes anything,
and every problem it finds carries the line of the file it comes from.
"""

import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clinics.located_json import JsonSyntaxError, LocatedDict, LocatedList, located_json_parse
from clinics.models import (
    PROCESS_FRAMES,
    AppointmentLevel,
    Organisation,
    Process,
    Service,
    ServiceKind,
    org_number_error,
    process_frame_error,
)
from clinics.services import service_processes_set
from helsenorge.routers import NATIONAL_DB

FORMAT = "helsenorge-adresseregister"
VERSION = 1
HER_ID_MAX = 2_147_483_647  # the column is a PositiveIntegerField
RESPONSE_DAYS_MAX = 365
NAME_MAX = 200
DEFAULT_RESPONSE_DAYS = 2

# The Norwegian codes files used before the codes became English; still read so an older
# file imports unchanged. The export writes only the current codes.
LEGACY_KINDS = {
    "fastlege": ServiceKind.GP,
    "hjemmetjeneste": ServiceKind.HOME_SERVICE,
    "primaer": ServiceKind.OTHER_PRIMARY,
    "spesialist": ServiceKind.SPECIALIST,
}
LEGACY_PROCESSES = {
    "ekontakt": Process.EKONTAKT,
    "ekonsultasjon": Process.EKONSULTASJON,
    "reseptfornyelse": Process.RENEWAL,
    "timer": Process.APPOINTMENTS,
    "journalkopi": Process.JOURNAL_COPY,
    "dokumentdeling": Process.DOCUMENTS,
    "verktoy": Process.TOOLS,
}


def _current(value, legacy):
    """The current code for a legacy one; anything else (also a non-string) unchanged."""
    return legacy.get(value, value) if isinstance(value, str) else value


@dataclass(frozen=True)
class RegisterError:
    line: int
    message: str

    def __str__(self):
        return _("linje %(line)s: %(message)s") % {"line": self.line, "message": self.message}


class RegisterImportError(Exception):
    """The file was refused; nothing was changed. `errors` lists every problem found, by line."""

    def __init__(self, errors):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = sorted(errors, key=lambda e: e.line)


@dataclass
class ServiceRow:
    line: int
    her_id_line: int
    her_id: int
    name: str
    kind: str
    response_days: int
    active: bool
    processes: dict  # process code -> appointment level (None for other processes)


@dataclass
class OrganisationRow:
    line: int
    her_id_line: int
    her_id: int
    name: str
    org_number: str
    is_hospital: bool
    active: bool
    services: list = field(default_factory=list)


@dataclass
class ImportReport:
    dry_run: bool
    organisations: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    services: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})


# --- export -----------------------------------------------------------------------


def register_export() -> dict:
    """The whole register as a document in the import format, ordered by HER-id."""
    order = [code for code, _label in Process.choices]
    organisations = []
    for org in Organisation.objects.prefetch_related("services__processes").order_by("her_id"):
        services = []
        for service in sorted(org.services.all(), key=lambda s: s.her_id):
            processes = []
            for sp in sorted(service.processes.all(), key=lambda sp: order.index(sp.process)):
                entry = {"process": sp.process}
                if sp.process == Process.APPOINTMENTS:
                    entry["appointment_level"] = sp.appointment_level
                processes.append(entry)
            services.append(
                {
                    "her_id": service.her_id,
                    "name": service.name,
                    "kind": service.kind,
                    "response_days": service.response_days,
                    "active": service.active,
                    "processes": processes,
                }
            )
        organisations.append(
            {
                "her_id": org.her_id,
                "name": org.name,
                "org_number": org.org_number,
                "is_hospital": org.is_hospital,
                "active": org.active,
                "services": services,
            }
        )
    return {"format": FORMAT, "version": VERSION, "organisations": organisations}


def _dump(value, indent=0):
    """Indented JSON, but a flat object in a list stays on one line, so each process is one line."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        members = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(members) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [
            json.dumps(item, ensure_ascii=False)
            if isinstance(item, dict) and not any(isinstance(v, (dict, list)) for v in item.values())
            else _dump(item, indent + 1)
            for item in value
        ]
        return "[\n" + ",\n".join(inner + item for item in items) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def register_export_text() -> str:
    return _dump(register_export()) + "\n"


# --- reading and checking one file ------------------------------------------------------


def _type_name(value):
    if isinstance(value, bool):
        return _("sann/usann")
    if isinstance(value, int):
        return _("heltall")
    if isinstance(value, float):
        return _("desimaltall")
    if isinstance(value, str):
        return _("tekst")
    if isinstance(value, list):
        return _("liste")
    if isinstance(value, dict):
        return _("objekt")
    return "null"


def _check_her_id(value):
    if isinstance(value, bool) or not isinstance(value, int):
        return _("HER-id må være et heltall, ikke %(type)s.") % {"type": _type_name(value)}
    if not 1 <= value <= HER_ID_MAX:
        return _("HER-id %(value)s er utenfor gyldig område (1–%(max)s).") % {"value": value, "max": HER_ID_MAX}
    return None


def _check_name(value):
    if not isinstance(value, str):
        return _("navnet må være tekst, ikke %(type)s.") % {"type": _type_name(value)}
    if not value.strip():
        return _("navnet kan ikke være tomt.")
    if len(value) > NAME_MAX:
        return _("navnet er lengre enn %(max)s tegn.") % {"max": NAME_MAX}
    return None


def _check_bool(value):
    if not isinstance(value, bool):
        return _("verdien må være true eller false, ikke %(type)s.") % {"type": _type_name(value)}
    return None


def _check_org_number(value):
    if not isinstance(value, str):
        return _("organisasjonsnummeret må være tekst (9 siffer i anførselstegn), ikke %(type)s.") % {
            "type": _type_name(value)
        }
    return org_number_error(value) if value else None


def _check_kind(value):
    if _current(value, LEGACY_KINDS) not in ServiceKind.values:
        return _("ukjent tjenestetype %(value)s; gyldige typer er %(choices)s.") % {
            "value": json.dumps(value, ensure_ascii=False),
            "choices": ", ".join(ServiceKind.values),
        }
    return None


def _check_response_days(value):
    if isinstance(value, bool) or not isinstance(value, int):
        return _("svartiden må være et heltall (virkedager), ikke %(type)s.") % {"type": _type_name(value)}
    if not 1 <= value <= RESPONSE_DAYS_MAX:
        return _("svartiden må være mellom 1 og %(max)s virkedager.") % {"max": RESPONSE_DAYS_MAX}
    return None


def _check_list(value):
    if not isinstance(value, list):
        return _("verdien må være en liste, ikke %(type)s.") % {"type": _type_name(value)}
    return None


_MISSING = object()


class _Fields:
    """Reads the fields of one JSON object, collecting an error (with its line) for each bad one."""

    def __init__(self, obj: LocatedDict, errors: list, what: str, allowed: set):
        self.obj, self.errors, self.what = obj, errors, what
        self.ok = True
        for key in obj:
            if key not in allowed:
                self.error(
                    obj.lines[key],
                    _("ukjent felt «%(key)s» i %(what)s; tillatte felt er %(allowed)s.")
                    % {"key": key, "what": what, "allowed": ", ".join(sorted(allowed))},
                )

    def error(self, line, message):
        self.ok = False
        self.errors.append(RegisterError(line, message))

    def line(self, key):
        return self.obj.lines.get(key, self.obj.line)

    def take(self, key, check, default=_MISSING):
        if key not in self.obj:
            if default is _MISSING:
                self.error(self.obj.line, _("%(what)s mangler feltet «%(key)s».") % {"what": self.what, "key": key})
                return None
            return default
        value = self.obj[key]
        problem = check(value)
        if problem:
            self.error(self.obj.lines[key], _("«%(key)s»: %(problem)s") % {"key": key, "problem": problem})
            return None
        return value


def _items(container: LocatedList, errors, what):
    """The items of a list that are objects; an error for each item that is not."""
    for item, line in zip(container, container.lines, strict=False):
        if isinstance(item, LocatedDict):
            yield item
        else:
            errors.append(
                RegisterError(
                    line,
                    _("hvert element i %(what)s må være et objekt, ikke %(type)s.")
                    % {"what": what, "type": _type_name(item)},
                )
            )


def _read_processes(items, kind, errors):
    processes = {}
    for obj in _items(items, errors, _("«processes»")):
        fields = _Fields(obj, errors, _("en prosess"), {"process", "appointment_level"})
        process = fields.take(
            "process",
            lambda v: (
                None
                if _current(v, LEGACY_PROCESSES) in Process.values
                else _("ukjent prosess %(value)s; gyldige prosesser er %(choices)s.")
                % {"value": json.dumps(v, ensure_ascii=False), "choices": ", ".join(Process.values)}
            ),
        )
        level = fields.take(
            "appointment_level",
            lambda v: (
                None
                if v in AppointmentLevel.values
                else _("ukjent nivå %(value)s; gyldige nivåer er %(choices)s.")
                % {"value": json.dumps(v, ensure_ascii=False), "choices": ", ".join(AppointmentLevel.values)}
            ),
            default=None,
        )
        if not fields.ok:
            continue
        process = _current(process, LEGACY_PROCESSES)
        if process in processes:
            fields.error(
                fields.line("process"),
                _("prosessen %(process)s står to ganger for samme tjeneste.") % {"process": process},
            )
            continue
        if process != Process.APPOINTMENTS and level not in (None, AppointmentLevel.NONE):
            fields.error(
                fields.line("appointment_level"), _("«appointment_level» gjelder bare prosessen «appointments».")
            )
            continue
        if kind is not None:
            problem = process_frame_error(kind, process, level if process == Process.APPOINTMENTS else None)
            if problem:
                # A level beyond the frame is the level's fault; anything else is the process's.
                where = "appointment_level" if process in PROCESS_FRAMES[kind] and level else "process"
                fields.error(fields.line(where), str(problem))
                continue
        processes[process] = level if process == Process.APPOINTMENTS else None
    return processes


def _read_service(obj, errors):
    fields = _Fields(obj, errors, _("en tjeneste"), {"her_id", "name", "kind", "response_days", "active", "processes"})
    her_id = fields.take("her_id", _check_her_id)
    name = fields.take("name", _check_name)
    kind = _current(fields.take("kind", _check_kind), LEGACY_KINDS)
    response_days = fields.take("response_days", _check_response_days, default=DEFAULT_RESPONSE_DAYS)
    active = fields.take("active", _check_bool, default=True)
    process_items = fields.take("processes", _check_list)
    processes = _read_processes(process_items, kind, errors) if process_items is not None else {}
    if her_id is None:
        return None
    # A row with other errors is still returned, so its HER-id takes part in the clash checks;
    # nothing is written once any error is found.
    return ServiceRow(
        line=obj.line,
        her_id_line=fields.line("her_id"),
        her_id=her_id,
        name=(name or "").strip(),
        kind=kind,
        response_days=response_days,
        active=active,
        processes=processes,
    )


def _read_organisation(obj, errors):
    fields = _Fields(
        obj, errors, _("en virksomhet"), {"her_id", "name", "org_number", "is_hospital", "active", "services"}
    )
    her_id = fields.take("her_id", _check_her_id)
    name = fields.take("name", _check_name)
    org_number = fields.take("org_number", _check_org_number, default="")
    is_hospital = fields.take("is_hospital", _check_bool, default=False)
    active = fields.take("active", _check_bool, default=True)
    service_items = fields.take("services", _check_list)
    services = []
    for service_obj in _items(service_items or LocatedList(), errors, _("«services»")):
        row = _read_service(service_obj, errors)
        if row is not None:
            services.append(row)
    if her_id is None:
        return None
    return OrganisationRow(
        line=obj.line,
        her_id_line=fields.line("her_id"),
        her_id=her_id,
        name=(name or "").strip(),
        org_number=org_number,
        is_hospital=is_hospital,
        active=active,
        services=services,
    )


def _read_document(text, errors):
    try:
        document = located_json_parse(text)
    except JsonSyntaxError as exc:
        errors.append(
            RegisterError(
                exc.line,
                _("ugyldig JSON: %(message)s (kolonne %(column)s)") % {"message": exc.message, "column": exc.column},
            )
        )
        return []
    if not isinstance(document, LocatedDict):
        errors.append(
            RegisterError(1, _("filen må inneholde ett JSON-objekt med «format», «version» og «organisations»."))
        )
        return []
    fields = _Fields(document, errors, _("dokumentet"), {"format", "version", "organisations"})
    fields.take("format", lambda v: None if v == FORMAT else _("må være %(format)s.") % {"format": json.dumps(FORMAT)})
    fields.take(
        "version",
        lambda v: (
            None
            if v == VERSION and not isinstance(v, bool)
            else _("bare versjon %(version)s støttes.") % {"version": VERSION}
        ),
    )
    items = fields.take("organisations", _check_list)
    rows = []
    for obj in _items(items or LocatedList(), errors, _("«organisations»")):
        row = _read_organisation(obj, errors)
        if row is not None:
            rows.append(row)
    return rows


def _check_her_ids(rows, errors):
    """HER-ids are one namespace across both levels: unique in the file and consistent with the database."""
    seen: dict[object, object] = {}
    for org in rows:
        for her_id, line, what in [(org.her_id, org.her_id_line, _("virksomheten"))] + [
            (s.her_id, s.her_id_line, _("tjenesten")) for s in org.services
        ]:
            if her_id in seen:
                errors.append(
                    RegisterError(
                        line,
                        _("HER-id %(her_id)s for %(what)s er allerede brukt på linje %(first)s i filen.")
                        % {"her_id": her_id, "what": what, "first": seen[her_id]},
                    )
                )
            else:
                seen[her_id] = line
    org_ids = [org.her_id for org in rows]
    service_ids = [s.her_id for org in rows for s in org.services]
    services_by_her = {
        s.her_id: s for s in Service.objects.select_related("organisation").filter(her_id__in=org_ids + service_ids)
    }
    organisations_by_her = set(Organisation.objects.filter(her_id__in=service_ids).values_list("her_id", flat=True))
    for org in rows:
        clash = services_by_her.get(org.her_id)
        if clash is not None:
            errors.append(
                RegisterError(
                    org.her_id_line,
                    _(
                        "HER-id %(her_id)s tilhører allerede tjenesten «%(name)s» i registeret; "
                        "en virksomhet kan ikke ha samme HER-id."
                    )
                    % {"her_id": org.her_id, "name": clash.name},
                )
            )
        for service in org.services:
            if service.her_id in organisations_by_her:
                errors.append(
                    RegisterError(
                        service.her_id_line,
                        _(
                            "HER-id %(her_id)s tilhører allerede en virksomhet i registeret; "
                            "en tjeneste kan ikke ha samme HER-id."
                        )
                        % {"her_id": service.her_id},
                    )
                )
            existing = services_by_her.get(service.her_id)
            if existing is not None and existing.organisation.her_id != org.her_id:
                errors.append(
                    RegisterError(
                        service.her_id_line,
                        _(
                            "HER-id %(her_id)s tilhører tjenesten «%(name)s» hos en annen virksomhet "
                            "(%(org)s, HER-id %(org_her_id)s); import flytter ikke tjenester mellom virksomheter."
                        )
                        % {
                            "her_id": service.her_id,
                            "name": existing.name,
                            "org": existing.organisation.name,
                            "org_her_id": existing.organisation.her_id,
                        },
                    )
                )


# --- writing ------------------------------------------------------------------------


def _upsert(model, her_id, values):
    """Create or update the row with this HER-id; return (instance, 'created'|'updated'|'unchanged')."""
    instance = model.objects.filter(her_id=her_id).first()
    if instance is None:
        instance = model(her_id=her_id, **values)
        outcome = "created"
    elif all(getattr(instance, key) == value for key, value in values.items()):
        return instance, "unchanged"
    else:
        for key, value in values.items():
            setattr(instance, key, value)
        outcome = "updated"
    instance.full_clean()
    instance.save()
    return instance, outcome


def _write(rows, report, errors):
    for org_row in rows:
        try:
            org, outcome = _upsert(
                Organisation,
                org_row.her_id,
                {
                    "name": org_row.name,
                    "org_number": org_row.org_number,
                    "is_hospital": org_row.is_hospital,
                    "active": org_row.active,
                },
            )
        except ValidationError as exc:
            errors.append(RegisterError(org_row.line, "; ".join(exc.messages)))
            continue
        report.organisations[outcome] += 1
        for row in org_row.services:
            try:
                service, outcome = _upsert(
                    Service,
                    row.her_id,
                    {
                        "organisation": org,
                        "name": row.name,
                        "kind": row.kind,
                        "response_days": row.response_days,
                        "active": row.active,
                    },
                )
                current = {
                    sp.process: (sp.appointment_level if sp.process == Process.APPOINTMENTS else None)
                    for sp in service.processes.all()
                }
                if current != row.processes:
                    service_processes_set(service=service, enabled=row.processes)
                    outcome = "updated" if outcome == "unchanged" else outcome
            except ValidationError as exc:
                errors.append(RegisterError(row.line, "; ".join(exc.messages)))
                continue
            report.services[outcome] += 1


def _import_audit(report: ImportReport) -> None:
    """One staff-audit entry per operator import; a dry run, which changes nothing, writes none."""
    from national.services import Audit, audit_write  # national imports clinics: import on use

    audit_write(
        actor=None,
        organisation=None,
        action=Audit.REGISTER_IMPORT,
        detail=f"organisations:{dict(report.organisations)} services:{dict(report.services)}",
    )


def register_import(*, text: str, dry_run: bool = False) -> ImportReport:
    """Create or update organisations and services by HER-id from a register file.

    Every row is checked before anything is written, and the writes run in one
    transaction: a single bad row refuses the whole file (RegisterImportError) and the
    register is left exactly as it was. Services and organisations the file does not
    mention are left alone; a listed service's processes become exactly those listed.
    With `dry_run` the writes are made and rolled back, so the report and any database
    refusal are the same as for a real import.
    """
    errors: list[RegisterError] = []
    rows = _read_document(text, errors)
    _check_her_ids(rows, errors)
    if errors:
        raise RegisterImportError(errors)
    report = ImportReport(dry_run=dry_run)
    try:
        with transaction.atomic(using=NATIONAL_DB):
            _write(rows, report, errors)
            if errors:
                raise RegisterImportError(errors)
            if dry_run:
                transaction.set_rollback(True, using=NATIONAL_DB)
            else:
                # Last, once every write has been made: the trail is in the same (national) store,
                # so it commits with the register's rows.
                _import_audit(report)
    except IntegrityError as exc:
        # Another writer changed the register between our checks and our writes.
        raise RegisterImportError(
            [RegisterError(1, _("databasen avviste importen: %(error)s") % {"error": exc})]
        ) from exc
    return report
