"""Demo tools for `manage.py seed_demo`: a few published tools, one withdrawn, one pending review,
and one tool sent by Kari Lege to Nora. Runs after `clinics.demo.seed_all()` (it needs the
demo reviewer, Kari and Nora). Idempotent: tools are looked up by slug and only created once.
The tool makers' sites use the reserved `.example` domain, so nothing real is linked.
"""

import datetime

from django.db import transaction
from django.utils.text import slugify

from accounts.models import Person, User
from accounts.nin import nin_generate
from clinics.demo import REVIEWER, STAFF
from clinics.models import Organisation, StaffRole
from tools.models import Dimension, TargetGroup, Tool, ToolDispatch, ToolKind, ToolStatus, Topic, Verdict
from tools.services import tool_assess, tool_send, tool_submit, tool_withdraw

MAKER_EMAIL = "produsent@verktoy.demo"

DEMO_TOOLS = [
    # (name, maker, purpose, target group, topic, form, self-service, final state)
    (
        "Pusteskolen",
        "Pust og lunger AS",
        "Daglige pusteøvelser og opplæring for deg som lever med KOLS.",
        TargetGroup.ADULTS,
        Topic.LUNGS,
        ToolKind.APP,
        False,
        ToolStatus.PUBLISHED,
    ),
    (
        "Søvndagboka",
        "Søvnsenteret (demo)",
        "Før søvndagbok og få råd om søvnvaner over seks uker.",
        TargetGroup.ADULTS,
        Topic.SLEEP,
        ToolKind.WEB,
        True,
        ToolStatus.PUBLISHED,
    ),
    (
        "Blodtrykk hjemme",
        "Hjertevakt AS",
        "Mål blodtrykket hjemme; målingene deles med behandleren din.",
        TargetGroup.ELDERLY,
        Topic.HEART,
        ToolKind.HOME_MONITORING,
        False,
        ToolStatus.PUBLISHED,
    ),
    (
        "Mestring av angst for unge",
        "Ung psykisk helse (demo)",
        "Selvhjelpsprogram mot angst, med videoer og øvelser.",
        TargetGroup.CHILDREN,
        Topic.MENTAL_HEALTH,
        ToolKind.VIDEO,
        True,
        ToolStatus.PUBLISHED,
    ),
    (
        "Diabetesdagbok 1.0",
        "Sukkerfri AS",
        "Registrer blodsukker og måltider.",
        TargetGroup.ADULTS,
        Topic.DIABETES,
        ToolKind.APP,
        False,
        ToolStatus.WITHDRAWN,
    ),
    (
        "Smertekompasset",
        "Smerteklinikken (demo)",
        "Kartlegg smerte og få øvelser tilpasset deg.",
        TargetGroup.ADULTS,
        Topic.PAIN,
        ToolKind.WEB,
        False,
        ToolStatus.PENDING,
    ),
]


def _slug(name: str) -> str:
    return slugify(name)


def _maker():
    """The demo's tool maker: a person in the register who logs in through ID-porten and names
    her organisation on each submission."""
    born = datetime.date(1979, 6, 15)
    person, _ = Person.objects.get_or_create(
        nin=nin_generate(born, female=True, serial=61),
        defaults={"given_name": "Petra", "family_name": "Produsent", "birth_date": born, "address_code": "MAKER-1"},
    )
    maker = User.objects.filter(email=MAKER_EMAIL).first() or User.objects.create_user(
        email=MAKER_EMAIL, password=None, first_name="Petra", last_name="Produsent"
    )
    if maker.person_id is None and not User.objects.filter(person=person).exists():
        maker.person = person
        maker.set_unusable_password()
        maker.save(update_fields=["person", "password"])
    return maker


@transaction.atomic
def seed_tools():
    """Create the demo catalogue (safe to run again). Returns the number of tools in it."""
    maker = _maker()
    reviewer = User.objects.get(email=REVIEWER[0])
    for name, maker_name, purpose, group, topic, kind, self_service, state in DEMO_TOOLS:
        if Tool.objects.filter(slug=_slug(name)).exists():
            continue
        site = f"https://{_slug(name)}.example"
        tool = tool_submit(
            submitted_by=maker,
            name=name,
            maker=maker_name,
            purpose=purpose,
            target_group=group,
            topic=topic,
            kind=kind,
            launch_url=f"{site}/start",
            privacy_url=f"{site}/personvern",
            evidence="Demo: beskrivelse av studier og erfaringer.",
            self_service=self_service,
        )
        if state == ToolStatus.PENDING:
            tool_assess(
                tool=tool,
                reviewer=reviewer,
                dimension=Dimension.CLINICAL,
                verdict=Verdict.APPROVED,
                notes="Faglig godt begrunnet.",
            )
            continue
        for dimension in Dimension.values:
            tool = tool_assess(tool=tool, reviewer=reviewer, dimension=dimension, verdict=Verdict.APPROVED)
        if state == ToolStatus.WITHDRAWN:
            tool_withdraw(tool=tool, reviewer=reviewer, reason="Produsenten har sluttet å vedlikeholde appen.")
    _seed_dispatch()
    return Tool.objects.count()


def _seed_dispatch():
    """Kari Lege has sent Pusteskolen to Nora, so "Mine verktøy" and the follow-up are not empty."""
    kari = next(s for s in STAFF if s.role == StaffRole.CLINICIAN and s.service_her_id == 8140011)
    sender = User.objects.get(email=kari.email)
    organisation = Organisation.objects.get(her_id=kari.org_her_id)
    nora = Person.objects.filter(given_name="Nora", family_name="Nordmann").first()
    tool = Tool.objects.get(slug=_slug("Pusteskolen"))
    if nora is None or ToolDispatch.objects.filter(tool=tool, person=nora, organisation=organisation).exists():
        return
    tool_send(
        tool=tool,
        organisation=organisation,
        sender=sender,
        patient_nin=nora.nin,
        note="Gjør øvelsene hver morgen i to uker, så snakker vi om det på neste time.",
        suitability_confirmed=True,
    )
