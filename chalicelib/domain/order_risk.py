"""Risk from history: match a new order's phone, e-mail and address against earlier orders.

Every order leaves its normalised phone (E.164), e-mail (case-folded) and delivery address
(folded, see ``normalize_address``) as *match keys*; each key keeps a compact history of the
orders that used it and what became of them. A new order reads its keys' histories and is
scored here, with no AWS in sight.

The rule (``assess``):

- each distinct earlier order counts once, by its worst outcome: ``refused`` 2 points, ``ghost``
  (cancelled by the confirmation ladder: nobody ever answered) 2 points, ``returned`` 1 point;
- 0 points is ``low``, 1-2 ``medium``, 3 or more ``high``; the account's own stored risk level
  (the ladder raises it for ghosts) is a floor;
- a *good customer* has an earlier order (by any key) that was delivered and paid, no failure at
  all and an account not marked risky: their order is confirmed at once, with no ladder.

Each failure becomes a flag a rep can act on: which key matched, which order, what happened, when.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from chalicelib.domain.normalize import fold_name, to_ascii_digits

KeyType = Literal["phone", "email", "address"]
Outcome = Literal["refused", "returned", "ghost"]
LEVELS = ("low", "medium", "high")
FAILURE_POINTS: dict[str, int] = {"refused": 2, "ghost": 2, "returned": 1}
MEDIUM_AT = 1
HIGH_AT = 3
MAX_HISTORY = 50  # entries a match key keeps (the newest); enough to judge any customer

# Abbreviations folded to one spelling (after fold_name: lower case, Arabic letters folded,
# punctuation turned to spaces). Arabic "ش." (shari', street) becomes "ش" once the dot is gone.
_WORDS = {
    "ش": "شارع",
    "st": "street",
    "str": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "blvd": "boulevard",
    "bldg": "building",
    "apt": "apartment",
    "fl": "floor",
    "no": "",  # "No 5", "Nr 5", "Number 5" and "رقم 5" all read "5" (was "number 5" for the first two)
    "nr": "",
    "dist": "district",
    "عماره": "مبني",  # عمارة / عماره (building) and مبنى read the same
    "بنايه": "مبني",
    "رقم": "",
    "number": "",
}
_KEEP = re.compile(r"[^\w\s]")


def normalize_address_text(text: str) -> str:
    """Folded address text: Arabic letter variants, diacritics and tatweel folded like names,
    Arabic-Indic digits as ASCII, punctuation and spacing dropped, abbreviations expanded."""
    folded = fold_name(to_ascii_digits(unicodedata.normalize("NFKC", text)))
    # Digits glued to letters ("12ش") split so the words fold the same either way.
    folded = re.sub(r"(?<=\d)(?=[^\d\s])|(?<=[^\d\s])(?=\d)", " ", folded)
    words = [_WORDS.get(word, word) for word in _KEEP.sub(" ", folded).split()]
    return " ".join(word for word in words if word)


def address_key(address: dict[str, str] | None) -> str | None:
    """A fixed-size key for a delivery address (a hash of its folded text), or None if empty."""
    if not address:
        return None
    parts = [address.get(part, "") for part in ("line1", "line2", "city", "region")]
    text = normalize_address_text(" ".join(p for p in parts if p))
    if not text:
        return None
    country = (address.get("country") or "").upper()
    return hashlib.sha256(f"{country}|{text}".encode()).hexdigest()[:32]


def match_keys(phone: str | None, email: str | None, address: dict[str, str] | None) -> list[tuple[KeyType, str]]:
    keys: list[tuple[KeyType, str]] = []
    if phone:
        keys.append(("phone", phone))
    if email:
        keys.append(("email", email))
    addr = address_key(address)
    if addr:
        keys.append(("address", addr))
    return keys


@dataclass(frozen=True)
class PastOrder:
    """One entry of a match key's history."""

    order_id: str
    account_id: str
    at: str  # when the order was placed (RFC 3339)
    outcome: str | None = None  # refused, returned, ghost (the failures), else None
    outcome_at: str | None = None
    delivered: bool = False
    paid: bool = False

    def as_entry(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "at": self.at,
            "outcome": self.outcome,
            "outcome_at": self.outcome_at,
            "delivered": self.delivered,
            "paid": self.paid,
        }

    @classmethod
    def from_entry(cls, order_id: str, entry: dict[str, Any]) -> PastOrder:
        return cls(
            order_id=order_id,
            account_id=str(entry.get("account_id") or ""),
            at=str(entry.get("at") or ""),
            outcome=entry.get("outcome") or None,
            outcome_at=entry.get("outcome_at") or None,
            delivered=bool(entry.get("delivered")),
            paid=bool(entry.get("paid")),
        )


@dataclass(frozen=True)
class Flag:
    key: KeyType
    order_id: str
    outcome: str
    at: str | None

    def reason(self) -> str:
        what = {"refused": "was refused at the door", "returned": "was returned", "ghost": "was never confirmed"}
        when = f" ({self.at[:10]})" if self.at else ""
        return f"same {self.key} as order {self.order_id}, which {what.get(self.outcome, self.outcome)}{when}"


@dataclass(frozen=True)
class Assessment:
    level: str
    reasons: list[str]
    flags: list[Flag] = field(default_factory=list)
    good_customer: bool = False
    points: int = 0

    def as_risk(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "reasons": list(self.reasons),
            "flags": [{"key": f.key, "order_id": f.order_id, "outcome": f.outcome, "at": f.at} for f in self.flags],
        }


def _level(points: int) -> str:
    return "high" if points >= HIGH_AT else "medium" if points >= MEDIUM_AT else "low"


def assess(
    history: dict[KeyType, list[PastOrder]],
    *,
    account_risk: dict[str, Any] | None = None,
    exclude_order: str | None = None,
) -> Assessment:
    """Score a new order from the histories of its match keys (see the module's rule)."""
    flags: list[Flag] = []
    worst: dict[str, int] = {}
    good = False
    for key_type, past in history.items():
        for entry in past:
            if entry.order_id == exclude_order:
                continue
            if entry.outcome in FAILURE_POINTS:
                flags.append(Flag(key_type, entry.order_id, entry.outcome, entry.outcome_at))
                worst[entry.order_id] = max(worst.get(entry.order_id, 0), FAILURE_POINTS[entry.outcome])
            elif entry.delivered and entry.paid:
                good = True
    points = sum(worst.values())
    level = _level(points)
    reasons = [flag.reason() for flag in flags]
    account_level = str((account_risk or {}).get("level") or "low")
    if account_level in LEVELS and LEVELS.index(account_level) > LEVELS.index(level):
        level = account_level
        stored = [str(r) for r in (account_risk or {}).get("reasons") or []]
        reasons += [f"the customer is marked {account_level} risk" + (f": {stored[-1]}" if stored else "")]
    good_customer = good and points == 0 and account_level == "low"
    if good_customer:
        reasons.append("good customer: an earlier order was delivered and paid, with no failures")
    return Assessment(level, reasons, flags, good_customer, points)


def trim(entries: dict[str, dict[str, Any]], keep: int = MAX_HISTORY - 1) -> list[str]:
    """Which entries to drop so that, with the one being added, at most MAX_HISTORY remain:
    the oldest successes first, failures last (they are what the history is for)."""
    if len(entries) <= keep:
        return []
    ranked = sorted(entries.items(), key=lambda kv: (kv[1].get("outcome") in FAILURE_POINTS, str(kv[1].get("at"))))
    return [order_id for order_id, _ in ranked[: len(entries) - keep]]


def forgotten(entries: dict[str, dict[str, Any]], order_ids: Collection[str], account_id: str) -> list[str]:
    """Which entries of a match key's history an erased customer takes with them: their orders,
    and any other entry naming their account. Nothing of theirs may stay to flag someone who
    shares the phone, e-mail or address."""
    return sorted(
        order_id
        for order_id, entry in entries.items()
        if order_id in order_ids or entry.get("account_id") == account_id
    )
