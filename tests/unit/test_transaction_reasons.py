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


def test_a_cancelled_transaction_means_the_failed_conditions_message_else_busy_else_retry() -> None:
    from chalicelib.domain.errors import Conflict, Unavailable
    from chalicelib.persistence.db import _cancelled

    named = Conflict("named")
    assert str(_cancelled(["None", "ConditionalCheckFailed"], [None, "second failed"])) == "second failed"
    assert _cancelled(["ConditionalCheckFailed"], [named]) is named
    assert "reload and retry" in str(_cancelled(["ConditionalCheckFailed"], [None]))
    busy = _cancelled(["None", "ThrottlingError"], [None, None])
    assert isinstance(busy, Unavailable) and busy.retry_after_seconds == 1
    other = _cancelled(["TransactionConflict"], [None])
    assert type(other) is Conflict and "in progress" in str(other)
