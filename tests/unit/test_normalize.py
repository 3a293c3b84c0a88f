import re
import string
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chalicelib.domain.accounts import normalize_contacts
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.normalize import (
    clean_name,
    fold_name,
    name_search_keys,
    normalize_email,
    normalize_phone,
    to_ascii_digits,
)
from chalicelib.domain.order_risk import address_key, normalize_address_text


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("0501234567", "SA", "+966501234567"),
        ("٠٥٠١٢٣٤٥٦٧", "SA", "+966501234567"),  # Arabic-Indic digits
        ("۰۵۰۱۲۳۴۵۶۷", "SA", "+966501234567"),  # Persian digits
        ("+966 50 123 4567", "EG", "+966501234567"),  # explicit country code wins
        ("00966501234567", "EG", "+966501234567"),  # international 00 prefix
        ("01001234567", "EG", "+201001234567"),
        ("050-123-4567", "AE", "+971501234567"),
        ("(202) 555-0143", "US", "+12025550143"),
    ],
)
def test_phones_become_e164(raw, country, expected):
    assert normalize_phone(raw, country) == expected


@pytest.mark.parametrize("raw", ["", "abc", "12", "0000000000000000000", "+999 123"])
def test_non_phones_are_rejected(raw):
    assert normalize_phone(raw, "SA") is None


def test_emails_are_trimmed_and_casefolded():
    assert normalize_email("  Sara.Ali@Example.COM ") == "sara.ali@example.com"
    assert normalize_email("not-an-email") is None
    assert normalize_email("a@b") is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("أحمد", "احمد"),
        ("إيمان", "ايمان"),
        ("آمنة", "امنه"),  # alef madda and teh marbuta
        ("مصطفى", "مصطفي"),  # alef maksura
        ("مُحَمَّد", "محمد"),  # diacritics
        ("محـــمد", "محمد"),  # tatweel
        ("Émile", "emile"),
    ],
)
def test_arabic_name_folding(a, b):
    assert fold_name(a) == fold_name(b)


def test_search_keys_are_word_aligned_suffixes():
    assert name_search_keys("محمد أحمد علي") == ["محمد احمد علي", "احمد علي", "علي"]
    assert name_search_keys("  Ali   Hassan ") == ["ali hassan", "hassan"]


def test_every_way_of_writing_a_building_number_folds_the_same():
    from chalicelib.domain.order_risk import normalize_address_text

    folded = {normalize_address_text(f"Building {label} 5") for label in ("No", "no.", "Nr", "Number", "رقم", "")}
    assert folded == {"building 5"}  # "No" and "Nr" were "number 5", and folding that again gave "building 5"


# -- properties (hypothesis) ------------------------------------------------------------------

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
COUNTRIES = ["SA", "AE", "EG", "KW", "QA", "BH", "OM", "JO", "MA", "US", "GB", "FR", "IN", "PK"]
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"


def _valid_numbers() -> st.SearchStrategy[tuple[str, object]]:
    """(region, a valid number of it): the example number of a type with its last digits redrawn."""
    import phonenumbers
    from phonenumbers import PhoneNumberType

    def build(region: str, kind: int, tail: int) -> tuple[str, object]:
        example = phonenumbers.example_number_for_type(region, kind)
        assume(example is not None)
        national = str(example.national_number)
        digits = national[:-3] + f"{tail:03d}"[-min(3, len(national)) :] if len(national) > 3 else national
        number = phonenumbers.parse(f"+{example.country_code}{digits}")
        assume(phonenumbers.is_valid_number(number))
        return region, number

    return st.builds(
        build,
        st.sampled_from(COUNTRIES),
        st.sampled_from([PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE]),
        st.integers(0, 999),
    )


@settings(max_examples=150, deadline=None)
@given(raw=st.text(max_size=40), country=st.sampled_from([*COUNTRIES, "ZZ", ""]))
def test_any_text_is_an_e164_phone_or_none_and_e164_is_a_fixed_point(raw, country):
    phone = normalize_phone(raw, country)
    if phone is not None:
        assert E164.fullmatch(phone), phone
        assert all(normalize_phone(phone, other) == phone for other in ("SA", "US", "EG"))


@settings(max_examples=150, deadline=None)
@given(case=_valid_numbers(), style=st.sampled_from(["e164", "international", "national", "00"]), arabic=st.booleans())
def test_a_valid_number_written_any_usual_way_reads_back_as_its_e164(case, style, arabic):
    import phonenumbers
    from phonenumbers import PhoneNumberFormat

    region, number = case
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    written = {
        "e164": e164,
        "international": phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
        "national": phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
        "00": "00" + e164[1:],
    }[style]
    if arabic:
        written = "".join(ARABIC_INDIC[int(c)] if c.isascii() and c.isdigit() else c for c in written)
    assert normalize_phone(written, region) == e164
    assert normalize_phone(e164, "SA") == e164  # read in any other country it stays the same number


# Text with at most three digits of any script and no Latin letters (phonenumbers reads letters
# as the digits of a keypad): never a phone.
GARBAGE = st.text(
    st.characters(blacklist_categories=("Nd", "Cs"), blacklist_characters=string.ascii_letters),
    max_size=30,
).flatmap(lambda text: st.sampled_from(["", "1", "12", "123"]).map(lambda digits: text + digits))


@settings(max_examples=150, deadline=None)
@given(raw=GARBAGE, country=st.sampled_from(COUNTRIES))
def test_garbage_is_not_a_phone_and_the_account_names_it_as_the_reason(raw, country):
    assert normalize_phone(raw, country) is None
    with pytest.raises(ValidationFailed) as refused:
        normalize_contacts([], ["0501234567", raw], "SA")
    (error,) = refused.value.errors
    assert error.field == "phones[1]" and repr(raw) in error.message and "not a valid phone number" in error.message


# -- names ------------------------------------------------------------------------------------

ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
HAMZA_ALEF = "أإآٱ"
HARAKAT = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"
LATIN = "abcdefghijklmnopqrstuvwxyzàáâäçèéêëìíîïñòóôöùúûüý"
WORDS = st.text(st.sampled_from(ARABIC_LETTERS + "ةى" + LATIN), min_size=1, max_size=8)
NAMES = st.lists(WORDS, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_name_folding_and_cleaning_are_idempotent_on_any_text(text):
    assert fold_name(fold_name(text)) == fold_name(text)
    assert clean_name(clean_name(text)) == clean_name(text)
    keys = name_search_keys(text)
    assert all(fold_name(text).endswith(key) for key in keys)
    assert keys[:1] == ([fold_name(text)] if fold_name(text) else [])


def _clean_name_reference(raw: str) -> str:
    """``clean_name`` before its fast path for printable text: every character's category read."""
    text = "".join(ch for ch in unicodedata.normalize("NFC", raw) if unicodedata.category(ch) != "Cc" or ch.isspace())
    return re.sub(r"\s+", " ", text).strip()


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40) | st.text(alphabet="ab \t\n\r\x00\x07\x1f\x7f\x85\xa0\u2028\u0301e", max_size=20))
def test_cleaning_and_folding_names_fast_equals_the_character_by_character_way(text):
    assert clean_name(text) == _clean_name_reference(text)
    assert fold_name(text) == fold_name(text + " " * 300).strip()  # remembered (short) == not (long)


@st.composite
def _arabic_spellings(draw: st.DrawFn) -> tuple[str, str]:
    """An Arabic name and the same name as people also type it: hamza on or off the alef, teh
    marbuta or heh, alef maksura or yeh, tatweel, harakat."""
    plain = draw(st.lists(st.text(st.sampled_from(ARABIC_LETTERS), min_size=2, max_size=7), min_size=1, max_size=3))
    variant = []
    for word in plain:
        letters = []
        for i, letter in enumerate(word):
            if letter == "ا" and draw(st.booleans()):
                letter = draw(st.sampled_from(HAMZA_ALEF))
            elif letter == "ه" and i == len(word) - 1 and draw(st.booleans()):
                letter = "ة"
            elif letter == "ي" and i == len(word) - 1 and draw(st.booleans()):
                letter = "ى"
            letters.append(letter)
            if draw(st.booleans()):
                letters.append(draw(st.sampled_from(HARAKAT)))
            if i < len(word) - 1 and draw(st.integers(0, 5)) == 0:
                letters.append("ـ")  # tatweel
        variant.append("".join(letters))
    return " ".join(plain), " ".join(variant)


@settings(max_examples=200, deadline=None)
@given(pair=_arabic_spellings())
def test_arabic_spellings_of_one_name_fold_equal(pair):
    plain, variant = pair
    assert fold_name(variant) == fold_name(plain)
    assert name_search_keys(variant) == name_search_keys(plain)


@settings(max_examples=200, deadline=None)
@given(name=NAMES, marks=st.lists(st.sampled_from("\u0300\u0301\u0302\u0308\u0327" + HARAKAT), max_size=5))
def test_name_folding_ignores_case_and_diacritics(name, marks):
    assert fold_name(name.upper()) == fold_name(name) == fold_name(name.title())
    marked = "".join(ch + (marks[i % len(marks)] if marks and ch != " " else "") for i, ch in enumerate(name))
    assert fold_name(marked) == fold_name(name)


# -- delivery addresses -----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_address_folding_is_idempotent(text):
    once = normalize_address_text(text)
    assert normalize_address_text(once) == once


@settings(max_examples=200, deadline=None)
@given(
    pair=_arabic_spellings(),
    number=st.integers(1, 999),
    street=st.sampled_from(["شارع", "ش.", "ش"]),
    building=st.sampled_from(["عمارة", "عماره", "مبنى", "بناية"]),
    label=st.sampled_from(["رقم ", "No ", "no. ", "Nr ", "number ", ""]),
    arabic_digits=st.booleans(),
)
def test_arabic_variants_of_one_address_fold_equal(pair, number, street, building, label, arabic_digits):
    plain, variant = pair
    digits = str(number)
    written = to_ascii_digits(digits) if not arabic_digits else "".join(ARABIC_INDIC[int(c)] for c in digits)
    one = f"{street} {plain}، {building} {label}{written}"
    other = f"شارع {variant} - مبنى {digits}"
    assert normalize_address_text(one) == normalize_address_text(other)
    assert address_key({"line1": one, "city": "الرياض", "country": "sa"}) == address_key(
        {"line1": other, "city": "الرياض", "country": "SA"}
    )
