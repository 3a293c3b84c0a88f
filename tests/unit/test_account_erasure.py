from datetime import UTC, datetime

import pytest

from chalicelib.domain.accounts import Account, check_leads_allow_erasure, check_may_erase
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.principal import Principal

NOW = datetime(2026, 11, 22, tzinfo=UTC)
REP = Principal("rep-1", "org-a", "rep")


def _account(owner: str) -> Account:
    return Account(id="a1", org_id="org-a", name="x", owner_id=owner, created_at=NOW, updated_at=NOW)


def test_a_rep_erases_only_an_account_they_own():
    check_may_erase(REP, _account("rep-1"))
    with pytest.raises(NotFound):
        check_may_erase(REP, _account("rep-2"))  # seen through their lead, but not theirs


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_erase_any_account_whoever_owns_its_leads(role):
    boss = Principal("boss", "org-a", role)
    check_may_erase(boss, _account("rep-2"))
    check_leads_allow_erasure(boss, ["rep-2", "rep-3"])


def test_other_reps_leads_block_a_reps_erasure_and_are_counted():
    check_leads_allow_erasure(REP, [])
    check_leads_allow_erasure(REP, ["rep-1", "rep-1"])
    with pytest.raises(Conflict, match="^1 lead of other reps") as one:
        check_leads_allow_erasure(REP, ["rep-1", "rep-2"])
    assert one.value.extra == {"other_reps_leads": 1}
    with pytest.raises(Conflict, match="^3 leads of other reps"):
        check_leads_allow_erasure(REP, ["rep-2", "rep-1", "rep-3", "mgr"])
