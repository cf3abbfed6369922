"""URL converters shared by every app's URLconf (registered in helsenorge.urls before any include)."""


class IdConverter:
    """A database id in a path: 1 to 18 digits.

    Django's `int` converter takes any run of digits, and an id past the 64-bit range reaches the
    database, which fails on it (SQLite raises OverflowError) instead of finding nothing. Eighteen
    digits stay below 2**63, so a longer id cannot name a row and the URL does not match: 404.
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
