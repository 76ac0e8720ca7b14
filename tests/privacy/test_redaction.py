import pytest

from frontdesk.privacy.redaction import (
    CustomPattern,
    compile_custom_patterns,
    extract_contact,
    iban_ok,
    luhn_ok,
    redact,
)

# --- redact ---------------------------------------------------------------------------------


def test_clean_text_is_left_alone() -> None:
    result = redact("What are your opening hours on Sunday? Version 1.2 is fine, thanks!")
    assert result.text == "What are your opening hours on Sunday? Version 1.2 is fine, thanks!"
    assert result.findings == ()
    assert not result.has_pii


def test_email_is_replaced_and_reported_with_its_span() -> None:
    text = "Write to Jo.Doe+crm@Example.co.uk. Thanks"
    result = redact(text)
    assert result.text == "Write to [EMAIL]. Thanks"
    assert result.has_pii
    (finding,) = result.findings
    assert finding.kind == "email"
    assert finding.value == "Jo.Doe+crm@Example.co.uk"
    assert text[finding.start : finding.end] == finding.value


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("call me at (415) 555-2671 today", None, "call me at [PHONE] today"),
        ("call me at 415.555.2671", "US", "call me at [PHONE]"),
        ("mon numéro: 06 12 34 56 78", "FR", "mon numéro: [PHONE]"),
        ("from abroad: +44 20 7946 0958!", "FR", "from abroad: [PHONE]!"),
        ("Rufen Sie +49 30 901820 an", None, "Rufen Sie [PHONE] an"),
    ],
)
def test_valid_phone_numbers_are_replaced(text: str, region: str | None, expected: str) -> None:
    assert redact(text, default_region=region).text == expected


def test_region_decides_national_numbers() -> None:
    # A French national number is not a valid US number, and vice versa.
    assert not redact("06 12 34 56 78").has_pii
    assert redact("06 12 34 56 78", default_region="fr").text == "[PHONE]"
    assert not redact("(415) 555-2671", default_region="FR").has_pii


@pytest.mark.parametrize(
    "text",
    [
        "order 123456789 shipped",
        "on 2023-10-12 at 10:30",
        "it costs $1,234,567",
        "call 555-0000",
    ],
)
def test_numbers_that_are_not_valid_phones_stay(text: str) -> None:
    assert redact(text).text == text


@pytest.mark.parametrize(
    "card",
    ["4111 1111 1111 1111", "4111-1111-1111-1111", "5500005555555559", "378282246310005", "4222222222222"],
)
def test_luhn_valid_cards_are_replaced_and_not_reported_as_phones(card: str) -> None:
    result = redact(f"my card is {card}, expires 12/26")
    assert result.text == "my card is [CARD], expires 12/26"
    assert [f.kind for f in result.findings] == ["card"]


def test_digit_runs_failing_luhn_are_not_cards() -> None:
    assert redact("ref 4111 1111 1111 1112").text == "ref 4111 1111 1111 1112"
    assert redact("tracking 12345678901234567890123").text == "tracking 12345678901234567890123"


def test_card_followed_by_other_digits_is_found_on_group_boundaries() -> None:
    assert redact("4111 1111 1111 1111 123").text == "[CARD] 123"


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "GB82 WEST 1234 5698 7654 32",
        "fr1420041010050500013m02606",
    ],
)
def test_valid_ibans_are_replaced(iban: str) -> None:
    result = redact(f"IBAN: {iban}. Thanks")
    assert result.text == "IBAN: [IBAN]. Thanks"
    assert [f.kind for f in result.findings] == ["iban"]


def test_iban_with_wrong_check_digits_is_not_an_iban() -> None:
    assert "[IBAN]" not in redact("IBAN: GB83 WEST 1234 5698 7654 32").text
    assert not iban_ok("GB83WEST12345698765432")
    assert iban_ok("GB82WEST12345698765432")


def test_iban_is_found_after_a_lookalike_word() -> None:
    assert redact("ab12 DE89 3704 0044 0532 0130 00 ok").text == "ab12 [IBAN] ok"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("server 192.168.1.10 is down", "server [IP] is down"),
        ("ping 2001:db8::8a2e:370:7334, please", "ping [IP], please"),
        ("local fe80::1.", "local [IP]."),
        ("mapped ::ffff:192.0.2.1 here", "mapped [IP] here"),
    ],
)
def test_ip_addresses_are_replaced(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize("text", ["999.1.1.1", "version 1.2.3.4.5", "at 12:30:45", "std::cin"])
def test_things_that_look_like_ips_but_are_not_stay(text: str) -> None:
    assert redact(text).text == text


def test_custom_patterns_get_named_placeholders() -> None:
    patterns = [CustomPattern("order_id", r"ORD-\d{6}"), CustomPattern("member", r"(?i)mbr\d{4}")]
    result = redact("Order ORD-123456 for mbr0042 and ORD-12", custom_patterns=patterns)
    assert result.text == "Order [CUSTOM:order_id] for [CUSTOM:member] and ORD-12"
    assert [f.kind for f in result.findings] == ["custom:order_id", "custom:member"]


def test_custom_pattern_spans_count_characters_not_utf8_bytes() -> None:
    # RE2 matches UTF-8 bytes; the spans it reports must still index the Python string
    patterns = [CustomPattern("order_id", r"ORD-\d{6}")]
    result = redact("Café Ünïcødé ORD-123456 — “ORD-654321”", custom_patterns=patterns)
    assert result.text == "Café Ünïcødé [CUSTOM:order_id] — “[CUSTOM:order_id]”"
    assert [(f.value, f.start) for f in result.findings] == [("ORD-123456", 13), ("ORD-654321", 27)]


def test_everything_at_once_keeps_order_and_text_between() -> None:
    text = "Jo (jo@example.com, +1 415 555 2671) paid with 4111111111111111 from 10.0.0.1."
    assert redact(text).text == "Jo ([EMAIL], [PHONE]) paid with [CARD] from [IP]."


def test_overlaps_earliest_then_longest_wins() -> None:
    # The custom pattern starts earlier and swallows the email.
    patterns = [CustomPattern("ticket", r"ticket:\S+")]
    assert redact("ticket:jo@example.com", custom_patterns=patterns).text == "[CUSTOM:ticket]"
    # Same start: the longer match wins over the shorter one.
    patterns = [CustomPattern("short", r"ACC-\d{2}"), CustomPattern("long", r"ACC-\d{6}")]
    assert redact("ACC-123456", custom_patterns=patterns).text == "[CUSTOM:long]"


def test_a_card_is_not_also_a_phone_even_when_the_region_would_allow_it() -> None:
    # This Luhn-valid number is also a valid German phone number.
    result = redact("pay with 4954 6498 1158 7601 please", default_region="DE")
    assert result.text == "pay with [CARD] please"
    assert [f.kind for f in result.findings] == ["card"]
    assert "phone" not in extract_contact("4954649811587601", default_region="DE")


def test_unknown_region_falls_back_to_us() -> None:
    assert redact("(415) 555-2671", default_region="XX").text == "[PHONE]"


# --- tenant patterns --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (CustomPattern("bad", "ORD-(\\d+"), "not a valid regular expression"),
        (CustomPattern("long", "a" * 201), "limit is 200"),
        (CustomPattern("backref", r"(ORD)-\1"), "RE2 syntax"),
        (CustomPattern("lookahead", r"ORD-(?=\d)"), "RE2 syntax"),
        (CustomPattern("lookbehind", r"(?<!x)ORD"), "RE2 syntax"),
        (CustomPattern("possessive", r"(a++)+b"), "RE2 syntax"),
        (CustomPattern("atomic", r"(?>a+)+b"), "RE2 syntax"),
        (CustomPattern("huge", r"[\pL\pN]{100}[\pL\pN]{100}"), "too complex"),
        (CustomPattern("empty", "x?"), "empty string"),
        (CustomPattern("has space", "abc"), "letters, digits"),
    ],
)
def test_invalid_custom_patterns_are_rejected_with_a_reason(pattern: CustomPattern, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_custom_patterns([pattern])
    with pytest.raises(ValueError, match=message):
        redact("anything", custom_patterns=[pattern])


def test_custom_patterns_that_together_cost_too_much_per_character_are_rejected() -> None:
    # \pL is ~1,200 RE2 instructions: RE2 stays linear, but the constant grows with the program
    compile_custom_patterns([CustomPattern(f"p{i}", rf"\pL+-{i:04}") for i in range(16)])
    with pytest.raises(ValueError, match="too complex together"):
        compile_custom_patterns([CustomPattern(f"p{i}", rf"\pL+-{i:04}") for i in range(17)])
    with pytest.raises(ValueError, match="too complex together"):
        compile_custom_patterns([CustomPattern("words", r"[\pL\pN]{3,40}")])


def test_duplicate_custom_pattern_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="used twice"):
        compile_custom_patterns([CustomPattern("x", "a"), CustomPattern("x", "b")])


@pytest.mark.parametrize(
    "pattern", [r"(\d{3}-)+\d{4}", r"ORD-\d+", r"\(a+\)+", r"(?P<id>ORD)-\d+", r"(a+)+$", r"(\w+\s?)*x"]
)
def test_safe_custom_patterns_are_accepted(pattern: str) -> None:
    # RE2 runs nested repeats like (a+)+$ in linear time, so they need not be refused any more
    (compiled,) = compile_custom_patterns([CustomPattern("ok", pattern)])
    assert compiled.name == "ok"


def test_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")


# --- extract_contact --------------------------------------------------------------------------


def test_extracts_email_phone_name_and_company() -> None:
    text = "Hi, I'm Anna Schmidt from Acme Corp. Reach me at Anna@Acme.COM or (415) 555-2671."
    assert extract_contact(text) == {
        "name": "Anna Schmidt",
        "company": "Acme Corp",
        "email": "Anna@acme.com",
        "phone": "+14155552671",
    }


def test_phone_is_given_in_e164_using_the_region() -> None:
    assert extract_contact("06 12 34 56 78", default_region="FR") == {"phone": "+33612345678"}
    assert extract_contact("06 12 34 56 78") == {}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("my name is John Smith", "John Smith"),
        ("My name is Ludwig van Beethoven and I need help", "Ludwig van Beethoven"),
        ("This is Sarah from support", "Sarah"),
        ("I am John, and I need help", "John"),
        ("this is Dr. Smith speaking", "Smith"),
        ("Bonjour, je m'appelle Marie-Claire Dupont.", "Marie-Claire Dupont"),
        ("Hola, me llamo José", "José"),
        ("Hallo, ich heiße Jürgen und habe eine Frage", "Jürgen"),
    ],
)
def test_names_from_introductions(text: str, name: str) -> None:
    assert extract_contact(text).get("name") == name


@pytest.mark.parametrize(
    "text",
    [
        "I'm interested in the pro plan",
        "I'm Interested in the pro plan",
        "I'm Sorry.",
        "This is Great news",
        "this is Unacceptable!",
        "I'm Looking for a plan",
        "I'm French",
        "i'm bob",
        "I'm John's assistant",
        "my name is 42",
    ],
)
def test_no_name_is_guessed_from_ordinary_sentences(text: str) -> None:
    assert "name" not in extract_contact(text)


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("I work at Google as an engineer", "Google"),
        ("I work for Deutsche Bahn, in Berlin", "Deutsche Bahn"),
        ("My company is called Bright Ideas & Co. We sell lamps", "Bright Ideas & Co"),
        ("I'm Tom from the Acme company", "Acme"),
        ("Greetings from Initech Ltd. We need 20 seats", "Initech Ltd"),
        ("je travaille chez Renault", "Renault"),
        ("ich arbeite bei Siemens", "Siemens"),
    ],
)
def test_company_from_explicit_phrases(text: str, company: str) -> None:
    assert extract_contact(text).get("company") == company


@pytest.mark.parametrize("text", ["I work for a bank", "I work from home", "I bought it from Amazon"])
def test_no_company_without_a_clear_phrase(text: str) -> None:
    assert "company" not in extract_contact(text)


def test_nothing_to_extract() -> None:
    assert extract_contact("How much does the pro plan cost?") == {}
