"""Domain objects to API shapes."""

from __future__ import annotations

from chalicelib.api.schemas import AccountOut, SettingsOut
from chalicelib.domain.accounts import Account, Risk
from chalicelib.domain.settings import StoredSettings
from chalicelib.domain.timeutil import format_rfc3339


def account_out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id,
        created_at=format_rfc3339(account.created_at),
        updated_at=format_rfc3339(account.updated_at),
        version=account.version,
        name=account.name,
        kind=account.kind,
        company=account.company,
        title=account.title,
        emails=account.emails,
        phones=account.phones,
        address=account.address,
        tags=account.tags,
        owner_id=account.owner_id,
        journey_stage=account.journey_stage,
        risk=Risk.model_validate(account.risk),
        contact_opt_out=account.contact_opt_out,
        notes=account.notes,
        custom_fields=account.custom_fields,
        source=account.source,
        referred_by_account_id=account.referred_by_account_id,
    )


def settings_out(stored: StoredSettings) -> SettingsOut:
    return SettingsOut(
        **stored.settings.model_dump(),
        version=stored.version,
        updated_at=format_rfc3339(stored.updated_at) if stored.updated_at else None,
    )
