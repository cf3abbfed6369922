"""The one hardened XML parser (filled in below)."""

from messaging.codec.types import CodecError


def xml_parser():
    raise NotImplementedError


def secure_parse(data: bytes):
    raise CodecError("T99", "not implemented yet")
