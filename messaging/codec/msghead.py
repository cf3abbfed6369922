from messaging.codec.types import AppRec, Message


def message_build(message: Message) -> bytes:
    raise NotImplementedError


def message_parse(data: bytes) -> Message:
    raise NotImplementedError


def document_parse(data: bytes) -> Message | AppRec:
    raise NotImplementedError
