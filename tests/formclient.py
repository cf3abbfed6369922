"""A test client that carries a form's one-time submission key, as a browser does.

Every state-changing portal form renders a fresh key (`{% submission_key %}`); a browser sends it
back with the form. This client adds a freshly issued key for the logged-in user to a POST that
has none, so a test that posts form data behaves like one that loaded the form first. Tests of
the key itself pass `submission_key` explicitly (an empty string sends none).
"""

from django.test import Client
from django.utils.datastructures import MultiValueDict

from submissions.services import FIELD_NAME, issue_key


class FormClient(Client):
    def post(self, path, data=None, *args, **kwargs):
        user_id = self.session.get("_auth_user_id")
        if isinstance(data, MultiValueDict) and user_id is not None and FIELD_NAME not in data:
            data = data.copy()
            data[FIELD_NAME] = issue_key(user_id=int(user_id))
        elif isinstance(data, dict) and user_id is not None and FIELD_NAME not in data:
            data = {**data, FIELD_NAME: issue_key(user_id=int(user_id))}
        elif data is None and user_id is not None and "content_type" not in kwargs:
            data = {FIELD_NAME: issue_key(user_id=int(user_id))}
        return super().post(path, data, *args, **kwargs)
