"""One CSV row -> a validated account (and lead) draft, or the reasons it was rejected.

Validation is the API's own: the row becomes an ``AccountCreate`` and goes through
``new_account`` (e-mails case-folded, phones to E.164 in the organisation's country or the row's
ISO country, Arabic-Indic digits read, names trimmed), so an imported customer is exactly what
``POST /accounts`` would have stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from chalicelib.domain.accounts import Account, AccountCreate, new_account
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.imports.columns import CUSTOM, IGNORE, ColumnMap, ImportType, header_key
from chalicelib.domain.money import two_places
from chalicelib.domain.normalize import clean_name, fold_name, to_ascii_digits
from chalicelib.domain.pipeline import Stage, Status
from chalicelib.domain.validation import from_pydantic

MAX_CUSTOM_FIELDS = 100
MAX_CONTACTS = 10

_TRUE = frozenset({"1", "true", "yes", "y", "x", "t", "on", "نعم"})
_SPLIT_EMAILS = re.compile(r"[;,\s]+")
_SPLIT_PHONES = re.compile(r"[;|/,]+|\s{2,}")

# Stage names of common CRMs (keys as header_key folds them) -> our step and status.
_WON: tuple[Stage, Status] = ("follow_up", "won")
_STAGE_NAMES: tuple[tuple[tuple[str, ...], tuple[Stage, Status]], ...] = (
    (
        (
            "prospecting",
            "prospect",
            "new",
            "newlead",
            "leadin",
            "lead",
            "open",
            "notcontacted",
            "prequalified",
            "qualification",
            "qualified",
            "qualifiedtobuy",
            "mql",
            "sql",
            "marketingqualifiedlead",
            "subscriber",
            "جديد",
            "عميل محتمل",
            "تنقيب",
        ),
        ("prospecting", "open"),
    ),
    (
        (
            "approach",
            "engaging",
            "contacted",
            "attemptedtocontact",
            "contactmade",
            "connected",
            "inprogress",
            "appointmentscheduled",
            "meetingscheduled",
            "needsanalysis",
            "needsdefined",
            "identifydecisionmakers",
            "iddecisionmakers",
            "decisionmakerboughtin",
            "perceptionanalysis",
            "working",
            "workingcontacted",
            "تواصل",
            "تم التواصل",
        ),
        ("approach", "open"),
    ),
    (
        (
            "presentation",
            "presentationscheduled",
            "valueproposition",
            "proposal",
            "proposalmade",
            "proposalpricequote",
            "proposition",
            "quote",
            "demo",
            "demoscheduled",
            "عرض",
            "عرض سعر",
        ),
        ("presentation", "open"),
    ),
    (
        ("objections", "objection", "negotiation", "negotiationreview", "negotiationsstarted", "تفاوض"),
        ("objections", "open"),
    ),
    (("closing", "contractsent", "decision", "commit", "verbal", "closing soon", "اغلاق"), ("closing", "open")),
    (
        ("won", "closedwon", "dealwon", "converted", "customer", "closed won", "sale", "مكتسبة", "تم البيع", "فوز"),
        _WON,
    ),
    (
        (
            "lost",
            "closedlost",
            "deallost",
            "closedlosttocompetition",
            "junklead",
            "lostlead",
            "notqualified",
            "unqualified",
            "disqualified",
            "dead",
            "badtiming",
            "خسارة",
            "مفقودة",
        ),
        ("prospecting", "lost"),
    ),
)
_STAGES: dict[str, tuple[Stage, Status]] = {
    header_key(label): target for labels, target in reversed(_STAGE_NAMES) for label in labels
}

_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "ر.س": "SAR", "﷼": "SAR", "د.إ": "AED", "ج.م": "EGP"}
_COUNTRY_CURRENCY = {
    "SA": "SAR",
    "AE": "AED",
    "EG": "EGP",
    "KW": "KWD",
    "QA": "QAR",
    "BH": "BHD",
    "OM": "OMR",
    "JO": "JOD",
    "MA": "MAD",
    "DZ": "DZD",
    "TN": "TND",
    "IQ": "IQD",
    "LB": "LBP",
    "US": "USD",
    "GB": "GBP",
    "TR": "TRY",
}


def currency_for(country: str) -> str:
    return _COUNTRY_CURRENCY.get(country.upper(), "USD")


def map_stage(raw: str) -> tuple[Stage, Status]:
    """A CRM's stage name as one of our six steps and a status; unknown names start at prospecting."""
    return _STAGES.get(header_key(raw), ("prospecting", "open"))


def parse_money(raw: str, currency: str) -> dict[str, str]:
    """``"$22,700.00"``, ``"1.234,56 €"``, ``"١٥٠٠"`` ... as ``{"amount", "currency"}``."""
    text = to_ascii_digits(raw).replace("\u066b", ".").replace("\u066c", ",").strip()
    for symbol, code in _CURRENCY_SYMBOLS.items():
        if symbol in text:
            currency = code
            text = text.replace(symbol, "")
    iso = re.search(r"\b([A-Z]{3})\b", text)
    if iso:
        currency = iso.group(1)
        text = text.replace(iso.group(1), "")
    text = re.sub(r"[\s\u00a0']", "", text)
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "").replace(",", ".")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = head.replace(",", "") + ("." + tail if len(tail) != 3 else tail)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not an amount of money")
    try:
        return {"amount": two_places(amount), "currency": currency}
    except ValueError as error:
        raise ValueError(f"{raw!r}: {error}")


@dataclass
class LeadDraft:
    title: str
    stage: Stage
    status: Status
    value: dict[str, str] | None
    source: str
    lost_reason: str
    source_stage: str
    external_id: str
    custom_fields: dict[str, str] = field(default_factory=dict)  # a deal's extra columns


@dataclass
class ImportRow:
    """A valid row: the account it describes (id and owner still blank) and, for leads, the deal."""

    row: int
    account: Account
    external_id: str = ""
    group_name: str = ""  # folded account name, used to group contact-less rows of a leads file
    lead: LeadDraft | None = None
    warnings: list[FieldError] = field(default_factory=list)

    def claim_values(self) -> list[tuple[str, str]]:
        return [("email", e) for e in self.account.emails] + [("phone", p) for p in self.account.phones]


@dataclass
class RowRejected:
    row: int
    errors: list[FieldError]


def build_row(
    row: int,
    values: list[str],
    columns: ColumnMap,
    *,
    import_type: ImportType,
    default_country: str,
    now: datetime,
) -> ImportRow | RowRejected:
    """Validate one row. Field names in errors are the file's column headers where one applies."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    headers: dict[str, str] = {}
    custom: dict[str, str] = {}
    for column in columns.columns:
        value = values[column.index].strip() if column.index < len(values) else ""
        if column.field == IGNORE or not value:
            continue
        if column.field == CUSTOM:
            custom[columns.custom_names[column.index]] = value
        elif column.field in ("email", "phone", "tags", "opt_out"):
            multi.setdefault(column.field, []).append(value)
            headers.setdefault(column.field, column.header)
        else:
            single[column.field] = value
            headers[column.field] = column.header
    extra = values[len(columns.columns) :]
    for offset, value in enumerate(extra):
        if value.strip():
            custom[f"column {len(columns.columns) + offset + 1}"] = value.strip()
    if not single and not multi and not custom:
        return RowRejected(row, [FieldError("row", "the row has no values")])

    errors: list[FieldError] = []
    warnings: list[FieldError] = []
    country = single.get("country", "").upper()
    import phonenumbers  # only when rows are read (cold-start cost)

    iso_country = country if len(country) == 2 and country in phonenumbers.SUPPORTED_REGIONS else ""
    if single.get("country") and not iso_country:
        custom.setdefault(headers["country"], single["country"])
    emails = [e for raw in multi.get("email", []) for e in _SPLIT_EMAILS.split(raw) if e]
    phones = [p.strip() for raw in multi.get("phone", []) for p in _SPLIT_PHONES.split(raw) if p.strip()]
    for value in phones:
        if re.fullmatch(r"[\d.]+[eE]\+\d+", value):
            errors.append(FieldError(headers["phone"], f"{value!r} lost its digits to Excel's scientific format"))
    name, kind = _name(single)
    if not name:
        name = emails[0] if emails else (phones[0] if phones else "")
    if not name and import_type == "leads" and single.get("lead_title"):
        name = clean_name(single["lead_title"])  # Zoho potentials name the deal after the customer
    group_name = fold_name(name)
    if not name:
        errors.append(FieldError("name", "a row needs a name, company, e-mail or phone for its customer"))
    if len(custom) > MAX_CUSTOM_FIELDS:
        kept = dict(list(custom.items())[:MAX_CUSTOM_FIELDS])
        warnings.append(
            FieldError("custom_fields", f"kept the first {MAX_CUSTOM_FIELDS} of {len(custom)} extra columns")
        )
        custom = kept
    data: dict[str, object] = {
        "name": name or "-",
        "kind": kind,
        "emails": emails[:MAX_CONTACTS],
        "phones": phones[:MAX_CONTACTS],
        "custom_fields": custom,
        "tags": [t.strip() for raw in multi.get("tags", []) for t in re.split(r"[;,]", raw) if t.strip()],
        "contact_opt_out": any(v.strip().casefold() in _TRUE for v in multi.get("opt_out", [])),
    }
    for target in ("company", "title", "notes"):
        if target in single:
            data[target] = single[target]
    if single.get("company") is None and kind == "person" and single.get("account_name"):
        data["company"] = single["account_name"]
    address = {
        "line1": single.get("street", ""),
        "line2": single.get("street2", ""),
        "city": single.get("city", ""),
        "region": single.get("region", ""),
        "postal_code": single.get("postal_code", ""),
        "country": iso_country,
    }
    if any(address.values()):
        data["address"] = address
    account: Account | None = None
    if not errors:
        try:
            create = AccountCreate.model_validate(data)
            account = new_account(
                account_id="",
                org_id="",
                owner_id="",
                data=create,
                default_country=iso_country or default_country,
                now=now,
            )
            account.source = "import"
        except ValidationError as error:
            errors += _named(from_pydantic(error).errors, headers)
        except ValidationFailed as failed:
            errors += _named(failed.errors, headers)
    lead: LeadDraft | None = None
    if import_type == "leads" and not errors:
        try:
            lead = _lead(single, name, default_country)
        except ValueError as error:
            errors.append(FieldError(headers.get("value", "value"), str(error)))
    if errors or account is None:
        return RowRejected(row, errors)
    if lead is not None:  # in a pipeline export the extra columns describe the deal, not the customer
        lead.custom_fields, account.custom_fields = account.custom_fields, {}
    return ImportRow(
        row=row,
        account=account,
        external_id=single.get("external_id", ""),
        group_name=group_name,
        lead=lead,
        warnings=warnings,
    )


def _name(single: dict[str, str]) -> tuple[str, str]:
    person = single.get("name") or " ".join(p for p in (single.get("first_name"), single.get("last_name")) if p)
    if clean_name(person):
        kind = "company" if single.get("is_company", "").casefold() in _TRUE else "person"
        return clean_name(person), kind
    company = single.get("account_name") or single.get("company") or ""
    return clean_name(company), "company"


def _lead(single: dict[str, str], account_name: str, default_country: str) -> LeadDraft:
    source_stage = single.get("stage", "")
    stage, status = map_stage(source_stage) if source_stage else ("prospecting", "open")
    currency = (single.get("currency") or "").strip().upper() or currency_for(default_country)
    value = parse_money(single["value"], currency) if single.get("value") else None
    if value is not None and not re.fullmatch(r"[A-Z]{3}", value["currency"]):
        raise ValueError(f"{value['currency']!r} is not an ISO 4217 currency code")
    lost_reason = single.get("lost_reason", "")
    if status == "lost" and not lost_reason:
        lost_reason = f"imported as {source_stage}"
    title = clean_name(single.get("lead_title", "")) or account_name
    return LeadDraft(
        title=title[:200],
        stage=stage,
        status=status,
        value=value,
        source=single.get("lead_source", "import"),
        lost_reason=lost_reason,
        source_stage=source_stage,
        external_id=single.get("external_id", ""),
    )


_PATH_FIELD = {"emails": "email", "phones": "phone", "name": "name"}


def _named(errors: list[FieldError], headers: dict[str, str]) -> list[FieldError]:
    """Report an error under the column it came from (``Email``), not the API's ``emails[0]``."""
    named = []
    for error in errors:
        base = re.split(r"[.\[]", error.field, maxsplit=1)[0]
        target = _PATH_FIELD.get(base, base)
        named.append(FieldError(headers.get(target, error.field), error.message))
    return named
