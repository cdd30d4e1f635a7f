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


# scrypt's cost: about 20 ms and 8 MB per hash here, so a stolen database cannot be
# searched for the (short, typeable) rejoin keys at speed; joins are rate-limited too.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**13, 8, 1
SALT_BYTES = 16


def digest(secret: str, salt: bytes | None = None) -> str:
    """A salted scrypt hash of the normalised secret, as ``scrypt$n$r$p$salt$hash``."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    hashed = hashlib.scrypt(normalise(secret).encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R,
                            p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${hashed.hex()}"


def matches(secret: str | None, stored: str) -> bool:
    """Whether ``secret`` is the one hashed in ``stored`` (scrypt, or the unsalted SHA-256
    of databases made by earlier versions)."""
    if secret is None:
        return False
    if not stored.startswith("scrypt$"):
        legacy = hashlib.sha256(normalise(secret).encode()).hexdigest()
        return hmac.compare_digest(legacy, stored)
    try:
        _, n, r, p, salt, want = stored.split("$")
        got = hashlib.scrypt(normalise(secret).encode(), salt=bytes.fromhex(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(want) // 2)
    except (ValueError, MemoryError):
        return False  # a damaged or hostile hash: it matches nothing
    return hmac.compare_digest(got.hex(), want)
