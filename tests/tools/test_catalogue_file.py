"""`manage.py tools_catalogue export|import`: round trip, and all-or-nothing validation naming the row."""

import json

import pytest
from django.core.management import CommandError, call_command

from tests.tools.conftest import db_state
from tools.catalogue_file import catalogue_export
from tools.models import Dimension, EventKind, TargetGroup, Tool, ToolStatus, Topic, Verdict

pytestmark = pytest.mark.django_db


def row(**overrides):
    data = {
        "slug": "ny-app",
        "name": "Ny app",
        "maker": "Lag AS",
        "purpose": "Hjelper.",
        "target_group": TargetGroup.ADULTS,
        "topic": Topic.PAIN,
        "kind": "app",
        "launch_url": "https://ny.example/",
        "privacy_url": "https://ny.example/p",
        "privacy_text": "",
        "evidence": "Studie.",
        "self_service": False,
        "status": ToolStatus.PUBLISHED,
        "withdrawal_reason": "",
        "assessments": [{"dimension": d, "verdict": Verdict.APPROVED, "notes": ""} for d in Dimension.values],
    }
    data.update(overrides)
    return data


def write(tmp_path, rows):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_export_then_import_elsewhere_round_trips(tmp_path, published, withdrawn, pending_tool):
    path = tmp_path / "out.json"
    call_command("tools_catalogue", "export", str(path))
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert {r["slug"] for r in exported} == {published.slug, withdrawn.slug, pending_tool.slug}
    Tool.objects.all().delete()
    call_command("tools_catalogue", "import", str(path))
    assert catalogue_export() == exported
    again = Tool.objects.get(slug=withdrawn.slug)
    assert again.status == ToolStatus.WITHDRAWN and again.withdrawal_reason == withdrawn.withdrawal_reason
    assert again.events.filter(kind=EventKind.IMPORTED).count() == 1


def test_reimport_of_the_same_file_changes_nothing(tmp_path, published):
    path = tmp_path / "out.json"
    call_command("tools_catalogue", "export", str(path))
    before = db_state()
    call_command("tools_catalogue", "import", str(path))
    assert db_state() == before


def test_import_creates_and_updates(tmp_path, published):
    changed = [r for r in catalogue_export()][0]
    changed["name"] = "Pusteappen 2"
    call_command("tools_catalogue", "import", str(write(tmp_path, [changed, row()])))
    assert Tool.objects.get(slug=published.slug).name == "Pusteappen 2"
    assert Tool.objects.get(slug="ny-app").status == ToolStatus.PUBLISHED


@pytest.mark.parametrize(
    "bad,message",
    [
        (row(launch_url="http://ny.example/"), "launch_url"),
        (row(kind="hologram"), "kind"),
        (row(assessments=[]), "all three dimensions approved"),
        (row(status=ToolStatus.WITHDRAWN), "withdrawal_reason"),
        (row(extra="x"), "unknown field"),
        ({"slug": "x"}, "missing field"),
        (row(self_service="yes"), "self_service"),
        (row(privacy_url="", privacy_text=""), "personvernerklæringen"),
        ("not an object", "JSON object"),
        (row(slug="pusteappen-ny", assessments=[{"dimension": "smak", "verdict": Verdict.APPROVED}]), "assessments[0]"),
    ],
)
def test_one_bad_row_rejects_the_whole_file_naming_it(tmp_path, published, bad, message):
    path = write(tmp_path, [row(slug="good-one"), bad])
    before = db_state()
    with pytest.raises(CommandError) as exc:
        call_command("tools_catalogue", "import", str(path))
    text = str(exc.value)
    line = path.read_text(encoding="utf-8").splitlines().index("  },") + 2  # row 1 starts after row 0 closes
    assert f"row 1 (line {line})" in text and message in text, text
    assert "row 0" not in text
    assert db_state() == before


def test_line_numbers_point_at_the_row(tmp_path):
    text = '[\n  {"slug": "a"},\n\n  {"slug": "b"}\n]\n'
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("tools_catalogue", "import", str(path))
    assert "row 0 (line 2)" in str(exc.value) and "row 1 (line 4)" in str(exc.value)


def test_duplicate_slugs_are_rejected(tmp_path):
    with pytest.raises(CommandError, match=r"row 1 \(line \d+\): slug 'ny-app' already used by row 0"):
        call_command("tools_catalogue", "import", str(write(tmp_path, [row(), row()])))
    assert not Tool.objects.exists()


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "must be a JSON array"),
        ('{"slug": "a"}', "must be a JSON array"),
        ('[{"slug": "a",}]', "row 0 (line 1): invalid JSON"),
        ("[1, 2", "expected ',' or ']'"),
        ("[] []", "unexpected content"),
    ],
)
def test_broken_json_is_rejected(tmp_path, text, message):
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("tools_catalogue", "import", str(path))
    assert message in str(exc.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("tools_catalogue", "import", str(tmp_path / "nope.json"))


def test_empty_catalogue_imports_nothing(tmp_path):
    call_command("tools_catalogue", "import", str(write(tmp_path, [])))
    assert not Tool.objects.exists()
