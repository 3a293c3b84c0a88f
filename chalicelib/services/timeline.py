"""The customer timeline and the interactions logged on it."""

from __future__ import annotations

from chalicelib.config import now
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.interactions import Interaction, InteractionCreate, interaction_entry, new_interaction
from chalicelib.domain.paging import Page
from chalicelib.domain.principal import Principal
from chalicelib.domain.timeline import TimelineEntry
from chalicelib.ids import new_id
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import db
from chalicelib.persistence import leads as lead_store
from chalicelib.persistence import timeline as store


def log_interaction(principal: Principal, data: InteractionCreate) -> Interaction:
    """The visibility read of the account (and the lead, if named), then one transaction: the
    timeline entry, and a check that the account still exists."""
    account = account_store.get(principal, data.account_id)
    rep_id = account.owner_id
    if data.lead_id is not None:
        lead = lead_store.get(principal, data.lead_id)
        if lead.account_id != account.id:
            raise ValidationFailed.single("lead_id", "belongs to another account")
        rep_id = lead.owner_id
    interaction = new_interaction(
        interaction_id=new_id(), org_id=principal.org_id, data=data, by=principal.user_id, rep_id=rep_id, now=now()
    )
    with db.transaction() as tx:
        store.add(tx, interaction_entry(interaction))
        account_store.add_exists_check(tx, interaction.org_id, interaction.account_id)
    return interaction


def timeline_page(principal: Principal, account_id: str, *, limit: int, cursor: str | None) -> Page[TimelineEntry]:
    return store.page(principal, account_id, limit, cursor)
