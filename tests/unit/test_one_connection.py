"""Every model reaches the table through the base class's one PynamoDB connection, so a process
builds one botocore session and DynamoDB client for all of them (each costs a cold start ~130 ms)."""

from __future__ import annotations

from chalicelib.persistence import models


def _all_models() -> list[type[models.Item]]:
    return [models.Item, *models._models(models.Item)]


def test_every_model_uses_the_base_connection_whichever_asks_first():
    models.bind("one-connection-a")
    connections = {model: model._get_connection() for model in reversed(_all_models())}  # the base last
    assert len(connections) > 20
    assert {id(c) for c in connections.values()} == {id(models.Item._get_connection())}


def test_a_connection_a_model_made_for_itself_is_dropped_when_bound_again():
    models.bind("one-connection-b")
    models.OrderItem._connection = None  # as if OrderItem had asked before the base did
    own = models.OrderItem._get_connection()
    assert own is not models.Item._get_connection()
    models.bind("one-connection-c")
    assert models.OrderItem._get_connection() is models.Item._get_connection()
    assert models.OrderItem._get_connection().table_name == "one-connection-c"
