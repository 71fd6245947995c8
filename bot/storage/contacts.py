"""The contact of a person waiting for a human: what staff need to answer them on their channel, kept encrypted.

A hand-off request stores the conversation id ("sms:+86139…", "telegram:123…") only as a Fernet token
(``cryptography``: AES-128-CBC with an HMAC-SHA256, authenticated), under HANDOFF_CONTACT_KEY, and only while the
request is waiting: closing it deletes the token. The console decrypts it on a staff member's request and audits
that (``bot.console.web.handoff_views``).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class ContactKeyError(ValueError):
    """The key is not a Fernet key, or it is not the key the contact was sealed with."""


def cipher(key: str) -> Fernet:
    """The Fernet cipher of ``key`` (32 bytes, URL-safe base64: what ``Fernet.generate_key()`` makes)."""
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise ContactKeyError("HANDOFF_CONTACT_KEY must be a Fernet key: 32 random bytes in URL-safe base64, e.g. "
                              "from `python -c 'from cryptography.fernet import Fernet; "
                              "print(Fernet.generate_key().decode())'`") from error


def seal(conversation_id: str, key: str) -> str:
    """The encrypted contact to store."""
    return cipher(key).encrypt(conversation_id.encode("utf-8")).decode("ascii")


def unseal(token: str, key: str) -> str:
    """The conversation id back; ContactKeyError when the token was not sealed with this key (or was altered)."""
    try:
        return cipher(key).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise ContactKeyError("this contact was sealed with another HANDOFF_CONTACT_KEY, or altered") from error


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
