from tests.journal.conftest import gp_record, hospital  # noqa: F401 (shared fixtures)
