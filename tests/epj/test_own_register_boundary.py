"""The EPJ answers "is this our patient?" from its own register only.

The import contracts keep the EPJ from importing the portal's apps, but the portal's health
contacts (`clinics.HealthContact`, which links the portal's persons) sit in the address register's
module the EPJ imports for organisations and services. So this reads the EPJ's source: no name,
attribute or ORM lookup of the EPJ reaches the health contacts (its migrations included: the
EPJ's store began afresh, and the demo's patient lists are seeded by `ops/population.py`).
"""

import ast
from pathlib import Path

import pytest

EPJ = Path(__file__).resolve().parents[2] / "epj"
FORBIDDEN_NAMES = {"HealthContact", "health_contacts"}
FORBIDDEN_LOOKUPS = ("health_contact", "contacts__")


def _epj_sources() -> list[Path]:
    return sorted(EPJ.rglob("*.py"))


def _is_lookup_string(node: ast.AST) -> bool:
    """An ORM lookup path in a string ("service__contacts__person__nin")."""
    text = node.value if isinstance(node, ast.Constant) else None
    return isinstance(text, str) and "__" in text and any(k in text for k in FORBIDDEN_LOOKUPS)


def _reaches_health_contacts(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(f"line {node.lineno}: name {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES:
            found.append(f"line {node.lineno}: attribute {node.attr}")
        elif isinstance(node, ast.alias) and node.name.split(".")[-1] in FORBIDDEN_NAMES:
            found.append(f"line {node.lineno}: import {node.name}")
        elif isinstance(node, ast.keyword) and node.arg and any(k in node.arg for k in FORBIDDEN_LOOKUPS):
            found.append(f"line {node.lineno}: lookup {node.arg}")
        elif _is_lookup_string(node):
            found.append(f"line {node.lineno}: lookup {node.value!r}")  # type: ignore[attr-defined]
    return found


def test_the_scan_sees_the_epj_and_would_catch_a_health_contact_read():
    assert len(_epj_sources()) > 30
    caught = _reaches_health_contacts(
        ast.parse(
            "from clinics.models import HealthContact\n"
            "HealthContact.objects.filter(person__nin=n)\n"
            "Service.objects.filter(contacts__active=True)\n"
            "person.health_contacts.all()\n"
            "qs.values_list('service__contacts__person__nin')\n"
        )
    )
    assert len(caught) == 5, caught


@pytest.mark.parametrize("path", _epj_sources(), ids=lambda p: str(p.relative_to(EPJ.parent)))
def test_no_epj_module_reads_the_portals_health_contacts(path):
    assert _reaches_health_contacts(ast.parse(path.read_text(encoding="utf-8"))) == []
