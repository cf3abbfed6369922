def schema_validate(data: bytes) -> list[str]:
    raise NotImplementedError


def schemas_available() -> bool:
    raise NotImplementedError
