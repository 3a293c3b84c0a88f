"""The signed, expiring token in the confirmation link (it travels in an SMS, so it is short).

``<org, base64url>.<expiry, base36 epoch seconds>.<first 16 bytes of HMAC-SHA256, base64url>``,
signed over the organisation, the order id and the expiry: a token for one order is worthless
for any other, and a changed expiry breaks the signature. About 45 characters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

SIGNATURE_BYTES = 16  # 128 bits: forging one is out of reach; the link stays short
MAX_TOKEN = 400


class TokenRejected(Exception):
    """The token is forged, tampered with, for another order, or malformed."""


class TokenExpired(TokenRejected):
    """The token was genuine but its time is over."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def _signature(secret: bytes, org_id: str, order_id: str, expires: str) -> str:
    message = f"tawasul-confirm-v1|{org_id}|{order_id}|{expires}".encode()
    return _b64(hmac.new(secret, message, hashlib.sha256).digest()[:SIGNATURE_BYTES])


def issue(secret: bytes, org_id: str, order_id: str, expires_at: datetime) -> str:
    expires = _base36(int(expires_at.astimezone(UTC).timestamp()))
    return f"{_b64(org_id.encode())}.{expires}.{_signature(secret, org_id, order_id, expires)}"


def verify(secret: bytes, token: str, order_id: str, now: datetime) -> str:
    """The organisation the token names, if it is genuine, for this order and not expired."""
    parts = token.split(".") if 0 < len(token) <= MAX_TOKEN else []
    if len(parts) != 3:
        raise TokenRejected("The link is not valid.")
    org_part, expires, signature = parts
    try:
        org_id = _unb64(org_part).decode("utf-8")
        expires_at = int(expires, 36)
    except (ValueError, UnicodeDecodeError):
        raise TokenRejected("The link is not valid.")
    expected = _signature(secret, org_id, order_id, expires)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise TokenRejected("The link is not valid.")
    if now.astimezone(UTC).timestamp() > expires_at:
        raise TokenExpired("The link has expired.")
    return org_id
