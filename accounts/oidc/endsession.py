import requests
from allauth.socialaccount.adapter import get_adapter


def end_session_endpoint(issuer: str) -> str:
    """The provider's end_session_endpoint from its discovery document; empty when it has none."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        with get_adapter().get_requests_session() as session:
            response = session.get(url)
            response.raise_for_status()
            return str(response.json().get("end_session_endpoint", ""))
    except (requests.RequestException, ValueError):
        return ""
