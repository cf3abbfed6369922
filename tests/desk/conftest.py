from tests.dialogs.conftest import clinic_data, sent  # noqa: F401 (fixtures)
