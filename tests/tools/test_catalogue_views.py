"""The public catalogue: search by text, form, target group and topic; pagination; empty states."""

import pytest
from django.urls import reverse

from tests.tools.conftest import approve_all, submit_tool
from tools.models import TargetGroup, ToolKind, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(maker, reviewer):
    return {
        "sleep": approve_all(
            submit_tool(
                maker, name="Søvnskolen", topic=Topic.SLEEP, kind=ToolKind.WEB, target_group=TargetGroup.ADULTS
            ),
            reviewer,
        ),
        "kids": approve_all(
            submit_tool(
                maker,
                name="Barnepusten",
                topic=Topic.LUNGS,
                kind=ToolKind.APP,
                target_group=TargetGroup.CHILDREN,
                maker="Barnas AS",
            ),
            reviewer,
        ),
        "monitor": approve_all(
            submit_tool(maker, name="Hjemmemåleren", topic=Topic.HEART, kind=ToolKind.HOME_MONITORING), reviewer
        ),
    }


@pytest.mark.parametrize(
    "query,expected",
    [
        ({}, {"sleep", "kids", "monitor"}),
        ({"q": "barnas"}, {"kids"}),
        ({"q": "søvn"}, {"sleep"}),
        ({"kind": ToolKind.HOME_MONITORING}, {"monitor"}),
        ({"target_group": TargetGroup.CHILDREN}, {"kids"}),
        ({"topic": Topic.SLEEP}, {"sleep"}),
        ({"topic": Topic.LUNGS, "kind": ToolKind.WEB}, set()),
    ],
)
def test_filters(client, catalogue, query, expected):
    body = client.get(reverse("tools:catalogue"), query).content.decode()
    shown = {key for key, tool in catalogue.items() if tool.name in body}
    assert shown == expected
    if not expected:
        assert "Ingen verktøy passer søket ditt" in body


def test_unknown_filter_value_is_an_error_not_a_crash(client, catalogue):
    response = client.get(reverse("tools:catalogue"), {"kind": "hologram"})
    assert response.status_code == 200 and "Skjemaet har feil" in response.content.decode()


def test_empty_catalogue(client, db):
    assert "Katalogen har ingen publiserte verktøy" in client.get(reverse("tools:catalogue")).content.decode()


def test_pagination_keeps_filters(client, maker, reviewer):
    for i in range(12):
        approve_all(submit_tool(maker, name=f"Verktøy {i:02d}", topic=Topic.PAIN), reviewer)
    first = client.get(reverse("tools:catalogue"), {"topic": Topic.PAIN}).content.decode()
    assert "Side 1 av 2" in first and f"topic={Topic.PAIN}" in first and "side=2" in first
    second = client.get(reverse("tools:catalogue"), {"topic": Topic.PAIN, "side": "2"}).content.decode()
    assert "Verktøy 11" in second and "Verktøy 00" not in second
    # A page number out of range or not a number shows a page, never an error.
    assert client.get(reverse("tools:catalogue"), {"side": "99"}).status_code == 200
    assert client.get(reverse("tools:catalogue"), {"side": "x"}).status_code == 200
