"""Reading CSV files as people export them: any common encoding, delimiter and line ending.

The encoding is detected by charset-normalizer on a sample of whole lines (it also recognises
byte-order marks); the delimiter is the candidate that splits the first lines most consistently.
Records are then streamed: physical lines are cut at the encoded newline (aligned to the code
unit, so UTF-16 works), decoded one by one and fed to ``csv.reader``. Each record carries the
byte offset where it ends, so an interrupted import resumes exactly at a record boundary.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import MalformedRequest

SAMPLE_BYTES = 512 * 1024
DELIMITERS = (",", ";", "\t", "|")
MAX_LINES_PER_RECORD = 500  # a quoted field spanning more lines than this is a stray quote
FIELD_LIMIT = 1024 * 1024

csv.field_size_limit(FIELD_LIMIT)

# charset-normalizer names -> the codec that decodes the data after the BOM.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf_8"),
    (codecs.BOM_UTF32_LE, "utf_32_le"),
    (codecs.BOM_UTF32_BE, "utf_32_be"),
    (codecs.BOM_UTF16_LE, "utf_16_le"),
    (codecs.BOM_UTF16_BE, "utf_16_be"),
)


@dataclass(frozen=True)
class CsvFormat:
    """How a file is written; stored with an import job so every chunk reads it the same way."""

    encoding: str  # codec for the bytes after the BOM
    bom_length: int
    delimiter: str
    newline: str  # "\n" (also covers "\r\n") or "\r" for old Mac files

    @property
    def newline_bytes(self) -> bytes:
        return self.newline.encode(self.encoding)

    def as_dict(self) -> dict[str, str | int]:
        return {
            "encoding": self.encoding,
            "bom_length": self.bom_length,
            "delimiter": self.delimiter,
            "newline": self.newline,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> CsvFormat:
        return cls(str(data["encoding"]), int(str(data["bom_length"])), str(data["delimiter"]), str(data["newline"]))


def head_sample(data: bytes, *, complete: bool) -> bytes:
    """The part of ``data`` to detect from: all of it, or whole lines of a file's first bytes."""
    if complete:
        return data
    cut = data.rfind(b"\n")
    if cut <= 0:
        return data
    end = cut + 1
    if end % 2 == 1 and data[end : end + 1] == b"\x00":  # UTF-16LE "\n" is 0A 00
        end += 1
    return data[:end]


# What ``?encoding=`` may name: the Unicode forms and the code pages spreadsheets and CRMs write.
ENCODINGS = frozenset(
    {"utf_8", "utf_16", "utf_16_le", "utf_16_be"}
    | {f"cp{n}" for n in range(1250, 1259)}
    | {f"iso8859_{n}" for n in (*range(1, 11), 13, 14, 15, 16)}
    | {"cp437", "cp720", "cp850", "cp852", "cp864", "mac_roman", "koi8_r"}
)


def encoding_name(name: str) -> str:
    """The codec a file's declared encoding names ("windows-1250", "UTF-16LE", "latin1", ...);
    ValueError for anything that is not one of ``ENCODINGS``."""
    try:
        codec = codecs.lookup(name.strip()).name.replace("-", "_")
    except LookupError:
        codec = ""
    codec = {"ascii": "utf_8", "utf_8_sig": "utf_8"}.get(codec, codec)
    if codec not in ENCODINGS:
        raise ValueError("must be a text encoding such as utf-8, utf-16, windows-1256 or windows-1250")
    return codec


def _best_match(sample: bytes, cp_isolation: list[str] | None = None) -> Any:
    """charset-normalizer's best reading, imported here: it costs every cold start at import."""
    from charset_normalizer import from_bytes

    return from_bytes(sample, cp_isolation=cp_isolation).best()


def detect_format(sample: bytes, encoding: str | None = None) -> CsvFormat:
    """Encoding (charset-normalizer, unless ``encoding`` says it), BOM, newline and delimiter of a
    file from its first lines."""
    if not sample.strip():
        raise MalformedRequest("The CSV file is empty.")
    if encoding:
        return _with_encoding(sample, encoding)
    match = _best_match(sample)
    if match is None:
        raise MalformedRequest("The file is not text in an encoding we can read; export it as CSV.")
    encoding = codecs.lookup(match.encoding).name.replace("-", "_")
    if not match.bom and encoding not in ("ascii", "cp1256") and not encoding.startswith("utf"):
        encoding = _prefer_arabic_windows(sample, match.chaos) or encoding
    if not match.bom and encoding in _WESTERN_LOOKALIKES:
        encoding = _prefer_western_windows(sample, match.chaos) or encoding
    bom_length = 0
    if match.bom:
        # The library found a byte-order mark; which one it is also fixes the byte order.
        for bom, codec in _BOMS:
            if sample.startswith(bom):
                encoding, bom_length = codec, len(bom)
                break
    if encoding in ("ascii", "utf_8_sig"):
        encoding = "utf_8"  # an ASCII head may be followed by UTF-8 further down
    if encoding in ("utf_16", "utf_32"):  # BOM-less UTF-16 reported generically: assume LE (Windows)
        encoding += "_le"
    return _layout(sample, encoding, bom_length)


def _with_encoding(sample: bytes, encoding: str) -> CsvFormat:
    """The format of a file whose encoding the importer named; a BOM still fixes UTF-16's byte order."""
    for bom, codec in _BOMS:
        if sample.startswith(bom) and codec.startswith(encoding):
            return _layout(sample, codec, len(bom))
    return _layout(sample, "utf_16_le" if encoding == "utf_16" else encoding, 0)


def _layout(sample: bytes, encoding: str, bom_length: int) -> CsvFormat:
    text = sample[bom_length:].decode(encoding, errors="replace")
    newline = "\n" if "\n" in text else ("\r" if "\r" in text else "\n")
    return CsvFormat(encoding, bom_length, _sniff_delimiter(text, newline), newline)


def _prefer_arabic_windows(sample: bytes, chaos: float) -> str | None:
    """Windows-1256 when it reads ``sample`` as Arabic as cleanly as the detected code page.

    Excel on an Arabic Windows saves CSV as Windows-1256, but on a short file charset-normalizer
    ranks code pages that decode the same bytes equally (Windows-1255, Hebrew, often comes first).
    """
    arabic = _best_match(sample, cp_isolation=["cp1256"])
    if arabic is None or arabic.chaos > chaos:
        return None
    wide = [c for c in str(arabic) if ord(c) > 127]
    letters = sum(1 for c in wide if "\u0621" <= c <= "\u064a")
    return "cp1256" if wide and letters * 2 >= len(wide) else None


# Latin code pages that read a Windows-1252 file without a single odd character (the library's
# "chaos" is the same) while turning "Genève" into "Genčve" or "º" into "ş". Turkish (cp1254) and
# the non-Latin code pages are not in it: their letters are the point.
_WESTERN_LOOKALIKES = frozenset(
    {
        "cp1250", "cp1257", "cp1258", "cp775", "cp852", "hp_roman8", "iso8859_1", "iso8859_2", "iso8859_4",
        "iso8859_10", "iso8859_13", "iso8859_15", "iso8859_16", "mac_iceland", "mac_latin2", "mac_roman",
    }
)  # fmt: skip


def _prefer_western_windows(sample: bytes, chaos: float) -> str | None:
    """Windows-1252 when it reads ``sample`` as cleanly as the Latin code page detected.

    On files whose only non-ASCII letters are é, è, ñ, ü, º and the like, charset-normalizer
    cannot tell Windows-1252 from its Central European and Baltic look-alikes and often ranks
    Windows-1250 first. Windows-1252 is what Excel writes in Western Europe, the Americas and
    the French-speaking Maghreb, so it wins a tie; a Windows-1250 file it cannot read cleanly
    (Polish ł, ś, ź) keeps its code page. Czech or Hungarian files whose letters all exist in
    Windows-1252 lose the tie: ``?encoding=cp1250`` says what the file is.
    """
    western = _best_match(sample, cp_isolation=["cp1252"])
    return "cp1252" if western is not None and western.chaos <= chaos else None


def _sniff_delimiter(text: str, newline: str) -> str:
    lines = text.split(newline)[:50]
    head = newline.join(lines)
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(head, newline=""), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(1 for r in rows if len(r) == width) / len(rows)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass(frozen=True)
class Record:
    """One CSV record. ``fields`` is None when the record could not be parsed (``problem`` says why)."""

    fields: list[str] | None
    end_offset: int  # absolute byte offset just after the record
    problem: str = ""

    @property
    def blank(self) -> bool:
        return self.fields is not None and not any(f.strip() for f in self.fields)


def _lines(chunks: Iterable[bytes], newline: bytes, start: int) -> Iterator[tuple[bytes, int]]:
    """Physical lines (with their newline) and the absolute offset after each."""
    unit = len(newline)
    buffer = b""
    base = start  # absolute offset of buffer[0]
    for chunk in chunks:
        if not chunk:
            continue
        buffer = buffer + bytes(chunk) if buffer else bytes(chunk)
        pos = 0
        while True:
            idx = buffer.find(newline, pos)
            while idx != -1 and (base + idx) % unit:
                idx = buffer.find(newline, idx + 1)
            if idx == -1:
                break
            end = idx + unit
            yield buffer[pos:end], base + end
            pos = end
        buffer = buffer[pos:]
        base += pos
    if buffer:
        yield buffer, base + len(buffer)


def read_records(chunks: Iterable[bytes], fmt: CsvFormat, *, start: int = 0) -> Iterator[Record]:
    """Stream the records of a file whose bytes from offset ``start`` are ``chunks``.

    Quoted fields may span lines. A record that never closes its quote (or runs past
    ``MAX_LINES_PER_RECORD`` lines, or whose quote is closed by a later row's quote) is reported
    as unparsable and reading restarts on the line after its first one, so one stray quote costs
    one row, not the rest of the file.
    """
    if start == 0 and fmt.bom_length:
        chunks = _skip(chunks, fmt.bom_length)
        start = fmt.bom_length
    source = (
        (raw.decode(fmt.encoding, errors="replace"), end) for raw, end in _lines(chunks, fmt.newline_bytes, start)
    )
    if fmt.newline == "\r":
        source = ((text.replace("\r", "\n"), end) for text, end in source)
    pending: deque[tuple[str, int]] = deque()
    exhausted: list[bool] = []
    lenient = False
    while True:
        consumed: list[tuple[str, int]] = []

        def feed(consumed: list[tuple[str, int]] = consumed) -> Iterator[str]:
            while True:
                if pending:
                    item = pending.popleft()
                else:
                    nxt = next(source, None)
                    if nxt is None:
                        exhausted.append(True)
                        return
                    item = nxt
                consumed.append(item)
                if len(consumed) > MAX_LINES_PER_RECORD:
                    raise _Runaway(f"a quoted field runs over more than {MAX_LINES_PER_RECORD} lines")
                yield item[0]

        # Strict first, so an unclosed quote is noticed; a record with dirt such as "ab"c is
        # then read once more leniently, as Excel would show it.
        reader = csv.reader(feed(), delimiter=fmt.delimiter, strict=not lenient)
        try:
            for fields in reader:
                end = consumed[-1][1]
                consumed.clear()
                yield Record(fields, end)
                if lenient:
                    lenient = False
                    break
            else:
                return
        except csv.Error as error:
            if not consumed:
                return
            # Only dirt on the record's first line is read leniently: an error on a later line
            # means an opening quote was "closed" by another row's quote, and a lenient read
            # would swallow every row in between into one field.
            if not lenient and not exhausted and len(consumed) == 1 and not isinstance(error, _Runaway):
                pending.extendleft(reversed(consumed))
                lenient = True
                continue
            lenient = False
            first = consumed[0]
            pending.extendleft(reversed(consumed[1:]))
            yield Record(None, first[1], f"the row cannot be read as CSV ({error}); check its quotes")


class _Runaway(csv.Error):
    pass


def _skip(chunks: Iterable[bytes], count: int) -> Iterator[bytes]:
    for chunk in chunks:
        if count:
            taken = min(count, len(chunk))
            chunk = chunk[taken:]
            count -= taken
        if chunk:
            yield chunk
