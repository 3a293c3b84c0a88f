"""What happens when an imported row describes a customer we already have.

An import never overwrites what a rep typed: it fills fields that are empty, adds e-mails,
phones (up to ten each) and tags that are new, adds custom fields under names not yet used, and
keeps an opt-out once given. Name, owner, journey stage and risk stay as they are.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.domain.accounts import Account
from chalicelib.domain.limits import MAX_CONTACTS, MAX_CUSTOM_FIELDS, MAX_TAGS


def merge_account(existing: Account, incoming: Account, *, now: datetime) -> Account:
    """``existing`` with the gaps filled from ``incoming``; the same object when nothing changes."""
    merged = replace(
        existing,
        emails=_union(existing.emails, incoming.emails, MAX_CONTACTS),
        phones=_union(existing.phones, incoming.phones, MAX_CONTACTS),
        tags=_union(existing.tags, incoming.tags, MAX_TAGS),
        address={**incoming.address, **{k: v for k, v in existing.address.items() if v}},
        custom_fields=dict(list({**incoming.custom_fields, **existing.custom_fields}.items())[:MAX_CUSTOM_FIELDS]),
        contact_opt_out=existing.contact_opt_out or incoming.contact_opt_out,
    )
    for attribute in ("company", "title", "notes"):
        if not getattr(merged, attribute) and getattr(incoming, attribute):
            setattr(merged, attribute, getattr(incoming, attribute))
    if merged == existing:
        return existing
    merged.updated_at = now
    return merged


def _union(first: list[str], second: list[str], limit: int) -> list[str]:
    return list(dict.fromkeys([*first, *second]))[: max(limit, len(first))]
