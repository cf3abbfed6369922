"""`manage.py conformance samples` against the real samples in ../shared/samples.

Every sample PROVENANCE.md marks valid and that is addressed to the portal's default HER-ids is
accepted; every other message is refused with the reason PROVENANCE predicts; every valid AppRec
is read as a receipt. The renewal answer with its e-resept M1 documents is accepted: PROVENANCE
calls it invalid only because the M1 schema is not public.
"""

import io

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = [pytest.mark.django_db, pytest.mark.shared]


def run(shared_dir) -> dict[str, str]:
    out = io.StringIO()
    call_command("conformance", "samples", "--dir", str(shared_dir / "samples"), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[-1].endswith("0 differ from PROVENANCE.md"), lines[-1]
    return {line.split(":", 1)[0]: line.split(":", 1)[1] for line in lines[:-1]}


def test_the_portal_answers_to_the_national_her_ids_the_samples_use():
    assert (settings.HN_PORTAL_HER_ID, settings.HN_PORTAL_SERVICE_HER_ID) == (115851, 8093244)


def test_every_valid_sample_addressed_to_the_portal_is_accepted_and_the_rest_as_predicted(shared_dir):
    verdicts = run(shared_dir)
    assert verdicts["hn_DIALOG_INNBYGGER_EKONTAKT.xml"].startswith(" accepted")
    # A real GP's renewal answer: Dialogmelding 1.1 plus two e-resept M1 documents.
    assert verdicts["hn_DIALOG_INNBYGGER_RESEPTFORNYELSE.xml"].startswith(" accepted")
    # Invalid per PROVENANCE: the fixture's misspelt XSI namespace.
    assert verdicts["hn_MetadataTestsDialogmelding11.xml"].startswith(" rejected T02")
    # Valid, but addressed to another party: the portal is not the receiver.
    for name in ("hn_Helsenorge_Message.xml", "hn_Ekontakt.xml", "hn_Dialogtjeneste12_Kommunikasjonstest_Request.xml"):
        assert verdicts[name].startswith(" rejected E21"), name
    receipts = [v for name, v in verdicts.items() if "app-rec" in name.lower() or "Apprec" in name]
    assert receipts and all(v.startswith(" read as a receipt") for v in receipts)
    assert all("expected" in v and v.endswith(": ok]") for v in verdicts.values())


def test_a_run_is_repeatable(shared_dir):
    """The parties it registers are reused; a second run gives the same verdicts (duplicates aside)."""
    first = run(shared_dir)
    second = run(shared_dir)
    assert first.keys() == second.keys()
