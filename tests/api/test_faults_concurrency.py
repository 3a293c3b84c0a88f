"""Twenty concurrent edits of one record, all based on the same version: exactly one wins, the
other nineteen are 409 conflicts (the version condition in the store, not a read-then-write).
Each DynamoDB request is atomic as in DynamoDB (``atomic_requests``); threads interleave between
requests. (20 concurrent coupon redeems: tests/api/test_coupons.py; two ladder / follow-up runs at
once: test_ladder.py, test_follow_ups.py.)"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalicelib.domain.accounts import AccountPatch
from chalicelib.domain.errors import Conflict
from chalicelib.domain.pipeline import LeadPatch
from chalicelib.domain.principal import Principal
from chalicelib.services import accounts, leads
from tests.api.order_helpers import atomic_requests
from tests.api.pipeline_helpers import account, lead

REP = Principal("rep-1", "org-a", "rep")


def at_once(attempts: list[Callable[[], Any]]) -> tuple[list[Any], list[Conflict]]:
    barrier = threading.Barrier(len(attempts))
    won: list[Any] = []
    refused: list[Conflict] = []

    def attempt(edit: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            won.append(edit())
        except Conflict as error:
            refused.append(error)

    threads = [threading.Thread(target=attempt, args=(edit,)) for edit in attempts]
    with atomic_requests():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return won, refused


def test_twenty_concurrent_account_edits_of_one_version_one_wins(api):
    acc = account(api, "Concurrent")
    edits = [
        (lambda i=i: accounts.update_account(REP, acc, AccountPatch(title=f"Title {i}", version=1))) for i in range(20)
    ]
    won, refused = at_once(edits)
    assert len(won) == 1 and len(refused) == 19
    stored = api.call("GET", f"/accounts/{acc}").json
    assert (stored["version"], stored["title"]) == (2, won[0].title)


def test_twenty_concurrent_lead_edits_of_one_version_one_wins(api):
    created = lead(api, account(api, "Concurrent"))
    edits = [
        (lambda i=i: leads.update_lead(REP, created["id"], LeadPatch(title=f"Offer {i}", version=1))) for i in range(20)
    ]
    won, refused = at_once(edits)
    assert len(won) == 1 and len(refused) == 19
    stored = api.call("GET", f"/leads/{created['id']}").json
    assert (stored["version"], stored["title"]) == (2, won[0].lead.title)
