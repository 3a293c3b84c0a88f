"""A cancelled transaction's reasons come back in the order the operations were sent."""

from __future__ import annotations

from chalicelib.persistence.db import Transaction
from chalicelib.persistence.models import AccessItem, LeadItem, bind


def test_conflict_messages_follow_the_wire_order_not_the_call_order() -> None:
    bind("t")
    tx = Transaction("t")
    tx.save(AccessItem("p", "s", account_id="a", user_id="u"), conflict="save")
    tx.update_raw({"Key": {"pk": {"S": "p"}, "sk": {"S": "c"}}, "UpdateExpression": "ADD n :one"}, conflict="counter")
    tx.update(AccessItem("p", "a"), [AccessItem.reasons.add(1)], conflict="update")
    tx.check(LeadItem("p", "r"), LeadItem.pk.exists(), conflict="check")
    tx.put_raw({"pk": {"S": "p"}, "sk": {"S": "raw"}}, conflict="raw put")
    tx.delete(AccessItem("p", "d"), conflict="delete")
    assert tx.conflicts == ["check", "delete", "save", "raw put", "counter", "update"]
    sent = [
        (kind, op["TableName"], op.get("Key", op.get("Item"))["sk"]["S"])
        for entry in tx.items
        for kind, op in entry.items()
    ]
    assert sent == [
        ("ConditionCheck", "t", "r"),
        ("Delete", "t", "d"),
        ("Put", "t", "s"),
        ("Put", "t", "raw"),
        ("Update", "t", "c"),
        ("Update", "t", "a"),
    ]


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
