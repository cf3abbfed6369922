from messaging.codec.types import AppRec


def apprec_build(apprec: AppRec) -> bytes:
    raise NotImplementedError


def apprec_parse(data: bytes) -> AppRec:
    raise NotImplementedError
