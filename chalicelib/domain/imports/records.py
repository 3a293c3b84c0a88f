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
from functools import lru_cache

from pydantic import ValidationError

from chalicelib.domain.accounts import Account, AccountCreate, new_account
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.imports.columns import CUSTOM, DATES, IGNORE, MULTI, ColumnMap, ImportType, header_key
from chalicelib.domain.imports.values import is_placeholder, parse_date
from chalicelib.domain.limits import MAX_CONTACTS, MAX_CUSTOM_FIELDS
from chalicelib.domain.money import two_places
from chalicelib.domain.normalize import clean_name, fold_name, normalize_email, normalize_phone, to_ascii_digits
from chalicelib.domain.pipeline import Stage, Status
from chalicelib.domain.validation import from_pydantic

# "Do Not Email" and "Do Not Call" are two opt-outs, kept apart as tags on the customer (only a
# general "do not contact" sets contact_opt_out, which stops every follow-up message).
EMAIL_OPT_OUT_TAG = "do-not-email"
CALL_OPT_OUT_TAG = "do-not-call"
DAY_FIRST = {"day_first": True, "month_first": False}
# Where a column's slashed dates never tell (03/04/2024 only), the organisation's country decides.
MONTH_FIRST_COUNTRIES = frozenset({"US", "PH", "BZ", "FM", "PW", "MH", "GU", "PR", "AS", "VI", "MP"})

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
            "initialoffer",
            "offer",
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


@lru_cache(maxsize=512)
def currency_for(country: str) -> str:
    """The currency in use in an ISO 3166 country (CLDR's territory data, through babel), USD
    where the country is unknown. Imported lazily: only an import of amounts needs babel's data."""
    from babel.numbers import get_territory_currencies

    found = get_territory_currencies(country.strip().upper(), tender=True)  # [] for an unknown code
    return str(found[0]) if found else "USD"


def map_stage(raw: str) -> tuple[Stage, Status]:
    """A CRM's stage name as one of our six steps and a status; unknown names start at prospecting."""
    return _STAGES.get(header_key(raw), ("prospecting", "open"))


def parse_money(raw: str, currency: str, decimal: str = "") -> dict[str, str]:
    """``"$22,700.00"``, ``"1.234,56 €"``, ``"١٥٠٠"`` ... as ``{"amount", "currency"}``. ``decimal``
    is the separator the column's values agreed on (``values.decimal_separator``); without it each
    value is read on its own."""
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
    if decimal:
        grouping = "." if decimal == "," else ","
        text = text.replace(grouping, "").replace(decimal, ".")
    elif "," in text and "." in text:
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
    created_at: datetime | None = None  # when the file says the deal was created, engaged, closed
    engaged_at: datetime | None = None
    closed_at: datetime | None = None


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


UNASSIGNED = "Unassigned deals"  # the account of a leads file's deals that name no customer


def build_row(
    row: int,
    values: list[str],
    columns: ColumnMap,
    *,
    import_type: ImportType,
    default_country: str,
    now: datetime,
) -> ImportRow | RowRejected:
    """Validate one row. Field names in errors are the file's column headers where one applies.

    A value that cannot be used (a phone that is no phone, a date that is no date) is dropped with a
    warning naming its column; the row is rejected only when nothing identifies its customer.
    """
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    headers: dict[str, str] = {}
    hints: dict[str, str] = {}
    custom: dict[str, str] = {}
    for column in columns.columns:
        value = values[column.index].strip() if column.index < len(values) else ""
        if column.field == IGNORE or not value or is_placeholder(value):
            continue
        if column.field == CUSTOM:
            custom[columns.custom_names[column.index]] = value
        elif column.field in MULTI:
            multi.setdefault(column.field, []).append(value)
            headers.setdefault(column.field, column.header)
        else:
            single[column.field] = value
            headers[column.field] = column.header
            hints[column.field] = column.hint
    extra = values[len(columns.columns) :]
    for offset, value in enumerate(extra):
        if value.strip() and not is_placeholder(value):
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
    emails: list[str] = []
    for raw in multi.get("email", []):
        for value in (e for e in _SPLIT_EMAILS.split(raw) if e):
            if normalize_email(value) is None:
                warnings.append(FieldError(headers["email"], f"{value!r} is not an e-mail address; left out"))
            else:
                emails.append(value)
    phones: list[str] = []
    for raw in multi.get("phone", []):
        for value in (p.strip() for p in _SPLIT_PHONES.split(raw) if p.strip()):
            if re.fullmatch(r"[\d.]+[eE]\+\d+", value):
                warnings.append(FieldError(headers["phone"], f"{value!r} lost its digits to Excel's scientific format"))
            elif normalize_phone(value, iso_country or default_country) is None:
                warnings.append(FieldError(headers["phone"], f"{value!r} is not a valid phone number; left out"))
            else:
                phones.append(value)
    name, kind = _name(single)
    if not name and single.get("id_name"):
        name, kind = clean_name(f"{headers['id_name']} {single['id_name']}"), "person"
    if not name:
        name = emails[0] if emails else (phones[0] if phones else "")
    if not name and import_type == "leads" and single.get("lead_title"):
        name = clean_name(single["lead_title"])  # Zoho potentials name the deal after the customer
    if not name and import_type == "leads" and _is_deal(single):
        name, kind = UNASSIGNED, "company"  # a deal without its customer is still a deal
    group_name = fold_name(name)
    if not name:
        errors.append(FieldError("name", "a row needs a name, company, e-mail or phone for its customer"))
    if len(custom) > MAX_CUSTOM_FIELDS:
        kept = dict(list(custom.items())[:MAX_CUSTOM_FIELDS])
        warnings.append(
            FieldError("custom_fields", f"kept the first {MAX_CUSTOM_FIELDS} of {len(custom)} extra columns")
        )
        custom = kept
    tags = [t.strip() for raw in multi.get("tags", []) for t in re.split(r"[;,]", raw) if t.strip()]
    for opt_out, tag in (("email_opt_out", EMAIL_OPT_OUT_TAG), ("call_opt_out", CALL_OPT_OUT_TAG)):
        if any(v.strip().casefold() in _TRUE for v in multi.get(opt_out, [])):
            tags.append(tag)
    data: dict[str, object] = {
        "name": name or "-",
        "kind": kind,
        "emails": emails[:MAX_CONTACTS],
        "phones": phones[:MAX_CONTACTS],
        "custom_fields": custom,
        "tags": tags,
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
            lead = _lead(single, name, default_country, hints, headers, row, warnings)
        except ValueError as error:
            errors.append(FieldError(headers.get("value", "value"), str(error)))
    if errors or account is None:
        return RowRejected(row, errors)
    if lead is not None:  # in a pipeline export the extra columns describe the deal, not the customer
        lead.custom_fields, account.custom_fields = account.custom_fields, {}
    return ImportRow(
        row=row,
        account=account,
        external_id=single.get("external_id") or single.get("id_name", ""),
        group_name=group_name,
        lead=lead,
        warnings=warnings,
    )


def _is_deal(single: dict[str, str]) -> bool:
    return any(single.get(f) for f in ("external_id", "lead_title", "value", "stage", *DATES))


def _name(single: dict[str, str]) -> tuple[str, str]:
    person = clean_name(
        single.get("name") or " ".join(p for p in (single.get("first_name"), single.get("last_name")) if p)
    )
    if person:
        kind = "company" if single.get("is_company", "").casefold() in _TRUE else "person"
        return person, kind
    company = single.get("account_name") or single.get("company") or ""
    return clean_name(company), "company"


def _lead(
    single: dict[str, str],
    account_name: str,
    default_country: str,
    hints: dict[str, str],
    headers: dict[str, str],
    row: int,
    warnings: list[FieldError],
) -> LeadDraft:
    source_stage = single.get("stage", "")
    stage, status = map_stage(source_stage) if source_stage else ("prospecting", "open")
    dates: dict[str, datetime] = {}
    for name in DATES:
        if single.get(name):
            hint = hints.get(name, "")
            try:
                order = DAY_FIRST.get(hint, default_country.upper() not in MONTH_FIRST_COUNTRIES)
                dates[name] = parse_date(single[name], day_first_=order)
            except ValueError as error:
                warnings.append(FieldError(headers[name], f"{error}; left out"))
    if not source_stage and "closed_at" in dates and "won" in header_key(headers["closed_at"]):
        stage, status = _WON  # a "won date" column without a stage: the file lists won deals
    if status == "open":
        dates.pop("closed_at", None)  # an open deal's "closing date" is a forecast, not a close
    currency = (single.get("currency") or "").strip().upper() or currency_for(default_country)
    value = parse_money(single["value"], currency, hints.get("value", "")) if single.get("value") else None
    if value is not None and not re.fullmatch(r"[A-Z]{3}", value["currency"]):
        raise ValueError(f"{value['currency']!r} is not an ISO 4217 currency code")
    lost_reason = single.get("lost_reason", "")
    if status == "lost" and not lost_reason:
        lost_reason = f"imported as {source_stage}"
    external_id = single.get("external_id") or single.get("id_name", "")
    title = clean_name(single.get("lead_title", ""))
    if not title and account_name != UNASSIGNED:
        title = account_name
    title = title or (f"Deal {external_id}" if external_id else f"Imported deal (row {row})")
    return LeadDraft(
        title=title[:200],
        stage=stage,
        status=status,
        value=value,
        source=single.get("lead_source", "import"),
        lost_reason=lost_reason,
        source_stage=source_stage,
        external_id=external_id,
        created_at=dates.get("created_at"),
        engaged_at=dates.get("engaged_at"),
        closed_at=dates.get("closed_at"),
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
