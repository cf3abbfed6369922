"""The national services' store alias (routing: helsenorge/routers.py)."""

from helsenorge.routers import NATIONAL_DB

__all__ = ["NATIONAL_DB"]
