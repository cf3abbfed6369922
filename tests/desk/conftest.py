from tests.dialogs.conftest import clinic_data, epj_sync, sent  # noqa: F401 (fixtures)
