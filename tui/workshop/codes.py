"""Join codes, facilitator keys and trainee tokens: random, typeable, stored only hashed.

One alphabet without look-alikes (no 0/O, 1/I/L) so a code read off a projector is typed
right; input is forgiving about case, spaces and dashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
KEY_LENGTH = 16
TOKEN_LENGTH = 8


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _grouped(text: str) -> str:
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def new_code() -> str:
    return _random(CODE_LENGTH)


def new_key() -> str:
    """The facilitator key: 16 characters (about 79 bits), shown as XXXX-XXXX-XXXX-XXXX."""
    return _grouped(_random(KEY_LENGTH))


def new_token() -> str:
    """A trainee's rejoin key: 8 characters shown as XXXX-XXXX."""
    return _grouped(_random(TOKEN_LENGTH))


def normalise(text: str) -> str:
    """Upper case without spaces or dashes, as codes and keys are compared."""
    return "".join(ch for ch in text.upper() if ch not in " -_\t")


def digest(secret: str) -> str:
    """SHA-256 of the normalised secret: the secrets are random, so no slow hash is needed."""
    return hashlib.sha256(normalise(secret).encode()).hexdigest()


def matches(secret: str | None, stored: str) -> bool:
    return secret is not None and hmac.compare_digest(digest(secret), stored)
