import pytest

from clinics.demo import seed_all
from tools.demo import seed_tools
from tools.models import Tool, ToolDispatch, ToolStatus

pytestmark = pytest.mark.django_db


def test_demo_tools_cover_each_state_and_seed_twice(django_capture_on_commit_callbacks):
    seed_all()
    with django_capture_on_commit_callbacks(execute=True):
        count = seed_tools()
    before = (count, ToolDispatch.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        assert (seed_tools(), ToolDispatch.objects.count()) == before
    statuses = list(Tool.objects.values_list("status", flat=True))
    assert statuses.count(ToolStatus.PUBLISHED) == 4
    assert statuses.count(ToolStatus.WITHDRAWN) == 1
    assert statuses.count(ToolStatus.PENDING) == 1
    assert (
        ToolDispatch.objects.filter(person__given_name="Nora", sent_by__email="kari.lege@bakkehuset.demo").count() == 1
    )
