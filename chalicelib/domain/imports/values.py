"""Reading the values of real exports: placeholders, dates, amounts whose separators are decided per
column, and the file-level checks made on the header and the first rows.

- Exports write ``Select``, ``N/A``, ``-``, ``none``, ``null``, ``#N/A`` for "no value": they are empty.
- An amount column is read with one decimal separator for the whole column, decided from its first
  rows: ``12.000`` is twelve thousand where ``1.234,56`` appears in the same column.
- A date column of ``dd/mm/yyyy`` or ``mm/dd/yyyy`` values is read in one order, decided from its
  first rows (a first part over 12 means day first); ISO dates, ``15 Apr, 2021 00:03:00`` (Zoho) and
  Salesforce's ``2006-04-15T03:23:15.000Z`` need no decision. Times without a zone are UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.imports.columns import DATES, ID_NAME, ColumnMap, ImportType, header_key, map_columns
from chalicelib.domain.normalize import to_ascii_digits

PLACEHOLDERS = frozenset({"select", "n/a", "-", "--", "none", "null", "#n/a", "(none)", "(blank)", "undefined"})


def is_placeholder(value: str) -> bool:
    return value.strip().casefold() in PLACEHOLDERS


# -- amounts ----------------------------------------------------------------------------------


def _digits_and_separators(raw: str) -> str:
    return re.sub(r"[^\d.,]", "", to_ascii_digits(raw).replace("\u066b", ".").replace("\u066c", ","))


def decimal_separator(values: Iterable[str]) -> str:
    """``","`` or ``"."``: the decimal separator the values of one column agree on (``"."`` when
    none of them tells, as in ``12.000`` alone)."""
    comma = dot = 0
    for raw in values:
        text = _digits_and_separators(raw)
        if "," in text and "." in text:
            comma, dot = (comma + 1, dot) if text.rfind(",") > text.rfind(".") else (comma, dot + 1)
        elif "," in text:
            tail = text.rpartition(",")[2]
            if text.count(",") > 1:
                dot += 1  # 1,234,567: commas group thousands
            elif len(tail) != 3:
                comma += 1
        elif "." in text:
            tail = text.rpartition(".")[2]
            if text.count(".") > 1:
                comma += 1  # 1.234.567: dots group thousands
            elif len(tail) != 3:
                dot += 1
    return "," if comma > dot else "."


# -- dates ------------------------------------------------------------------------------------

_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_TIME = r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([ap]\.?m\.?)?)?"
_NUMERIC = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})" + _TIME + r"\s*$", re.IGNORECASE)
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})[ \-]([a-z]{3,9})\.?,?[ \-](\d{4})" + _TIME + r"\s*$", re.IGNORECASE)
_MONTH_NAME_DAY = re.compile(r"([a-z]{3,9})\.? (\d{1,2}),? (\d{4})" + _TIME + r"\s*$", re.IGNORECASE)

DayFirst = bool | None  # None: not decided (ambiguous values are then read day first)


def day_first(values: Iterable[str]) -> DayFirst:
    """Whether a column's ``a/b/yyyy`` dates put the day first, from the values that tell."""
    for raw in values:
        match = _NUMERIC.match(to_ascii_digits(raw).strip())
        if not match or len(match.group(1)) == 4:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12 >= second:
            return True
        if second > 12 >= first:
            return False
    return None


def parse_date(raw: str, *, day_first_: DayFirst = None) -> datetime:
    """A date or date-time as the exports above write it, in UTC (ValueError if it is none)."""
    text = to_ascii_digits(raw).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        parsed = _parse_written(text, day_first_)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _parse_written(text: str, day_first_: DayFirst) -> datetime:
    match = _NUMERIC.match(text)
    if match:
        a, b, c = match.group(1), match.group(2), match.group(3)
        if len(a) == 4:
            year, month, day = int(a), int(b), int(c)
        else:
            year = int(c) + (2000 if len(c) == 2 else 0)
            day, month = (int(a), int(b)) if day_first_ is not False else (int(b), int(a))
            if day_first_ is None and month > 12:
                day, month = month, day
        return _at(year, month, day, match.groups()[3:], text)
    match = _DAY_MONTH_NAME.match(text)
    if match and match.group(2).casefold() in _MONTHS:
        return _at(
            int(match.group(3)), _MONTHS[match.group(2).casefold()], int(match.group(1)), match.groups()[3:], text
        )
    match = _MONTH_NAME_DAY.match(text)
    if match and match.group(1).casefold() in _MONTHS:
        return _at(
            int(match.group(3)), _MONTHS[match.group(1).casefold()], int(match.group(2)), match.groups()[3:], text
        )
    raise ValueError(f"{text!r} is not a date")


def _at(year: int, month: int, day: int, time: tuple[str | None, ...], text: str) -> datetime:
    hour, minute, second, meridiem = time
    h = int(hour or 0)
    if meridiem:
        if h > 12:
            raise ValueError(f"{text!r} is not a date")
        h = h % 12 + (12 if meridiem.casefold().startswith("p") else 0)
    try:
        return datetime(year, month, day, h, int(minute or 0), int(second or 0))
    except ValueError:
        raise ValueError(f"{text!r} is not a date")


# -- the file's first rows --------------------------------------------------------------------

_ID_LIKE = re.compile(r"(id|number|no|code|ref|reference|key)$")


@dataclass(frozen=True)
class NameSource:
    """A column that identifies each row when no column names its customer."""

    header: str
    example: str


def identifying_column(header: list[str], rows: list[list[str]]) -> NameSource | None:
    """The first column whose header reads like an identifier (``Prospect ID``, ``Lead Number``,
    ``seller_id``, ``mql_id``) and whose first rows all hold a value, each different."""
    for index, text in enumerate(header):
        if not _ID_LIKE.search(header_key(text)):
            continue
        values = [row[index].strip() if index < len(row) else "" for row in rows]
        if values and all(v and not is_placeholder(v) for v in values) and len(set(values)) == len(values):
            return NameSource(text.strip(), values[0])
    return None


@dataclass(frozen=True)
class ColumnPlan:
    """What the header and the first rows decide for the whole file."""

    columns: ColumnMap
    mapping: dict[str, str]  # the caller's mapping, plus the identifying column chosen to name customers
    notes: list[str]  # for the job's warnings (row 1): what was decided and how to change it


def plan_columns(
    header: list[str], import_type: ImportType, mapping: dict[str, str], rows: list[list[str]]
) -> ColumnPlan:
    """Map the columns, decide per column how amounts and dates are written, and make sure rows
    can have a customer: without a column that names one, an identifying column names them
    (``Prospect ID 7927…``), and without that the file is refused with the columns it could map."""
    columns = map_columns(header, import_type, mapping)
    notes: list[str] = []
    if not columns.names_customer():
        found = identifying_column(header, rows)
        if found is None:
            listed = ", ".join(h for h in header if h.strip())[:300]
            first = next((h for h in header if h.strip()), "Name")
            raise ValidationFailed(
                [
                    FieldError(
                        "mapping",
                        f'no column names a customer; map one with ?mapping={{"{first}": "name"}} '
                        f"(or email, phone, company, {ID_NAME}). Columns: {listed}",
                    )
                ],
                detail="No column of the file names or identifies a customer, so every row would be rejected.",
            )
        mapping = {**mapping, found.header: ID_NAME}
        columns = map_columns(header, import_type, mapping)
        notes.append(
            f'no column names the customer: each is named from "{found.header}" (e.g. "{found.header} '
            f'{found.example}"); send ?mapping= to choose another column'
        )
    hints: dict[int, str] = {}
    for column in columns.columns:
        values = [row[column.index] for row in rows if column.index < len(row) and row[column.index].strip()]
        if column.field == "value":
            hints[column.index] = decimal_separator(values)
        elif column.field in DATES:
            order = day_first(values)
            if order is not None:
                hints[column.index] = "day_first" if order else "month_first"
    columns = columns.with_hints(hints)
    dated = [f"{c.header} ({c.field})" for c in columns.columns if c.field in DATES]
    if dated:
        notes.append("dates read from " + ", ".join(dated))
    return ColumnPlan(columns, mapping, notes)
