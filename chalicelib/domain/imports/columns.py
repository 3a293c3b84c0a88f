"""Recognising the columns of CRM exports and spreadsheets (English and Arabic).

A header is compared by its *key*: case-folded, Arabic letter variants folded, and everything that
is not a letter or digit removed, so ``First Name``, ``first_name``, ``FIRSTNAME`` and ``firstName``
are one column and ``Person - Email`` (Pipedrive) is ``personemail``. An explicit mapping from the
caller wins over recognition. A column nobody recognises is kept, per row, as a custom field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.normalize import fold_name

ImportType = Literal["accounts", "leads"]
IMPORT_TYPES: tuple[ImportType, ...] = ("accounts", "leads")

CUSTOM = "custom"  # keep as a custom field under the column's own name
IGNORE = "ignore"  # the caller explicitly drops the column
ID_NAME = "id_name"  # the row's identifier, which also names a customer no other column names

# Fields that collect every column mapped to them; the others take the first column only.
MULTI = frozenset({"email", "phone", "tags", "opt_out", "email_opt_out", "call_opt_out"})
DATES = ("created_at", "engaged_at", "closed_at")
LEAD_ONLY = frozenset({"lead_title", "value", "currency", "stage", "lost_reason", "lead_source", *DATES})
# A column mapped to one of these names or identifies the customer; a file without one is refused
# (or, with an identifying column, imported with names made from it).
CUSTOMER_FIELDS = frozenset({"name", "first_name", "last_name", "company", "account_name", "email", "phone", ID_NAME})

_ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "full name",
        "contact name",
        "customer name",
        "client name",
        "display name",
        "person name",
        "person - name",
        "all names",
        "full names",
        "contact full name",
        "customer full name",
        "contact",
        "customer",
        "client",
        "الاسم",
        "الاسم الكامل",
        "اسم العميل",
        "العميل",
        "الاسم بالكامل",
        "اسم جهة الاتصال",
    ),
    "first_name": ("first name", "given name", "fname", "person - first name", "الاسم الأول", "الاسم الاول"),
    "last_name": ("last name", "surname", "family name", "lname", "person - last name", "اسم العائلة", "العائلة"),
    "account_name": ("account name", "account", "organization - name", "اسم الحساب"),
    "company": (
        "company",
        "company name",
        "organization",
        "organisation",
        "organization name",
        "associated company",
        "business",
        "employer",
        "الشركة",
        "اسم الشركة",
        "المؤسسة",
        "الجهة",
    ),
    "title": ("title", "job title", "job position", "position", "designation", "role", "المسمى الوظيفي", "الوظيفة"),
    "email": (
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "mail",
        "person - email",
        "work email",
        "primary email",
        "email 1",
        "email 2",
        "secondary email",
        "other email",
        "business email",
        "contact email",
        "البريد الإلكتروني",
        "البريد",
        "الايميل",
        "ايميل",
        "البريد الالكتروني",
    ),
    "phone": (
        "phone",
        "phone number",
        "mobile",
        "mobile phone",
        "mobile number",
        "cell",
        "cell phone",
        "telephone",
        "tel",
        "work phone",
        "home phone",
        "business phone",
        "other phone",
        "person - phone",
        "whatsapp",
        "whatsapp number",
        "phone 1",
        "phone 2",
        "contact phone",
        "الجوال",
        "الهاتف",
        "رقم الجوال",
        "رقم الهاتف",
        "الموبايل",
        "جوال",
        "هاتف",
        "واتساب",
        "رقم الواتساب",
        "المحمول",
        "الهاتف المحمول",
    ),
    "street": (
        "street",
        "address",
        "street address",
        "address line 1",
        "address 1",
        "billing street",
        "mailing street",
        "street 1",
        "العنوان",
    ),
    "street2": ("street2", "street 2", "address line 2", "address 2"),
    "city": ("city", "town", "billing city", "mailing city", "المدينة"),
    "region": (
        "state",
        "region",
        "province",
        "state/region",
        "billing state",
        "mailing state",
        "state id",
        "المنطقة",
        "المحافظة",
    ),
    "postal_code": (
        "zip",
        "zip code",
        "postal code",
        "postcode",
        "billing postal code",
        "mailing postal code",
        "الرمز البريدي",
    ),
    "country": ("country", "country/region", "billing country", "mailing country", "country id", "الدولة", "البلد"),
    "notes": ("notes", "note", "description", "comments", "comment", "remarks", "ملاحظات", "الملاحظات"),
    "tags": ("tags", "tag", "labels", "label", "categories", "الوسوم", "التصنيف"),
    "is_company": ("is company", "is a company", "company flag"),
    "opt_out": ("do not contact", "opt out", "opted out", "marketing opt out", "لا تتواصل"),
    # Channel opt-outs are kept apart: "Do Not Call" must not stop e-mails, nor the reverse.
    "email_opt_out": ("do not email", "email opt out", "has opted out of email", "unsubscribed", "no email"),
    "call_opt_out": ("do not call", "call opt out", "phone opt out", "no call", "no calls"),
    "external_id": (
        "external id",
        "record id",
        "id",
        "opportunity id",
        "deal id",
        "deal - id",
        "lead id",
        "prospect id",
        "contact id",
        "person - id",
    ),
    "lead_title": (
        "deal title",
        "deal - title",
        "deal name",
        "opportunity name",
        "opportunity",
        "potential name",
        "lead title",
        "subject",
        "deal",
        "الصفقة",
        "عنوان الصفقة",
        "الفرصة",
    ),
    "value": (
        "value",
        "amount",
        "deal value",
        "deal - value",
        "close value",
        "opportunity amount",
        "deal amount",
        "القيمة",
        "المبلغ",
    ),
    "currency": ("currency", "deal currency", "deal - currency", "currency code", "currency iso code", "العملة"),
    "stage": (
        "stage",
        "deal stage",
        "deal - stage",
        "stage name",
        "stagename",
        "pipeline stage",
        "opportunity stage",
        "lead status",
        "status",
        "المرحلة",
        "الحالة",
    ),
    "lost_reason": ("lost reason", "deal - lost reason", "reason lost", "closed lost reason", "سبب الخسارة"),
    "lead_source": ("lead source", "source", "origin", "deal - source", "المصدر"),
    "created_at": (
        "created time",
        "create date",
        "created date",
        "createddate",
        "created at",
        "created on",
        "date created",
        "creation date",
        "created",
        "deal created",
        "deal - deal created",
        "add time",
        "deal - add time",
        "first contact date",
        "تاريخ الإنشاء",
    ),
    "engaged_at": ("engage date", "engaged date", "engaged at", "engagement date", "date engaged", "contacted date"),
    "closed_at": (
        "close date",
        "closing date",
        "closed date",
        "closed at",
        "closed on",
        "close time",
        "closed time",
        "date closed",
        "won date",
        "won time",
        "deal - won time",
        "lost date",
        "lost time",
        "deal - lost time",
        "deal - close time",
        "date won",
        "تاريخ الإغلاق",
    ),
}

FIELDS: tuple[str, ...] = tuple(_ALIASES)


def header_key(text: str) -> str:
    """The comparison key of a header: folded, letters and digits only."""
    folded = fold_name(unicodedata.normalize("NFKC", text.replace("\ufeff", "")))
    return re.sub(r"[\W_]+", "", folded)


def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for target, aliases in _ALIASES.items():
        for alias in aliases:
            index.setdefault(header_key(alias), target)
    return index


_INDEX = _alias_index()
_PERSON_OR_ACCOUNT = frozenset({"first_name", "last_name", "company", "account_name"})


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    field: str  # a name in FIELDS, CUSTOM, IGNORE or ID_NAME
    recognised: bool  # False when the header was not recognised and the column is kept as custom
    hint: str = ""  # how the file writes it: an amount's decimal separator, "day_first"/"month_first" dates


@dataclass(frozen=True)
class ColumnMap:
    columns: tuple[Column, ...]

    def as_list(self) -> list[dict[str, object]]:
        return [
            {"column": c.header, "field": c.field, **({"hint": c.hint} if c.hint else {})}
            for c in self.columns
            if c.header or c.field not in (IGNORE, CUSTOM)
        ]

    def with_hints(self, hints: dict[int, str]) -> ColumnMap:
        return ColumnMap(tuple(replace(c, hint=hints.get(c.index, c.hint)) for c in self.columns))

    @property
    def hints(self) -> dict[int, str]:
        return {c.index: c.hint for c in self.columns if c.hint}

    def names_customer(self) -> bool:
        """Whether some column can name a row's customer (a deal's title can: Zoho potentials)."""
        return any(c.field in CUSTOMER_FIELDS or c.field == "lead_title" for c in self.columns)

    @cached_property
    def custom_names(self) -> dict[int, str]:
        """The custom field each CUSTOM column fills (by column index): its header, or, for a
        header used twice (or none), a name with the column's number, so no value overwrites another."""
        names: dict[int, str] = {}
        used: set[str] = set()
        for c in self.columns:
            if c.field == CUSTOM:
                name = c.header if c.header not in used else f"{c.header} ({c.index + 1})"
                name = name or f"column {c.index + 1}"
                names[c.index] = name
                used.add(name)
        return names

    @property
    def custom_headers(self) -> list[str]:
        return [c.header for c in self.columns if c.field == CUSTOM and c.header]

    def fields(self) -> set[str]:
        return {c.field for c in self.columns}


def parse_mapping(raw: object) -> dict[str, str]:
    """Validate a caller's ``{"column header": "field"}`` mapping (422 on anything unknown)."""
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise ValidationFailed.single("mapping", 'must be a JSON object of {"column header": "field"}')
    allowed = set(FIELDS) | {CUSTOM, IGNORE, ID_NAME}
    errors = [
        FieldError(f"mapping.{header}", f"unknown field {target!r}; use one of {sorted(allowed)}")
        for header, target in raw.items()
        if target not in allowed
    ]
    if errors:
        raise ValidationFailed(errors)
    return dict(raw)


def map_columns(header: list[str], import_type: ImportType, mapping: dict[str, str] | None = None) -> ColumnMap:
    """Decide what each column of ``header`` feeds. Columns without a header and that never hold
    a value (a trailing delimiter on every line) are ignored; everything else is used or kept."""
    explicit = {header_key(k): v for k, v in (mapping or {}).items()}
    proposed: list[tuple[str, str, str, bool]] = []  # header, key, target, recognised
    for raw in header:
        text = raw.replace("\ufeff", "").strip()
        key = header_key(text)
        if key in explicit:
            proposed.append((text, key, explicit[key], True))
        elif not key:  # a header-less column's values are kept as "column N" (it is often empty)
            proposed.append((text, key, CUSTOM, False))
        else:
            target = _INDEX.get(key, CUSTOM)
            if import_type == "accounts" and target in LEAD_ONLY:
                target = CUSTOM
            proposed.append((text, key, target, target != CUSTOM))
    if import_type == "leads" and not any(t == "lead_title" for _, _, t, _ in proposed):
        # Odoo crm.lead and Salesforce opportunities call the deal "Name" next to a contact/company.
        has_customer = any(t in _PERSON_OR_ACCOUNT or (t == "name" and k != "name") for _, k, t, _ in proposed)
        if has_customer:
            proposed = [(h, k, "lead_title" if k == "name" and k not in explicit else t, r) for h, k, t, r in proposed]
    chosen: list[Column] = []
    taken: set[str] = set()
    for index, (text, _, target, recognised) in enumerate(proposed):
        if target not in (CUSTOM, IGNORE) and target not in MULTI:
            if target in taken:
                target, recognised = CUSTOM, False  # a second column for a one-value field is kept
            else:
                taken.add(target)
        chosen.append(Column(index, text, target, recognised))
    return ColumnMap(tuple(chosen))
