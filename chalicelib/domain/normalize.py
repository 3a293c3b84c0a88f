"""Normalisation of the contact data customers give us, so that matching works on meaning.

Phones become E.164, e-mails are trimmed and case-folded, and names are folded the way Arabic
readers expect a search to behave (hamza forms of alef, teh marbuta, alef maksura, tatweel and
diacritics do not stop a match).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Arabic-Indic (U+0660..) and Extended/Persian (U+06F0..) digits read as ASCII digits.
_DIGITS = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
_DIGITS.update({ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")})

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Arabic letter folding for search keys.
_ARABIC_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ؤ": "و",
        "ئ": "ي",
        "ـ": None,  # tatweel
    }
)
_SPACES = re.compile(r"\s+")


def to_ascii_digits(text: str) -> str:
    return text.translate(_DIGITS)


_CACHED_PHONE_LENGTH = 64  # longer text is never a phone worth remembering (and may be large)


def normalize_phone(raw: str, default_country: str) -> str | None:
    """E.164 form of ``raw``, reading local numbers in ``default_country``; None if not a phone.

    Remembered for short text: parsing is the costliest step of a CSV row, and a row's phone is
    checked when it is read and again when the account is built from it."""
    if len(raw) <= _CACHED_PHONE_LENGTH:
        return _cached_phone(raw, default_country)
    return _parse_phone(raw, default_country)


@lru_cache(maxsize=1024)
def _cached_phone(raw: str, default_country: str) -> str | None:
    return _parse_phone(raw, default_country)


def _parse_phone(raw: str, default_country: str) -> str | None:
    text = to_ascii_digits(raw).strip()
    if not text:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    import phonenumbers  # here, not at import: its metadata costs every cold start, phones only some requests

    try:
        number = phonenumbers.parse(text, default_country.upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(text: str) -> bool:
    digits = re.sub(r"[\s()+\-.]", "", to_ascii_digits(text))
    return len(digits) >= 6 and digits.isdigit()


def normalize_email(raw: str) -> str | None:
    text = unicodedata.normalize("NFKC", raw).strip().casefold()
    if not _EMAIL.match(text):
        return None
    return text


def clean_name(raw: str) -> str:
    """A display name: NFC, control characters dropped, single spaces, trimmed.

    Letters (and Arabic diacritics) are kept exactly as given.
    """
    text = unicodedata.normalize("NFC", raw)
    if not text.isprintable():  # printable text has no control character (Cc) to drop
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch.isspace())
    return _SPACES.sub(" ", text).strip()


_CACHED_NAME_LENGTH = 256  # longer text is no name worth remembering (and may be large)


def fold_name(text: str) -> str:
    """Search key for a name: case-folded, diacritics removed, Arabic letter variants folded.

    Remembered for short text: an imported row's name is folded when the row is read (to group
    rows) and again when its account's search keys are written."""
    if len(text) <= _CACHED_NAME_LENGTH:
        return _cached_fold(text)
    return _fold(text)


@lru_cache(maxsize=2048)
def _cached_fold(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    # Mn covers Latin accents and Arabic harakat (fatha, damma, kasra, shadda, sukun, tanwin ...).
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    folded = unicodedata.normalize("NFC", stripped).translate(_ARABIC_FOLD).casefold()
    folded = re.sub(r"[^\w\s]", " ", folded)
    return _SPACES.sub(" ", folded).strip()


def name_search_keys(name: str) -> list[str]:
    """Every word-aligned suffix of the folded name, so a prefix search finds any word in it.

    "محمد أحمد علي" is indexed as "محمد احمد علي", "احمد علي" and "علي".
    """
    words = fold_name(name).split(" ")
    keys = [" ".join(words[i:]) for i in range(len(words)) if words[i]]
    return list(dict.fromkeys(keys))
