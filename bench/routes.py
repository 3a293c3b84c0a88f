"""`make bench-routes`: DynamoDB calls per request of every route, by role, and our own time per request.

    python -m bench.routes [--requests 2000] [--out bench/results.json]

Every operation of ``/openapi.json`` (read from the app's document, so a new route joins by itself)
must have at least one scenario in ``SCENARIOS``; the run fails, naming it, when one has none. A
scenario prepares what its request needs through the API (not measured), then sends one request
as each role it lists and counts the DynamoDB calls that request made (botocore's
``_make_api_call``, every client). A list request is one page.

Keys merged into ``bench/results.json``:

- ``route_calls``: ``{"<METHOD> <path> [variant]": {"admin": n, "manager": n, "rep": n}}`` (``public``
  for the routes without a token); ``route_calls_max``: the most any of them made (target <= 4).
- ``route_calls_idempotency_extra``: what an ``Idempotency-Key`` adds to a POST (Powertools' record:
  a conditional PutItem before, an UpdateItem after), measured on ``POST /accounts``.
- ``overhead_ms_p50`` / ``overhead_ms_p99``: over a realistic mix of ``--requests`` requests (reads
  dominate: lists, a lead, a timeline, searches; then interactions, stage moves, edits, orders,
  reports), each request's handler wall time minus the time spent inside its DynamoDB calls
  (moto in process), in milliseconds. Target p50 <= 2 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import random
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.inproc import Caller, Meter, Reply, percentile

ROOT = Path(__file__).resolve().parent.parent
ORG = "bench-org"
ROLES = ("admin", "manager", "rep")
MANAGERS = ("admin", "manager")
PUBLIC = ("public",)
USERS = {"admin": "admin-1", "manager": "manager-1", "rep": "rep-1", "public": ""}
OWNER = "rep-1"  # everything a scenario prepares is the rep's, so every role may see it
MAX_CALLS = 4
CSV_ACCOUNTS = (
    "name,email,phone\nسارة علي,sara{n}@example.com,05512{n:05d}\nOmar Khaled,omar{n}@example.com,05013{n:05d}\n"
)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any = None
    raw: bytes | str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    operation: str  # the operationId in /openapi.json
    prepare: Callable[[World, str], Request]
    roles: tuple[str, ...] = ROLES
    variant: str = ""
    status: int | None = None  # the documented 2xx unless another is expected

    def key(self, method: str, path: str) -> str:
        return f"{method} {path}" + (f" [{self.variant}]" if self.variant else "")


class World:
    """Builds what the scenarios need, through the API, as the owning rep (nothing here is counted)."""

    def __init__(self, caller: Caller, org: str = ORG) -> None:
        self.caller = caller
        self.org = org
        self._n = itertools.count(1)

    def n(self) -> int:
        return next(self._n)

    def call(self, method: str, path: str, body: Any = None, *, role: str = "rep", **kw: Any) -> Reply:
        return self.caller.call(method, path, body, user=kw.pop("user", USERS[role]), org=self.org, role=role, **kw)

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        reply = self.call(method, path, body, **kw)
        if reply.status >= 300:
            raise RuntimeError(f"preparing {method} {path}: {reply.status} {reply.raw[:400]!r}")
        return reply.json

    def account(self, **body: Any) -> dict[str, Any]:
        n = self.n()
        data = {"name": f"محمد أحمد {n}", "phones": [f"05{n:08d}"], "emails": [f"c{n}@example.com"], **body}
        return dict(self.ok("POST", "/accounts", data))

    def lead(self, account_id: str | None = None, **body: Any) -> dict[str, Any]:
        account_id = account_id or self.account()["id"]
        data = {"account_id": account_id, "title": "دورة التسويق", "value": {"amount": "199", "currency": "SAR"}}
        return dict(self.ok("POST", "/leads", {**data, **body}))

    def won_lead(self) -> dict[str, Any]:
        lead = self.lead()
        self.ok("POST", f"/leads/{lead['id']}/stage", {"stage": "closing"})
        return dict(self.ok("POST", f"/leads/{lead['id']}/stage", {"stage": "follow_up"}))

    def order(self, account_id: str | None = None, **body: Any) -> dict[str, Any]:
        account_id = account_id or self.account()["id"]
        data = {
            "account_id": account_id,
            "items": [
                {"sku": "C-1", "name": "دورة", "quantity": 2, "unit_price": {"amount": "99.50", "currency": "SAR"}}
            ],
            "payment": "cod",
            "delivery_address": {"line1": f"ش. الملك فهد {self.n()}", "city": "الرياض", "country": "SA"},
            "phone": f"0559{self.n():06d}",
        }
        return dict(self.ok("POST", "/orders", {**data, **body}))

    def interaction(self, account_id: str, lead_id: str | None = None, **body: Any) -> dict[str, Any]:
        data = {
            "account_id": account_id,
            "lead_id": lead_id,
            "channel": "whatsapp",
            "direction": "inbound",
            "body": "هل الدورة متاحة؟",
            "occurred_at": _iso(datetime.now(UTC) - timedelta(minutes=30)),
        }
        return dict(self.ok("POST", "/interactions", {**data, **body}))

    def coupon(self, account_id: str) -> str:
        from chalicelib.domain.coupons import issue_coupon
        from chalicelib.domain.settings import CouponRule
        from chalicelib.persistence import coupons as coupon_store
        from chalicelib.persistence import db

        coupon = issue_coupon(
            org_id=self.org, account_id=account_id, order_id=None, rule=CouponRule(), now=datetime.now(UTC)
        )
        with db.transaction() as tx:
            coupon_store.add(tx, coupon)
        return coupon.code


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _period() -> str:
    today = datetime.now(UTC).date()
    return f"from={today - timedelta(days=29)}&to={today}"


# -- the scenarios: (world, role) -> the one request measured -----------------------------------


def _get(path: str) -> Callable[[World, str], Request]:
    return lambda w, role: Request("GET", path)


def _account_path(suffix: str = "") -> Callable[[World, str], Request]:
    return lambda w, role: Request("GET", f"/accounts/{w.account()['id']}{suffix}")


def _patch_account(w: World, role: str) -> Request:
    acc = w.account()
    return Request("PATCH", f"/accounts/{acc['id']}", {"version": acc["version"], "journey_stage": "research"})


def _delete_account(w: World, role: str) -> Request:
    """An account with a lead moved on, an objection, an order and an inbound message: erasure of a
    customer with a history, not of an empty record."""
    acc = w.account()
    lead = w.lead(acc["id"])
    w.ok("POST", f"/leads/{lead['id']}/stage", {"stage": "presentation"})
    w.ok("POST", f"/leads/{lead['id']}/objections", {"category": "price", "text": "غالي"})
    w.order(acc["id"])
    w.interaction(acc["id"], lead["id"])
    return Request("DELETE", f"/accounts/{acc['id']}")


def _redeem(w: World, role: str) -> Request:
    acc = w.account()
    code = w.coupon(acc["id"])
    order = w.order(acc["id"])
    return Request("POST", f"/coupons/{code}/redeem", {"order_id": order["id"]})


def _post_import(w: World, role: str) -> Request:
    body = CSV_ACCOUNTS.format(n=w.n()).encode("utf-8")
    return Request("POST", "/imports?type=accounts", raw=body, headers={"Content-Type": "text/csv"})


def _get_import(w: World, role: str) -> Request:
    job = w.ok(
        "POST",
        "/imports?type=accounts",
        raw=CSV_ACCOUNTS.format(n=w.n()).encode(),
        headers={"Content-Type": "text/csv"},
    )
    return Request("GET", f"/imports/{job['id']}")


def _interaction(kind: str) -> Callable[[World, str], Request]:
    def prepare(w: World, role: str) -> Request:
        lead = w.lead()
        body: dict[str, Any] = {
            "account_id": lead["account_id"],
            "channel": "whatsapp",
            "direction": "inbound",
            "body": "هل الدورة متاحة؟",
            "occurred_at": _iso(datetime.now(UTC) - timedelta(minutes=5)),
        }
        if kind == "note":
            body.update(channel="note", direction="outbound", body="اتصلت به")
        elif kind == "inbound first":
            body.update(lead_id=lead["id"], intent="commercial")
        elif kind == "inbound repeat":
            w.interaction(lead["account_id"], lead["id"])
            body.update(lead_id=lead["id"])
        elif kind == "first reply":
            w.interaction(lead["account_id"], lead["id"])
            body.update(lead_id=lead["id"], direction="outbound", body="نعم، متاحة")
        elif kind == "later reply":
            w.interaction(lead["account_id"], lead["id"])
            w.interaction(lead["account_id"], lead["id"], direction="outbound", body="نعم",
                          occurred_at=_iso(datetime.now(UTC) - timedelta(minutes=10)))  # fmt: skip
            body.update(lead_id=lead["id"], direction="outbound", body="والسعر ١٩٩")
        return Request("POST", "/interactions", body)

    return prepare


def _patch_interaction(w: World, role: str) -> Request:
    lead = w.lead()
    entry = w.interaction(lead["account_id"], lead["id"])
    return Request(
        "PATCH", f"/interactions/{entry['id']}", {"version": entry["version"], "outcome": "price_comparison"}
    )


def _post_lead(w: World, role: str) -> Request:
    body = {"account_id": w.account()["id"], "title": "عرض", "value": {"amount": "50", "currency": "SAR"}}
    if role != "rep":
        body["owner_id"] = OWNER
    return Request("POST", "/leads", body)


def _lead_path(suffix: str = "") -> Callable[[World, str], Request]:
    return lambda w, role: Request("GET", f"/leads/{w.lead()['id']}{suffix}")


def _patch_lead(w: World, role: str) -> Request:
    lead = w.lead()
    return Request(
        "PATCH",
        f"/leads/{lead['id']}",
        {"version": lead["version"], "value": {"amount": "250", "currency": "SAR"}, "value_change_reason": "add_on"},
    )


def _lost(w: World, role: str) -> Request:
    lead = w.lead()
    w.ok("POST", f"/leads/{lead['id']}/objections", {"category": "price", "text": "غالي"})
    return Request("POST", f"/leads/{lead['id']}/lost", {"reason": "no budget"})


def _stage(w: World, role: str) -> Request:
    return Request("POST", f"/leads/{w.lead()['id']}/stage", {"stage": "presentation", "note": "meeting booked"})


def _win(w: World, role: str) -> Request:
    lead = w.lead()
    w.ok("POST", f"/leads/{lead['id']}/stage", {"stage": "closing"})
    return Request("POST", f"/leads/{lead['id']}/stage", {"stage": "follow_up"})


def _post_objection(w: World, role: str) -> Request:
    body = {"category": "price", "text": "السعر مرتفع", "counter_offer": {"amount": "150.00", "currency": "SAR"}}
    return Request("POST", f"/leads/{w.lead()['id']}/objections", body)


def _get_objections(w: World, role: str) -> Request:
    lead = w.lead()
    w.ok("POST", f"/leads/{lead['id']}/objections", {"category": "timing", "text": "بعد العيد"})
    return Request("GET", f"/leads/{lead['id']}/objections")


def _patch_objection(w: World, role: str) -> Request:
    lead = w.lead()
    objection = w.ok("POST", f"/leads/{lead['id']}/objections", {"category": "price", "text": "غالي"})
    body = {"version": objection["version"], "status": "resolved", "response": "خصم للدفع المقدم"}
    return Request("PATCH", f"/leads/{lead['id']}/objections/{objection['id']}", body)


def _post_referral_request(w: World, role: str) -> Request:
    return Request("POST", f"/leads/{w.won_lead()['id']}/referral-requests", {"channel": "whatsapp"})


def _referral_request(w: World) -> dict[str, Any]:
    lead = w.won_lead()
    return dict(w.ok("POST", f"/leads/{lead['id']}/referral-requests", {"channel": "whatsapp"}))


def _get_referral_requests(w: World, role: str) -> Request:
    return Request("GET", f"/leads/{_referral_request(w)['lead_id']}/referral-requests")


def _patch_referral_request(w: World, role: str) -> Request:
    request = _referral_request(w)
    return Request(
        "PATCH", f"/referral-requests/{request['id']}", {"version": request["version"], "note": "asked in person"}
    )


def _post_referral(w: World, role: str) -> Request:
    request = _referral_request(w)
    body = {"account": {"name": "Layla Hassan", "phones": [f"05{w.n() + 60_000_000:08d}"]}}
    return Request("POST", f"/referral-requests/{request['id']}/referrals", body)


def _messages(query: str) -> Callable[[World, str], Request]:
    def prepare(w: World, role: str) -> Request:
        order = w.order()
        return Request(
            "GET", "/messages?" + query.format(account_id=order["account_id"], order_id=order["id"], rep_id=OWNER)
        )

    return prepare


def _post_order(w: World, role: str) -> Request:
    acc = w.account()
    return Request(
        "POST",
        "/orders",
        {
            "account_id": acc["id"],
            "items": [
                {"sku": "C-1", "name": "دورة", "quantity": 1, "unit_price": {"amount": "99.50", "currency": "SAR"}}
            ],
            "payment": "cod",
            "delivery_address": {"line1": f"شارع العليا {w.n()}", "city": "الرياض", "country": "SA"},
            "phone": acc["phones"][0],
            "email": acc["emails"][0],
        },
    )


def _good_customer_order(w: World, role: str) -> Request:
    """A returning customer whose earlier order was delivered and paid: confirmed at once, with
    their unused coupons listed (one more Query)."""
    request = _post_order(w, role)
    earlier = w.order(request.body["account_id"], phone=request.body["phone"], email=request.body["email"])
    for kind in ("confirmed", "shipped", "delivered", "paid")[earlier["status"] == "confirmed" :]:
        w.ok("POST", f"/orders/{earlier['id']}/events", {"type": kind})
    return request


def _orders(query: str) -> Callable[[World, str], Request]:
    def prepare(w: World, role: str) -> Request:
        order = w.order()
        return Request("GET", "/orders" + (("?" + query.format(account_id=order["account_id"])) if query else ""))

    return prepare


def _order_event(kind: str, before: tuple[str, ...] = ()) -> Callable[[World, str], Request]:
    def prepare(w: World, role: str) -> Request:
        order = w.order()
        for earlier in before:
            w.ok("POST", f"/orders/{order['id']}/events", {"type": earlier})
        return Request("POST", f"/orders/{order['id']}/events", {"type": kind})

    return prepare


def _confirmation_link(w: World) -> str:
    order = w.order()
    got = w.ok("GET", f"/orders/{order['id']}", role="manager")
    url = str(got["confirmation"]["url"])
    return url[url.index("/orders/") :]


def _confirm_page(w: World, role: str) -> Request:
    return Request("GET", _confirmation_link(w), headers={"Accept": "text/html"})


def _confirm_post(w: World, role: str) -> Request:
    path, token = _confirmation_link(w).split("?token=")
    return Request(
        "POST",
        path,
        raw=f"token={token}&action=confirm",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )


def _put_rep(w: World, role: str) -> Request:
    body = {"timezone": "Asia/Riyadh", "working_hours": {"sun": ["09:00", "17:00"]}, "weekly_goals": {"wins": 2}}
    return Request("PUT", f"/reps/{OWNER}", body)


def _report(path: str) -> Callable[[World, str], Request]:
    return lambda w, role: Request("GET", path.format(period=_period(), owner=OWNER))


SCENARIOS: list[Scenario] = [
    Scenario("get_health", _get("/health"), PUBLIC),
    Scenario("get_openapi_json", _get("/openapi.json"), PUBLIC),
    Scenario("get_settings", _get("/settings")),
    Scenario("put_settings", lambda w, r: Request("PUT", "/settings", {"timezone": "Asia/Riyadh"}), ("admin",)),
    Scenario(
        "post_accounts",
        lambda w, r: Request(
            "POST",
            "/accounts",
            {"name": "سارة علي", "phones": [f"05{w.n() + 70_000_000:08d}"], "emails": [f"s{w.n()}@example.com"]},
        ),
    ),  # fmt: skip
    Scenario("get_accounts", _get("/accounts")),
    Scenario("get_accounts", _get("/accounts?q=%D9%85%D8%AD%D9%85%D8%AF"), variant="q=name"),
    Scenario(
        "get_accounts",
        lambda w, r: Request("GET", f"/accounts?q={w.account()['phones'][0].replace('+', '%2B')}"),
        variant="q=phone",
    ),  # fmt: skip
    Scenario("get_accounts", lambda w, r: Request("GET", f"/accounts?q={w.account()['emails'][0]}"), variant="q=email"),
    Scenario("get_accounts_account_id", _account_path()),
    Scenario("patch_accounts_account_id", _patch_account),
    Scenario("delete_accounts_account_id", _delete_account),
    Scenario("get_accounts_account_id_coupons", _account_path("/coupons")),
    Scenario("get_accounts_account_id_timeline", _account_path("/timeline")),
    Scenario("post_coupons_code_redeem", _redeem),
    Scenario("post_imports", _post_import, variant="2 rows inline"),
    Scenario("post_imports_uploads", lambda w, r: Request("POST", "/imports/uploads?type=leads")),
    Scenario("get_imports_import_id", _get_import),
    Scenario("post_interactions", _interaction("note"), variant="outbound note"),
    Scenario("post_interactions", _interaction("inbound first"), variant="inbound first message"),
    Scenario("post_interactions", _interaction("inbound repeat"), variant="inbound repeat"),
    Scenario("post_interactions", _interaction("first reply"), variant="first reply"),
    Scenario("post_interactions", _interaction("later reply"), variant="later reply"),
    Scenario("patch_interactions_interaction_id", _patch_interaction),
    Scenario("post_leads", _post_lead),
    Scenario("get_leads", _get("/leads")),
    Scenario("get_leads", _get("/leads?stage=prospecting&status=open"), variant="stage+status"),
    Scenario("get_leads", _get(f"/leads?owner_id={OWNER}&status=open"), variant="owner+status"),
    Scenario("get_leads_lead_id", _lead_path()),
    Scenario("patch_leads_lead_id", _patch_lead),
    Scenario("post_leads_lead_id_lost", _lost),
    Scenario("post_leads_lead_id_stage", _stage),
    Scenario("post_leads_lead_id_stage", _win, variant="win"),
    Scenario("post_leads_lead_id_objections", _post_objection),
    Scenario("get_leads_lead_id_objections", _get_objections),
    Scenario("patch_leads_lead_id_objections_objection_id", _patch_objection),
    Scenario("post_leads_lead_id_referral_requests", _post_referral_request),
    Scenario("get_leads_lead_id_referral_requests", _get_referral_requests),
    Scenario("patch_referral_requests_request_id", _patch_referral_request),
    Scenario("post_referral_requests_request_id_referrals", _post_referral),
    Scenario("get_messages", _messages("account_id={account_id}"), variant="account"),
    Scenario("get_messages", _messages("order_id={order_id}"), variant="order"),
    Scenario("get_messages", _messages("rep_id={rep_id}"), variant="rep"),
    Scenario("get_messages", _messages("kind=order_confirmation&status=sent"), MANAGERS, variant="kind+status"),
    Scenario("get_messages", _messages("status=failed"), MANAGERS, variant="status"),
    Scenario("post_orders", _post_order),
    Scenario("post_orders", _good_customer_order, variant="good customer"),
    Scenario("get_orders", _orders("")),
    Scenario("get_orders", _orders("status=pending_confirmation"), variant="status"),
    Scenario("get_orders", _orders("needs_call=true"), variant="call queue"),
    Scenario("get_orders", _orders("account_id={account_id}"), variant="account"),
    Scenario("get_orders_order_id", lambda w, r: Request("GET", f"/orders/{w.order()['id']}")),
    Scenario("get_orders_order_id_confirm", _confirm_page, PUBLIC),
    Scenario("post_orders_order_id_confirm", _confirm_post, PUBLIC),
    Scenario("post_orders_order_id_events", _order_event("confirmed")),
    Scenario("post_orders_order_id_events", _order_event("delivered", ("confirmed", "shipped")), variant="day 0"),
    Scenario("get_reps_rep_id", lambda w, r: Request("GET", f"/reps/{OWNER}")),
    Scenario("put_reps_rep_id", _put_rep),
    Scenario("get_reps_rep_id_scorecard", _report("/reps/{owner}/scorecard?week=2026-W47")),
    Scenario("get_reports_funnel", _report("/reports/funnel?{period}")),
    Scenario("get_reports_funnel", _report("/reports/funnel?{period}&owner_id={owner}"), variant="owner"),
    Scenario("get_reports_contact_success", _report("/reports/contact-success?{period}")),
    Scenario("get_reports_objections", _report("/reports/objections?{period}"), MANAGERS),
]


# -- running them ------------------------------------------------------------------------------


def operations(doc: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        op["operationId"]: (method.upper(), path, op)
        for path, methods in doc["paths"].items()
        for method, op in methods.items()
    }


def missing_scenarios(doc: dict[str, Any]) -> list[str]:
    return sorted(set(operations(doc)) - {s.operation for s in SCENARIOS})


def unknown_scenarios(doc: dict[str, Any]) -> list[str]:
    return sorted({s.operation for s in SCENARIOS} - set(operations(doc)))


@dataclass
class Outcome:
    key: str
    role: str
    calls: list[str]
    overhead_ms: float


def send(world: World, meter: Meter, request: Request, role: str) -> tuple[Reply, list[str], float]:
    """One measured request: its reply, its DynamoDB calls, our own time in ms."""
    with meter.measure() as measured:
        reply = world.caller.call(
            request.method,
            request.path,
            request.body,
            raw=request.raw,
            headers=request.headers,
            user=USERS[role],
            org=world.org,
            role=role if role != "public" else "rep",
            auth=role != "public",
        )
    overhead = (reply.handler_seconds - measured.dynamodb_seconds) * 1000
    return reply, measured.operations, overhead


def run_scenarios(caller: Caller, meter: Meter, doc: dict[str, Any], org: str = ORG) -> list[Outcome]:
    """Every scenario once per role; raises on an operation without a scenario, or a request that
    did not answer its documented 2xx."""
    missing = missing_scenarios(doc)
    if missing:
        raise SystemExit(f"operations without a route-cost scenario in bench/routes.py: {', '.join(missing)}")
    unknown = unknown_scenarios(doc)
    if unknown:
        raise SystemExit(f"scenarios for operations /openapi.json does not have: {', '.join(unknown)}")
    ops = operations(doc)
    world = World(caller, org)
    outcomes: list[Outcome] = []
    for scenario in SCENARIOS:
        method, path, op = ops[scenario.operation]
        expected = scenario.status or next(int(s) for s in op["responses"] if s.startswith("2"))
        for role in scenario.roles:
            request = scenario.prepare(world, role)
            reply, calls, overhead = send(world, meter, request, role)
            if reply.status != expected:
                raise RuntimeError(
                    f"{scenario.key(method, path)} as {role}: {reply.status} (expected {expected}) {reply.raw[:400]!r}"
                )
            outcomes.append(Outcome(scenario.key(method, path), role, calls, overhead))
    return outcomes


def route_calls(outcomes: list[Outcome]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for outcome in outcomes:
        table.setdefault(outcome.key, {})[outcome.role] = len(outcome.calls)
    return table


# The realistic mix: (scenario key prefix, weight). Reads dominate, as on a rep's phone.
MIX: list[tuple[str, str, int]] = [
    ("get_leads", "", 14),
    ("get_leads", "owner+status", 6),
    ("get_leads_lead_id", "", 12),
    ("get_accounts_account_id_timeline", "", 10),
    ("get_accounts_account_id", "", 8),
    ("get_accounts", "q=name", 6),
    ("get_accounts", "q=phone", 3),
    ("post_interactions", "outbound note", 6),
    ("post_interactions", "inbound first message", 3),
    ("post_interactions", "first reply", 3),
    ("post_leads_lead_id_stage", "", 5),
    ("patch_leads_lead_id", "", 3),
    ("post_leads", "", 3),
    ("post_accounts", "", 3),
    ("get_leads_lead_id_objections", "", 2),
    ("post_leads_lead_id_objections", "", 2),
    ("get_orders", "", 3),
    ("get_orders_order_id", "", 3),
    ("post_orders", "", 2),
    ("post_orders_order_id_events", "", 2),
    ("get_messages", "account", 2),
    ("get_reports_funnel", "", 1),
    ("get_reps_rep_id_scorecard", "", 1),
    ("get_reps_rep_id", "", 1),
]


def run_mix(caller: Caller, meter: Meter, requests: int, seed: int = 13, org: str = ORG + "-mix") -> list[float]:
    """``requests`` requests drawn from ``MIX`` (role: 70% rep, 20% manager, 10% admin), each
    prepared as its scenario says; our own time (ms) of each."""
    by_key = {(s.operation, s.variant): s for s in SCENARIOS}
    rng = random.Random(seed)
    world = World(caller, org)
    choices = [(by_key[(op, variant)], weight) for op, variant, weight in MIX]
    scenarios = [s for s, _ in choices]
    weights = [w for _, w in choices]
    overheads: list[float] = []
    for _ in range(requests):
        scenario = rng.choices(scenarios, weights)[0]
        role = rng.choices(["rep", "manager", "admin"], [7, 2, 1])[0]
        if role not in scenario.roles:
            role = scenario.roles[0]
        reply, _, overhead = send(world, meter, scenario.prepare(world, role), role)
        if reply.status >= 300:
            raise RuntimeError(
                f"mix: {scenario.operation} [{scenario.variant}] as {role}: {reply.status} {reply.raw[:300]!r}"
            )
        overheads.append(overhead)
    return overheads


def idempotency_extra(caller: Caller, meter: Meter, org: str = ORG + "-idem") -> int:
    world = World(caller, org)
    body = {"name": "Key Test", "phones": ["0501230000"]}
    plain = send(world, meter, Request("POST", "/accounts", body), "rep")[1]
    keyed = Request("POST", "/accounts", {**body, "phones": ["0501230001"]}, headers={"Idempotency-Key": "bench-key-1"})
    return len(send(world, meter, keyed, "rep")[1]) - len(plain)


def measure(requests: int) -> tuple[dict[str, Any], list[Outcome]]:
    from chalice.test import Client

    from app import app
    from chalicelib.api.openapi import document

    meter = Meter().install()
    with Client(app, stage_name="local") as client:
        caller = Caller(client)
        outcomes = run_scenarios(caller, meter, document())  # also the warm-up: every route imported
        overheads = run_mix(caller, meter, requests)
        extra = idempotency_extra(caller, meter)
    table = route_calls(outcomes)
    figures = {
        "route_calls": table,
        "route_calls_max": max(n for roles in table.values() for n in roles.values()),
        "route_calls_idempotency_extra": extra,
        "overhead_ms_p50": round(statistics.median(overheads), 3),
        "overhead_ms_p99": round(percentile(overheads, 0.99), 3),
        "overhead_requests": len(overheads),
    }
    return figures, outcomes


def render(figures: dict[str, Any], outcomes: list[Outcome]) -> str:
    detail: dict[str, list[str]] = {}
    for outcome in outcomes:
        detail.setdefault(outcome.key, [])
        if not detail[outcome.key]:
            detail[outcome.key] = outcome.calls
    width = max(len(k) for k in figures["route_calls"]) + 2
    header = f"{'route':{width}} {'admin':>5} {'mgr':>5} {'rep':>5} {'public':>6}  calls (first role)"
    lines = [header, "-" * len(header)]
    for key, roles in figures["route_calls"].items():
        cells = [str(roles.get(r, "-")) for r in ("admin", "manager", "rep", "public")]
        flag = "  <-- over 4" if max(roles.values()) > MAX_CALLS else ""
        lines.append(
            f"{key:{width}} {cells[0]:>5} {cells[1]:>5} {cells[2]:>5} {cells[3]:>6}  {' '.join(detail[key])}{flag}"
        )
    lines.append("")
    for name in (
        "route_calls_max",
        "route_calls_idempotency_extra",
        "overhead_ms_p50",
        "overhead_ms_p99",
        "overhead_requests",
    ):
        lines.append(f"{name:32} {figures[name]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    from bench.inproc import environment, tables

    environment()
    sys.path.insert(0, str(ROOT))
    with tables(), contextlib.redirect_stdout(io.StringIO()):  # the metrics' EMF lines
        figures, outcomes = measure(args.requests)
    from bench.local_stack import merge_into

    merge_into(Path(args.out), figures)
    sys.stdout.write(render(figures, outcomes) + f"\nmerged into {args.out}\n")
    return 0 if figures["route_calls_max"] <= MAX_CALLS else 1


if __name__ == "__main__":
    sys.exit(main())
