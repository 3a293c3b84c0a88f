"""Unit tests run with sockets disabled: domain logic needs no network and no AWS."""

import pytest


@pytest.fixture(autouse=True)
def _no_network(socket_disabled: None) -> None:
    return None
