"""Webhook signatures, the same for inbound and outbound requests.

A request carries two headers:

    X-Pullplan-Timestamp: 1764090000            (Unix seconds when it was sent)
    X-Pullplan-Signature: sha256=<hex digest>   (HMAC-SHA256 with the shared secret)

The digest is computed over `<timestamp>.<raw body bytes>`. A receiver recomputes it, compares
in constant time, and refuses a timestamp more than five minutes from its own clock (either
way); pullplan also refuses a signature it has already accepted (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

TIMESTAMP_HEADER = "X-Pullplan-Timestamp"
SIGNATURE_HEADER = "X-Pullplan-Signature"
EVENT_HEADER = "X-Pullplan-Event"
DELIVERY_HEADER = "X-Pullplan-Delivery"
TOLERANCE_SECONDS = 300
PREFIX = "sha256="


class SignatureRefused(Exception):
    """Why a request's signature is not accepted; `code` for the error body."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Verified:
    sent_at: datetime
    signature: str  # the hex digest, the key against replays


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: PREFIX + sign(secret, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(secret: str, headers, body: bytes, now: datetime) -> Verified:
    """Check a request's signature and timestamp (`headers`: any case-insensitive mapping)."""
    raw_ts = headers.get(TIMESTAMP_HEADER)
    raw_sig = headers.get(SIGNATURE_HEADER)
    if not raw_ts or not raw_sig:
        raise SignatureRefused(
            "missing_signature", f"The request must carry {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers."
        )
    if not raw_ts.isascii() or not raw_ts.isdigit() or len(raw_ts) > 12:
        raise SignatureRefused("bad_timestamp", f"{TIMESTAMP_HEADER} must be Unix seconds.")
    given = raw_sig.removeprefix(PREFIX)
    expected = sign(secret, int(raw_ts), body)
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode()):
        raise SignatureRefused(
            "bad_signature", "The signature does not match the body and timestamp under this source's secret."
        )
    skew = abs(now.timestamp() - int(raw_ts))
    if skew > TOLERANCE_SECONDS:
        raise SignatureRefused(
            "stale_request",
            f"The timestamp is {int(skew)} seconds from now; requests older (or newer) than "
            f"{TOLERANCE_SECONDS} seconds are refused.",
        )
    return Verified(datetime.fromtimestamp(int(raw_ts), UTC), expected)
