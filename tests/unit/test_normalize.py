import pytest

from chalicelib.domain.normalize import fold_name, name_search_keys, normalize_email, normalize_phone


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
