"""Every operation of the app's own /openapi.json (a new route joins by itself) against every way a
caller may not be entitled to a record:

- token problems: none, expired past the leeway, signed with another secret, claims past their
  limits (an oversized ``org``, an oversized token, ids with characters keys cannot hold) -> 401
  problem+json on every non-public route (this replaces test_hardening's oversized-claims loop);
- another tenant (an admin of org-b) -> 404 for org-a's records, never a hint they exist;
- another rep of the same organisation -> 404 for records the owner keeps to themselves, 403 where
  the route is for admins (``PUT /settings``).
In every case no id, name, phone or e-mail of the victim's records appears in the answer.

The victim (``owner-1``, a rep of org-a) makes one record of each kind by walking the example
requests of tests/openapi/examples.py (a coupon comes from the follow-up job, so it is issued
directly). Each operation is then called with the victim's real ids and example body.
"""

from __future__ import annotations

import re
import time
from typing import Any

import jwt

from chalicelib.config import environment
from chalicelib.domain.coupons import CouponRule, display_code, issue_coupon
from chalicelib.domain.normalize import normalize_phone
from tests.openapi.examples import EXAMPLES, USER, operations, pick, substitute

ORG, OWNER = "org-a", "owner-1"
# Operations without a bearer token, and why.
PUBLIC = {
    "GET /health": "the load balancer's probe",
    "GET /openapi.json": "the contract itself",
    "GET /orders/{order_id}/confirm": "the customer's page: the signed link is the credential",
    "POST /orders/{order_id}/confirm": "the customer's answer: the signed token in the form is the credential",
}
# What another rep of the organisation may get that is neither a 404 nor the route's success, and why.
FOR_OTHER_REPS = {
    "POST /accounts": ({201, 409}, "e-mails and phones are unique per organisation: the 409 names the value sent"),
}
ADMIN_ONLY = {"PUT /settings"}
# Routes for managers that a rep is told do not exist (404, as a record that is not theirs).
MANAGERS_ONLY = {"GET /reports/objections": "the organisation's objections and quote changes"}
SEED_ROLES = {"put_settings": "admin", "get_reports_objections": "manager"}
CSV = "text/csv"


def _token(*, org: str = "org-b", sub: str = "intruder", role: str = "admin", ttl: int = 600, secret: str = "") -> str:
    claims = {"sub": sub, "org": org, "role": role, "exp": int(time.time()) + ttl}
    return jwt.encode(claims, secret or environment().jwt_secret, algorithm="HS256")


TOKEN_PROBLEMS: dict[str, dict[str, str]] = {
    "no token": {},
    "expired": {"Authorization": f"Bearer {_token(org=ORG, sub=OWNER, role='rep', ttl=-31)}"},
    "forged": {"Authorization": f"Bearer {_token(org=ORG, sub=OWNER, secret='another-secret-' + 'x' * 32)}"},
    "oversized claims": {"Authorization": f"Bearer {_token(org='o' * 5000, sub=OWNER)}"},
    "oversized token": {"Authorization": "Bearer " + "A" * 20_000},
    "odd claims": {"Authorization": f"Bearer {_token(org='a b', sub='x/y')}"},  # not ids: key material
}


def _seed(api: Any, doc: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The owner's records (saved values by name) and the strings that must never leak."""
    ops = operations(doc)
    saved: dict[str, Any] = {"rep_id": OWNER}
    for operation_id, example in EXAMPLES:
        if operation_id == "delete_accounts_account_id":
            continue
        method, template, _ = ops[operation_id]
        path = template.format(**{**saved, **{k: substitute(_own(v), saved) for k, v in example.path.items()}})
        query = "&".join(f"{k}={substitute(v, saved)}" for k, v in example.query.items())
        role = SEED_ROLES.get(operation_id, "rep")
        body = substitute(example.body, saved)
        if isinstance(body, bytes):
            r = api.call(method, f"{path}?{query}", raw=body, headers={"Content-Type": CSV}, user=OWNER, role=role)
        else:
            r = api.call(method, f"{path}?{query}" if query else path, body, user=OWNER, role=role)
        assert r.status < 300, (operation_id, r.status, r.raw[:300])
        for name, field in example.save.items():
            saved[name] = pick(r.json, field)
    from chalicelib.persistence import coupons as coupon_store
    from chalicelib.persistence import db

    coupon = issue_coupon(org_id=ORG, account_id=saved["account_id"], order_id=None, rule=CouponRule(), now=_now())
    with db.transaction() as tx:
        coupon_store.add(tx, coupon)
    saved["code"] = display_code(coupon.code)
    account = api.call("GET", f"/accounts/{saved['account_id']}", user=OWNER).json
    secrets = {str(v) for k, v in saved.items() if k.endswith("_id") and k != "rep_id"} | {account["name"]}
    secrets |= set(account["phones"]) | set(account["emails"]) | {saved["code"], coupon.code}
    return saved, secrets


def _own(value: str) -> str:
    """The examples' own user (``USER``) in a path is the owner here."""
    return "{rep_id}" if value == USER else value


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _request(api: Any, op_label: str, example: Any, saved: dict[str, Any], **caller: Any) -> Any:
    method, template = op_label.split(" ", 1)
    names = re.findall(r"{(\w+)}", template)
    path = template.format(**{n: substitute(_own(example.path.get(n, f"{{{n}}}")), saved) for n in names})
    query = "&".join(f"{k}={substitute(v, saved)}" for k, v in example.query.items())
    url = f"{path}?{query}" if query else path
    body = substitute(example.body, saved)
    if isinstance(body, bytes):
        headers = {"Content-Type": CSV, **caller.pop("headers", {})}
        reply = api.call(method, url, raw=body, headers=headers, **caller)
    else:
        sent = body if body is not None else ({} if method in ("POST", "PUT", "PATCH") else None)
        reply = api.call(method, url, sent, **caller)
    sent_text = url + (body.decode() if isinstance(body, bytes) else repr(body))
    phones = [normalize_phone(m, "SA") or "" for m in re.findall(r"[0-9+]{7,}", sent_text)]
    reply.sent = " ".join([sent_text, *phones])  # a phone sent comes back in E.164
    return reply


def _names_a_victim_record(example: Any) -> bool:
    """The example body or query names one of the owner's records (``"{account_id}"`` ...)."""
    text = repr((example.body, example.query))
    return bool(re.search(r"'\{(?!rep_id)\w+_id\}'", text))


def test_every_operation_refuses_every_caller_not_entitled_to_the_records(api):
    doc = api.call("GET", "/openapi.json", auth=False).json
    by_label = {f"{m} {p}": op for _, (m, p, op) in operations(doc).items()}
    examples = {}
    for operation_id, example in EXAMPLES:
        method, path, _ = operations(doc)[operation_id]
        examples.setdefault(f"{method} {path}", example)
    public = {label for label, op in by_label.items() if op.get("security") == []}
    assert public == set(PUBLIC), "declare a public operation in PUBLIC with its reason"
    saved, secrets = _seed(api, doc)
    wrong: list[str] = []

    def judge(case: str, label: str, r: Any, expected: set[int]) -> None:
        sent = r.sent  # what the caller sent may come back (an account they create with the same name)
        leaked = sorted(s for s in secrets if s and s in r.raw.decode("utf-8", "replace") and s not in sent)
        if r.status not in expected or leaked or (r.status >= 400 and not r.is_problem(r.status)):
            wrong.append(f"{case:16} {label}: {r.status} (expected {sorted(expected)}) leaked={leaked} {r.raw[:160]!r}")

    private = sorted(set(by_label) - public)
    assert len(private) >= 38, private
    for label in private:
        example = examples.get(label)
        if example is None:  # POST /coupons/{code}/redeem: its example needs a job-issued coupon
            from tests.openapi.examples import Example

            example = Example(body={"order_id": "{order_id}"})
        record_scoped = "{" in label.split(" ", 1)[1]
        for case, headers in TOKEN_PROBLEMS.items():
            r = _request(api, label, example, saved, auth=False, headers=headers)
            judge(case, label, r, {401})
        # Another tenant's admin: org-a's records do not exist for them.
        r = _request(api, label, example, saved, user="intruder", org="org-b", role="admin")
        if label in ("GET /reps/{rep_id}", "GET /reps/{rep_id}/scorecard", "PUT /reps/{rep_id}"):
            expected = {200}  # org-b's own (empty) profile of that user id: nothing of org-a's
        elif record_scoped or _names_a_victim_record(example):
            expected = {404}
        else:
            expected = {int(s) for s in by_label[label]["responses"] if s.startswith("2")}
        judge("other tenant", label, r, expected)
        # Another rep of org-a.
        r = _request(api, label, example, saved, user="rep-2", org=ORG, role="rep")
        if label in ADMIN_ONLY:
            expected = {403}
        elif label in MANAGERS_ONLY:
            expected = {404}
        elif label in FOR_OTHER_REPS:
            expected = FOR_OTHER_REPS[label][0]
        elif record_scoped or _names_a_victim_record(example):
            expected = {404}
        else:
            expected = {int(s) for s in by_label[label]["responses"] if s.startswith("2")}
        judge("other rep", label, r, expected)
    assert wrong == [], "\n" + "\n".join(wrong)
