"""A cancelled transaction's reasons come back in the order PynamoDB sent the operations."""

from __future__ import annotations

from typing import Any

from chalicelib.persistence.db import Transaction
from chalicelib.persistence.models import AccessItem, LeadItem


class _Recorder:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def test_conflict_messages_follow_the_wire_order_not_the_call_order() -> None:
    tx = Transaction(_Recorder())  # type: ignore[arg-type]
    tx.save(LeadItem("p", "s"), conflict="save")
    tx.update(AccessItem("p", "a"), [], conflict="update")
    tx.check(LeadItem("p", "r"), LeadItem.pk.exists(), conflict="check")
    tx.delete(AccessItem("p", "d"), conflict="delete")
    assert tx.conflicts == ["check", "delete", "save", "update"]
