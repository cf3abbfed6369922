"""The shared components (templates/components/): one pagination and one form field for every page.

Rendered on their own with real forms and pages, and read back with an HTML parser, so the
checks see what a browser and a screen reader see: which label belongs to which input, what the
input's aria-describedby points at, and where a pager's links lead.
"""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils.datastructures import MultiValueDict


class _Elements(HTMLParser):
    """Every start tag as (tag, attributes), and the text inside each element with an id."""

    def __init__(self, html):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag not in ("input", "br", "img", "meta", "link"):
            self._open.append(attributes.get("id"))

    def handle_endtag(self, tag):
        if tag not in ("input", "br", "img", "meta", "link") and self._open:
            self._open.pop()

    def handle_data(self, data):
        for element_id in self._open:
            if element_id:
                self.text_by_id[element_id] = self.text_by_id.get(element_id, "") + data

    def find(self, tag, **wanted):
        return [attrs for t, attrs in self.elements if t == tag and all(attrs.get(k) == v for k, v in wanted.items())]


class EveryWidget(forms.Form):
    name = forms.CharField(label="Navn", help_text="Slik det står i folkeregisteret.")
    text = forms.CharField(label="Melding", widget=forms.Textarea)
    choice = forms.ChoiceField(label="Tjeneste", choices=[("a", "A"), ("b", "B")])
    radios = forms.ChoiceField(
        label="Hvordan", choices=[("x", "X"), ("y", "Y")], widget=forms.RadioSelect, help_text="Velg én."
    )
    days = forms.MultipleChoiceField(
        label="Dager", choices=[("1", "Mandag"), ("2", "Tirsdag")], widget=forms.CheckboxSelectMultiple
    )
    attachment = forms.FileField(label="Vedlegg", required=False)
    agree = forms.BooleanField(label="Jeg godtar", help_text="Du må godta.")
    token = forms.CharField(widget=forms.HiddenInput, required=False)


def _render_fields(form, **extra):
    html = "".join(render_to_string("components/field.html", {"field": field, **extra}) for field in form)
    return html, _Elements(html)


def test_each_input_has_its_label_and_help_text_and_no_error_marks_when_valid():
    html, page = _render_fields(EveryWidget())
    for name, label in (("name", "Navn"), ("text", "Melding"), ("choice", "Tjeneste"), ("attachment", "Vedlegg")):
        (label_tag,) = page.find("label", **{"for": f"id_{name}"})
        assert (
            page.find("input", id=f"id_{name}")
            or page.find("textarea", id=f"id_{name}")
            or page.find("select", id=f"id_{name}")
        )
        assert label in html and label_tag is not None
    assert page.find("input", id="id_attachment", type="file")
    # Help text is linked from the input; nothing is marked invalid.
    (name_input,) = page.find("input", id="id_name")
    assert name_input["aria-describedby"] == "id_name_helptext"
    assert page.text_by_id["id_name_helptext"] == "Slik det står i folkeregisteret."
    assert "aria-invalid" not in html and "errorlist" not in html
    # A list of radios or checkboxes is a fieldset named by its legend, linked to its help text.
    fieldsets = page.find("fieldset")
    assert [f.get("aria-describedby") for f in fieldsets] == ["id_radios_helptext", None]
    assert "<legend>Hvordan" in html and "<legend>Dager" in html
    # A single checkbox: the box, then its label.
    (agree,) = page.find("input", id="id_agree", type="checkbox")
    assert agree["aria-describedby"] == "id_agree_helptext" and page.find("label", **{"for": "id_agree"})
    # A hidden field renders bare: no label, no wrapper.
    assert page.find("input", type="hidden", name="token") and not page.find("label", **{"for": "id_token"})


def test_errors_are_announced_before_the_input_and_linked_from_it():
    form = EveryWidget(
        data={"name": "", "text": "", "choice": "zz", "radios": "", "days": [], "agree": ""},
        files=MultiValueDict({"attachment": [SimpleUploadedFile("a.txt", b"")]}),
    )
    assert not form.is_valid()
    html, page = _render_fields(form)
    for name in ("name", "text", "choice"):
        element = page.find("input", id=f"id_{name}") + page.find("textarea", id=f"id_{name}")
        element = element or page.find("select", id=f"id_{name}")
        assert element[0]["aria-invalid"] == "true"
        assert f"id_{name}_error" in element[0]["aria-describedby"].split()
        assert page.text_by_id[f"id_{name}_error"].strip()
        assert html.index(f'id="id_{name}_error"') < html.index(f'id="id_{name}"')
    (name_input,) = page.find("input", id="id_name")
    assert name_input["aria-describedby"].split() == ["id_name_helptext", "id_name_error"]
    radios_fieldset, days_fieldset = page.find("fieldset")
    assert radios_fieldset["aria-describedby"].split() == ["id_radios_helptext", "id_radios_error"]
    assert days_fieldset["aria-describedby"] == "id_days_error"
    assert all(r["aria-invalid"] == "true" for r in page.find("input", type="radio"))
    (agree,) = page.find("input", id="id_agree")
    assert agree["aria-invalid"] == "true" and "id_agree_error" in agree["aria-describedby"].split()
    assert html.count('class="field field--error"') + html.count('class="field field--checkbox field--error"') == 7


def test_field_label_can_be_replaced_and_required_fields_marked():
    form = EveryWidget()
    html = render_to_string("components/field.html", {"field": form["agree"], "field_label": "Jeg godtar 400 kr"})
    assert "Jeg godtar 400 kr</label>" in html
    marked = render_to_string("components/field.html", {"field": form["name"], "mark_required": True})
    assert 'Navn <span aria-hidden="true">*</span></label>' in marked
    assert "*" not in render_to_string("components/field.html", {"field": form["attachment"], "mark_required": True})


def _pager(url, number, **context):
    page = Paginator(range(25), 10).get_page(number)
    html = render_to_string("components/pagination.html", {"page": page, **context}, request=RequestFactory().get(url))
    return html, _Elements(html)


def _link(page, rel):
    (anchor,) = page.find("a", rel=rel)
    return parse_qs(urlsplit(anchor["href"]).query)


def test_pagination_keeps_every_other_parameter_and_changes_only_its_own():
    html, page = _pager("/liste?status=open&q=a%26b&tidligere=2&side=2", 2)
    assert "Side 2 av 3" in html and page.find("nav", **{"aria-label": "Sider"})
    assert _link(page, "prev") == {"status": ["open"], "q": ["a&b"], "tidligere": ["2"], "side": ["1"]}
    assert _link(page, "next") == {"status": ["open"], "q": ["a&b"], "tidligere": ["2"], "side": ["3"]}


def test_a_second_list_on_the_same_screen_pages_by_its_own_parameter():
    html, page = _pager("/timer?side=3", 1, param="tidligere", label="Tidligere timer, sider")
    assert page.find("nav", **{"aria-label": "Tidligere timer, sider"})
    assert not page.find("a", rel="prev")
    assert _link(page, "next") == {"side": ["3"], "tidligere": ["2"]}


@pytest.mark.parametrize("count", [0, 10])
def test_no_pager_for_a_single_page(count):
    page = Paginator(range(count), 10).get_page(1)
    assert (
        render_to_string("components/pagination.html", {"page": page}, request=RequestFactory().get("/")).strip() == ""
    )
