"""One example request per operation of /openapi.json, shared by the generated-client tests.

``tests/api/test_generated_python_client.py`` (a Python client from openapi-python-client, in
process against moto) and ``tests/openapi/test_typescript_client.py`` (a TypeScript client from
openapi-typescript + openapi-fetch, compiled with tsc and run by node against the real local
stack) both walk ``EXAMPLES`` top to bottom, and both fail for an operationId of the document that
has no entry here.

Adding a route is one line: ``("<operationId>", Example(...))``. The operationId is the method and
the path in snake case (``POST /orders/{order_id}/events`` is ``post_orders_order_id_events``).
- ``body``: the JSON body (or ``bytes`` for a CSV body). A string that is exactly ``"{name}"``
  becomes the value saved under ``name`` by an earlier example (type kept: a saved version stays
  an integer), so a body can name the account made above.
- path parameters: taken from the saved value of the same name (``account_id`` ...) unless
  ``path`` names another (``path={"lead_id": "{referred_lead_id}"}``).
- ``query``: query parameters, with ``"{name}"`` placeholders too.
- ``save``: ``{"name": "field"}`` keeps ``response[field]`` for later examples (``job.id`` reaches in).
- the expected status is the operation's documented 2xx; every call is made as ``ROLE`` ``USER``
  unless ``public`` in the document. Examples run in order: keep the DELETE last.
The response must parse into the generated type and match its schema in the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

USER = "roundtrip-admin"
ROLE = "admin"

CSV_ACCOUNTS = "name,email,phone\nسارة علي,sara@example.com,0551234567\nOmar Khaled,omar@example.com,+966501112233\n"


@dataclass(frozen=True)
class Example:
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    path: dict[str, str] = field(default_factory=dict)
    save: dict[str, str] = field(default_factory=dict)


EXAMPLES: list[tuple[str, Example]] = [
    ("get_health", Example()),
    ("get_openapi_json", Example()),
    ("put_settings", Example(body={"timezone": "Asia/Riyadh", "follow_up": {"coupon": {"percent_off": 15}}})),
    ("get_settings", Example()),
    (
        "post_accounts",
        Example(
            body={"name": "محمد أحمد", "phones": ["0501234567"], "emails": ["m.ahmed@example.com"], "kind": "person"},
            save={"account_id": "id", "account_version": "version"},
        ),
    ),
    ("get_accounts", Example(query={"q": "محمد", "limit": 10})),
    ("get_accounts_account_id", Example()),
    ("patch_accounts_account_id", Example(body={"version": "{account_version}", "journey_stage": "research"})),
    (
        "post_leads",
        Example(
            body={"account_id": "{account_id}", "title": "دورة التسويق", "value": {"amount": "199", "currency": "SAR"}},
            save={"lead_id": "id", "lead_version": "version"},
        ),
    ),
    ("get_leads", Example(query={"stage": "prospecting", "status": "open"})),
    ("get_leads_lead_id", Example()),
    ("patch_leads_lead_id", Example(body={"version": "{lead_version}", "source": "whatsapp"})),
    (
        "post_leads_lead_id_objections",
        Example(
            body={"category": "price", "text": "السعر مرتفع", "counter_offer": {"amount": "150.00", "currency": "SAR"}},
            save={"objection_id": "id", "objection_version": "version"},
        ),
    ),
    ("get_leads_lead_id_objections", Example()),
    (
        "patch_leads_lead_id_objections_objection_id",
        Example(body={"version": "{objection_version}", "status": "resolved", "response": "خصم للدفع المقدم"}),
    ),
    ("post_leads_lead_id_stage", Example(body={"stage": "closing", "note": "trial close"})),
    ("post_leads_lead_id_stage", Example(body={"stage": "follow_up"})),
    (
        "post_leads_lead_id_referral_requests",
        Example(body={"channel": "whatsapp"}, save={"request_id": "id", "request_version": "version"}),
    ),
    ("get_leads_lead_id_referral_requests", Example()),
    ("patch_referral_requests_request_id", Example(body={"version": "{request_version}", "note": "asked in person"})),
    (
        "post_referral_requests_request_id_referrals",
        Example(body={"account": {"name": "Layla Hassan", "phones": ["0559876543"]}}, save={"referred_lead_id": "id"}),
    ),
    ("post_leads_lead_id_lost", Example(path={"lead_id": "{referred_lead_id}"}, body={"reason": "no budget"})),
    (
        "post_interactions",
        Example(
            body={
                "account_id": "{account_id}",
                "lead_id": "{lead_id}",
                "channel": "whatsapp",
                "direction": "inbound",
                "body": "هل الدورة متاحة؟",
                "occurred_at": "2026-11-22T09:30:00Z",
                "intent": "commercial",
            },
            save={"interaction_id": "id", "interaction_version": "version"},
        ),
    ),
    (
        "patch_interactions_interaction_id",
        Example(body={"version": "{interaction_version}", "outcome": "price_comparison"}),
    ),
    ("get_accounts_account_id_timeline", Example(query={"limit": 5})),
    ("get_reps_rep_id", Example(path={"rep_id": USER})),
    (
        "put_reps_rep_id",
        Example(
            path={"rep_id": USER},
            body={"timezone": "Asia/Riyadh", "working_hours": {"sun": ["09:00", "17:00"]}, "weekly_goals": {"wins": 2}},
        ),
    ),
    (
        "post_orders",
        Example(
            body={
                "account_id": "{account_id}",
                "items": [
                    {
                        "sku": "C-1",
                        "name": "دورة التسويق",
                        "quantity": 2,
                        "unit_price": {"amount": "99.50", "currency": "SAR"},
                    }
                ],
                "payment": "cod",
                "delivery_address": {"line1": "ش. الملك فهد ١٢", "city": "الرياض", "country": "SA"},
                "phone": "0559998877",
            },
            save={"order_id": "id"},
        ),
    ),
    ("get_orders", Example(query={"status": "pending_confirmation"})),
    ("get_orders_order_id", Example()),
    ("post_orders_order_id_events", Example(body={"type": "confirmed"})),
    ("get_messages", Example(query={"order_id": "{order_id}"})),
    ("get_accounts_account_id_coupons", Example()),
    ("get_reports_funnel", Example(query={"from": "2026-11-01", "to": "2026-12-31"})),
    ("get_reports_contact_success", Example(query={"from": "2026-11-01", "to": "2026-12-31"})),
    ("get_reports_objections", Example(query={"from": "2026-11-01", "to": "2026-12-31"})),
    ("get_reps_rep_id_scorecard", Example(path={"rep_id": USER}, query={"week": "2026-W47"})),
    ("post_imports", Example(query={"type": "accounts"}, body=CSV_ACCOUNTS.encode("utf-8"), save={"import_id": "id"})),
    ("get_imports_import_id", Example()),
    ("post_imports_uploads", Example(query={"type": "leads"})),
    ("delete_accounts_account_id", Example()),
]


def substitute(value: Any, saved: dict[str, Any]) -> Any:
    """``value`` with every ``"{name}"`` string replaced by the saved value."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in saved:
        return saved[value[1:-1]]
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    return value


def pick(body: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        body = body[part]
    return body


def operations(doc: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation) for every operation of the document."""
    return {
        op["operationId"]: (method.upper(), path, op)
        for path, methods in doc["paths"].items()
        for method, op in methods.items()
    }


def success_status(operation: dict[str, Any]) -> int:
    (status,) = [int(s) for s in operation["responses"] if s.startswith("2")]
    return status


# The customer's confirmation page answers HTML to a browser, not JSON to an API client: it is
# driven in tests/browser (headless Chromium) and tests/api/test_confirmation_page.py instead.
BROWSER_PAGES = frozenset({"get_orders_order_id_confirm", "post_orders_order_id_confirm"})
# A coupon code comes from the follow-up job, never from a route, so no example can name one; the
# redeem route's success, repeat, expiry and unknown-code answers are in tests/api/test_coupons.py.
NEEDS_A_JOB = frozenset({"post_coupons_code_redeem"})


def missing_examples(doc: dict[str, Any]) -> list[str]:
    covered = {operation_id for operation_id, _ in EXAMPLES} | BROWSER_PAGES | NEEDS_A_JOB
    return sorted(set(operations(doc)) - covered)
