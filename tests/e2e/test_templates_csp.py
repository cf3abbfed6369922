"""Our templates obey the strict Content-Security-Policy (script-src 'self'; style-src 'self').

The browser tests catch violations on the pages they visit; this catches them in every template,
including pages no browser test reaches yet.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
INLINE = {
    "inline style attribute": re.compile(r"\sstyle\s*=", re.I),
    "inline <style> element": re.compile(r"<style[\s>]", re.I),
    "inline <script> (no src)": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I
    ),
    "event-handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def _our_templates():
    skip = {".venv", "node_modules", "staticfiles", "var", "artifacts", ".git"}
    for path in sorted(BASE.rglob("*.html")):
        if not skip.intersection(path.relative_to(BASE).parts):
            yield path


def test_templates_exist():
    assert any(p.name == "base.html" for p in _our_templates())


@pytest.mark.parametrize("path", list(_our_templates()), ids=lambda p: str(p.relative_to(BASE)))
def test_template_has_nothing_the_csp_would_block(path):
    text = path.read_text(encoding="utf-8")
    found = [
        f"{what} at line {text.count(chr(10), 0, match.start()) + 1}: {match.group(0).strip()!r}"
        for what, pattern in INLINE.items()
        for match in pattern.finditer(text)
    ]
    assert not found, f"{path.relative_to(BASE)}: " + "; ".join(found)
