"""The statement check the whole suite runs under (helsenorge/storeboundary.py): no statement
names an EPJ table together with a table of another system, so the EPJ's tables can move to a
database of their own."""

import pytest

from epj.desk.models import Case
from epj.models import EpjPatient
from helsenorge import storeboundary
from helsenorge.storeboundary import StoreBoundaryCrossed, statement_crossing
from messaging.models import Envelope

SIDES = {"epj_desk_case": "epj", "epj_epjpatient": "epj", "clinics_organisation": "other", "accounts_user": "other"}


@pytest.mark.parametrize(
    "sql, crossing",
    [
        ('SELECT "epj_desk_case"."id" FROM "epj_desk_case" WHERE "epj_desk_case"."organisation_id" IN (1, 2)', None),
        ('SELECT "epj_desk_case"."id" FROM "epj_desk_case" INNER JOIN "epj_epjpatient" ON (1 = 1)', None),
        ('SELECT "clinics_organisation"."id" FROM "clinics_organisation"', None),
        (
            'SELECT "epj_desk_case"."id" FROM "epj_desk_case" INNER JOIN "clinics_organisation" ON (1 = 1)',
            ({"epj_desk_case"}, {"clinics_organisation"}),
        ),
        (
            'SELECT 1 FROM "epj_epjpatient" WHERE "organisation_id" IN (SELECT "id" FROM "accounts_user")',
            ({"epj_epjpatient"}, {"accounts_user"}),
        ),
        ('CREATE TABLE "epj_epjpatient" ("organisation_id" bigint REFERENCES "clinics_organisation" ("id"))', None),
        ('TRUNCATE "epj_epjpatient", "clinics_organisation";', None),
    ],
)
def test_which_statements_cross(sql, crossing):
    assert statement_crossing(sql, SIDES) == crossing


def test_the_relay_tables_are_on_neither_side():
    assert storeboundary.side_of(Envelope) is None
    assert storeboundary.side_of(Case) == "epj" and storeboundary.side_of(EpjPatient) == "epj"


def test_the_suite_refuses_a_join_across(cast):
    """The check is live in this process: a join from the EPJ's rows into the register fails."""
    with pytest.raises(StoreBoundaryCrossed, match="clinics_organisation"):
        list(EpjPatient.objects.select_related("organisation"))
    assert storeboundary.crossings
    storeboundary.crossings.clear()
    assert list(EpjPatient.objects.prefetch_related("organisation"))
    assert not storeboundary.crossings
