"""/accounts: customers, people or companies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.http import Call, QueryParam, Result, endpoint, page
from chalicelib.api.lazy import service
from chalicelib.api.presenters import account_out
from chalicelib.api.schemas import AccountOut, AccountPage, ErasureOut
from chalicelib.domain.accounts import AccountCreate, AccountPatch

if TYPE_CHECKING:
    from chalicelib.services import accounts
else:  # imported on the first call (cold start)
    accounts = service("accounts")

bp = Blueprint(__name__)
TAGS = ["accounts"]


@endpoint(
    bp, "/accounts", "POST", summary="Create an account", tags=TAGS, body=AccountCreate, response=AccountOut, status=201
)
def create_account(call: Call) -> Result:
    account = accounts.create_account(call.principal, call.body)
    return Result(account_out(account), 201, {"Location": f"/accounts/{account.id}"})


@endpoint(
    bp,
    "/accounts",
    summary="List accounts, newest first, or find them by name prefix, e-mail or phone (q)",
    tags=TAGS,
    response=AccountPage,
    paginated=True,
    query=[QueryParam("q", "a name prefix (Arabic-forgiving), an e-mail address or a phone in any format")],
)
def list_accounts(call: Call) -> dict[str, Any]:
    limit, cursor = call.page_args()
    result = accounts.list_accounts(call.principal, limit=limit, cursor=cursor, query=call.query.get("q"))
    return page([account_out(a) for a in result.items], result.next_cursor)


@endpoint(bp, "/accounts/{account_id}", summary="Read an account", tags=TAGS, response=AccountOut)
def get_account(call: Call) -> AccountOut:
    return account_out(accounts.get_account(call.principal, call.path["account_id"]))


@endpoint(
    bp,
    "/accounts/{account_id}",
    "PATCH",
    summary="Change an account (send the version you edited)",
    tags=TAGS,
    body=AccountPatch,
    response=AccountOut,
    errors=[409],
)
def patch_account(call: Call) -> AccountOut:
    patch: AccountPatch = call.body
    return account_out(accounts.update_account(call.principal, call.path["account_id"], patch))


@endpoint(
    bp,
    "/accounts/{account_id}",
    "DELETE",
    summary=(
        "Erase an account and everything attached to it. 202: the account, its e-mail/phone claims and "
        "name keys are gone at once (reads answer 404, its contacts are free again); its leads, orders, "
        "timeline, messages, match-key entries and report counts follow within minutes (a background "
        "worker, retried until done). A rep erases only an account they own whose leads are all theirs: "
        "404 for one they see only through a lead, 409 (other_reps_leads) otherwise; 409 if the account "
        "changed meanwhile"
    ),
    tags=TAGS,
    response=ErasureOut,
    status=202,
    errors=[409],
)
def delete_account(call: Call) -> Result:
    request = accounts.delete_account(call.principal, call.path["account_id"])
    return Result({"account_id": request.account_id, "status": "erasing"}, 202)
