"""A sender that signs with whatever certificate it holds, valid or not (what `protect` refuses to
do): the receiver's checks are what the tests exercise."""

from messaging.cms.protection import sign_and_encrypt_unchecked as protect_unchecked

__all__ = ["protect_unchecked"]
