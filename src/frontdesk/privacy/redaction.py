"""PII redaction with typed placeholders, and contact details pulled from a visitor's message.

Detected: emails, phone numbers (``phonenumbers``, valid numbers only), card numbers
(13-19 digits, Luhn), IBANs (ISO 13616 mod-97), IPv4/IPv6 addresses and tenant patterns (run by RE2, see ``kit.tenant_regex``).
When matches overlap, the earliest-starting, longest one wins. Phones are only sought outside
emails, cards, IBANs and IPs, so a card is never reported as a phone.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import phonenumbers

from frontdesk.kit.tenant_regex import (
    MAX_TOTAL_PROGRAM_SIZE,
    TenantRegex,
    check_total_size,
    compile_tenant_regex,
)

MAX_CUSTOM_PATTERNS = 50
DEFAULT_REGION = "US"


@dataclass(frozen=True)
class Finding:
    """One piece of PII: its kind (``email``, ``custom:<name>`` …), the text and its span."""

    kind: str
    value: str
    start: int
    end: int

    @property
    def placeholder(self) -> str:
        if self.kind.startswith("custom:"):
            return f"[CUSTOM:{self.kind.removeprefix('custom:')}]"
        return f"[{self.kind.upper()}]"


@dataclass(frozen=True)
class Redaction:
    """The redacted text and what was taken out of it (spans refer to the original text)."""

    text: str
    findings: tuple[Finding, ...]

    @property
    def has_pii(self) -> bool:
        return bool(self.findings)


@dataclass(frozen=True)
class CustomPattern:
    """A tenant-defined regex; matches are replaced by ``[CUSTOM:<name>]``."""

    name: str
    pattern: str


@dataclass(frozen=True)
class CompiledPattern:
    name: str
    regex: TenantRegex  # RE2: linear time, whatever the tenant wrote


# --- tenant regexes ----------------------------------------------------------------------

_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")


def _compile_one(p: CustomPattern) -> CompiledPattern:
    if not isinstance(p.name, str) or not _NAME_RE.fullmatch(p.name):
        raise ValueError(f"custom pattern name {p.name!r} must be 1-40 letters, digits, '_' or '-'")
    try:
        return CompiledPattern(p.name, compile_tenant_regex(p.pattern))
    except ValueError as exc:
        raise ValueError(f"custom pattern {p.name!r}: {exc}") from None


@functools.lru_cache(maxsize=256)
def _compile_cached(patterns: tuple[CustomPattern, ...]) -> tuple[CompiledPattern, ...]:
    if len(patterns) > MAX_CUSTOM_PATTERNS:
        raise ValueError(f"{len(patterns)} custom patterns given; the limit is {MAX_CUSTOM_PATTERNS}")
    compiled: list[CompiledPattern] = []
    for p in patterns:
        if any(c.name == p.name for c in compiled):
            raise ValueError(f"custom pattern name {p.name!r} is used twice")
        compiled.append(_compile_one(p))
    check_total_size([c.regex for c in compiled], "the custom patterns")
    return tuple(compiled)


def compile_custom_patterns(patterns: Sequence[CustomPattern]) -> tuple[CompiledPattern, ...]:
    """Validate and compile tenant patterns (cached); raises ``ValueError`` on the first bad one."""
    return _compile_cached(tuple(patterns))


def usable_custom_patterns(patterns: Sequence[CustomPattern]) -> tuple[CustomPattern, ...]:
    """The patterns of a config saved under older rules that still compile (RE2 refuses some
    patterns Python's ``re`` took); the others are left out rather than failing every message."""
    usable: dict[str, CustomPattern] = {}
    size = 0
    for p in patterns[:MAX_CUSTOM_PATTERNS]:
        try:
            compiled = _compile_one(p)
        except ValueError:
            continue
        if p.name not in usable and size + compiled.regex.program_size <= MAX_TOTAL_PROGRAM_SIZE:
            usable[p.name] = p
            size += compiled.regex.program_size
    return tuple(usable.values())


# --- detectors ---------------------------------------------------------------------------

_EMAIL_RE = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,24}(?![\w-])")
_DIGIT_GROUPS_RE = re.compile(r"(?<!\d)\d+(?:[ -]\d+)*")
_DIGIT_RE = re.compile(r"\d+")
_SEPARATORS_RE = re.compile(r"[ -]")
_IBAN_START_RE = re.compile(r"(?<![A-Za-z0-9])(?=([A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}))")
_IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)")
_IPV6_RE = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]*")
_ANY_DIGIT_RE = re.compile(r"\d")

# ISO 13616 registry: country -> IBAN length. Unlisted countries are accepted at 15-34 chars.
_IBAN_LENGTHS = {
    **dict.fromkeys(["NO"], 15),
    **dict.fromkeys(["BE"], 16),
    **dict.fromkeys(["DK", "FI", "FK", "FO", "GL", "NL", "SD"], 18),
    **dict.fromkeys(["MK", "SI"], 19),
    **dict.fromkeys(["AT", "BA", "EE", "KZ", "LT", "LU", "MN", "XK"], 20),
    **dict.fromkeys(["CH", "HR", "LI", "LV"], 21),
    **dict.fromkeys(["BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA"], 22),
    **dict.fromkeys(["AE", "GI", "IL", "IQ", "OM", "SO", "TL"], 23),
    **dict.fromkeys(["AD", "CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG"], 24),
    **dict.fromkeys(["LY", "PT", "ST"], 25),
    **dict.fromkeys(["IS", "TR"], 26),
    **dict.fromkeys(["BI", "DJ", "FR", "GR", "IT", "MC", "MR", "SM"], 27),
    **dict.fromkeys(["AL", "AZ", "BY", "CY", "DO", "GT", "HN", "HU", "LB", "NI", "PL", "SV"], 28),
    **dict.fromkeys(["BR", "EG", "PS", "QA", "UA"], 29),
    **dict.fromkeys(["JO", "KW", "MU", "YE"], 30),
    **dict.fromkeys(["MT", "SC"], 31),
    **dict.fromkeys(["LC"], 32),
    **dict.fromkeys(["RU"], 33),
}


def luhn_ok(digits: str) -> bool:
    """Luhn checksum of a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """ISO 13616 check (length for the country, mod 97 == 1) on a compact, upper-case IBAN."""
    expected = _IBAN_LENGTHS.get(iban[:2])
    if (expected is not None and len(iban) != expected) or not 15 <= len(iban) <= 34:
        return False
    if not iban.isascii() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _emails(text: str) -> Iterator[Finding]:
    for m in _EMAIL_RE.finditer(text):
        yield Finding("email", m.group(), m.start(), m.end())


def _cards(text: str) -> Iterator[Finding]:
    for run in _DIGIT_GROUPS_RE.finditer(text):
        groups = [(m.start() + run.start(), m.end() + run.start()) for m in _DIGIT_RE.finditer(run.group())]
        i = 0
        while i < len(groups):
            ends: list[int] = []  # group indexes j where groups[i..j] hold 13-19 digits
            count = 0
            for j in range(i, len(groups)):
                count += groups[j][1] - groups[j][0]
                if count > 19:
                    break
                if count >= 13:
                    ends.append(j)
            for j in reversed(ends):
                start, end = groups[i][0], groups[j][1]
                if luhn_ok(_SEPARATORS_RE.sub("", text[start:end])):
                    yield Finding("card", text[start:end], start, end)
                    i = j
                    break
            i += 1


def _ibans(text: str) -> Iterator[Finding]:
    taken_until = 0
    for m in _IBAN_START_RE.finditer(text):
        start = m.start()
        if start < taken_until:
            continue
        ends = [start + k + 1 for k, ch in enumerate(m.group(1)) if ch != " "]
        compact = m.group(1).replace(" ", "").upper()
        expected = _IBAN_LENGTHS.get(compact[:2])
        lengths = [expected] if expected else range(min(34, len(compact)), 14, -1)
        for n in lengths:
            end = ends[n - 1] if n <= len(ends) else -1
            if end > 0 and not (end < len(text) and text[end].isalnum()) and iban_ok(compact[:n]):
                taken_until = end
                yield Finding("iban", text[start:end], start, end)
                break


def _ips(text: str) -> Iterator[Finding]:
    for m in _IPV4_RE.finditer(text):
        try:
            ipaddress.IPv4Address(m.group())
        except ValueError:
            continue
        yield Finding("ip", m.group(), m.start(), m.end())
    for m in _IPV6_RE.finditer(text):
        value = m.group().rstrip(".")
        end = m.start() + len(value)
        if not _ANY_DIGIT_RE.search(value) or (
            end < len(text) and (text[end].isalnum() or text[end] in "_:")
        ):
            continue
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            continue
        yield Finding("ip", value, m.start(), end)


def _region(default_region: str | None) -> str:
    region = (default_region or DEFAULT_REGION).upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else DEFAULT_REGION


def _phones(text: str, region: str) -> Iterator[Finding]:
    if _ANY_DIGIT_RE.search(text) is None:
        return
    for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        yield Finding("phone", m.raw_string, m.start, m.end)


def _customs(text: str, patterns: tuple[CompiledPattern, ...]) -> Iterator[Finding]:
    for p in patterns:
        for start, end in p.regex.spans(text):
            if end > start:
                yield Finding(f"custom:{p.name}", text[start:end], start, end)


_PRIORITY = {"email": 0, "iban": 1, "card": 2, "ip": 3, "phone": 5}


def _masked(text: str, spans: list[Finding]) -> str:
    """``text`` with the given spans blanked out (same length), so phones are not sought in them."""
    if not spans:
        return text
    chars = list(text)
    for f in spans:
        chars[f.start : f.end] = "_" * (f.end - f.start)
    return "".join(chars)


def _resolve(candidates: list[Finding]) -> list[Finding]:
    """Keep the earliest-starting, longest matches; on equal spans, the more specific kind."""
    candidates.sort(key=lambda f: (f.start, f.start - f.end, _PRIORITY.get(f.kind, 4)))
    kept: list[Finding] = []
    last_end = 0
    for f in candidates:
        if f.start >= last_end:
            kept.append(f)
            last_end = f.end
    return kept


def find_pii(
    text: str, *, custom_patterns: Sequence[CustomPattern] = (), default_region: str | None = None
) -> list[Finding]:
    """Non-overlapping PII findings in ``text``, in order of position."""
    compiled = compile_custom_patterns(custom_patterns)
    structured = [*_emails(text), *_cards(text), *_ibans(text), *_ips(text)]
    phones = _phones(_masked(text, structured), _region(default_region))
    return _resolve([*structured, *phones, *_customs(text, compiled)])


def redact(
    text: str, *, custom_patterns: Sequence[CustomPattern] = (), default_region: str | None = None
) -> Redaction:
    """Replace PII in ``text`` by typed placeholders (``[EMAIL]``, ``[CUSTOM:order_id]`` …).

    Raises ``ValueError`` if a custom pattern is invalid.
    """
    findings = find_pii(text, custom_patterns=custom_patterns, default_region=default_region)
    parts: list[str] = []
    pos = 0
    for f in findings:
        parts += (text[pos : f.start], f.placeholder)
        pos = f.end
    parts.append(text[pos:])
    return Redaction("".join(parts), tuple(findings))


# --- contact extraction --------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NAME_STRONG_RE = re.compile(
    r"\b(?:my name is|my name's|mon nom est|je m['’]appelle|me llamo|mi nombre es|ich hei(?:ß|ss)e|"
    r"mein name ist)[ \t]+",
    re.IGNORECASE,
)
_NAME_WEAK_RE = re.compile(r"\b(?:i['’]m|i am|this is)[ \t]+", re.IGNORECASE)
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_TOKEN_RE = re.compile(r"\S+")
_NAME_END_RE = re.compile(
    r"[ \t]*(?:$|[.,!?;:)\n]|(?:and|from|with|at|here|speaking|calling|by|of)\b)", re.IGNORECASE
)
_TITLES = _words("mr mrs ms miss dr prof mme mlle m sr sra srta herr frau")
_PARTICLES = _words("van von der den de del della di da dos du la le ter bin al")
# Capitalised words that follow "I'm" / "this is" without being names.
_NOT_NAMES = _words(
    """
    a able about afraid also always american an angry annoyed asking at available aware awesome
    awful back bad being british busy calling canadian chinese client confused cool correct crazy
    customer danish disappointed doing done dutch english excellent excited fine free french
    frustrated fun german getting glad going good great happy having hello here hey hi hoping
    horrible how i impossible in indian interested irish it italian japanese just kidding looking
    lost making manager member mexican my new nice no not now ok okay on only our outraged owner
    perfect planning please polish portuguese ready really ridiculous right russian sad satisfied
    serious so sorry spanish still strange stuck sure swedish swiss terrible thank thanks that the
    then there thinking this tired trying turkish unable unacceptable unhappy upset urgent useless
    user very wait we what when where who why with wondering worried writing wrong yes your monday
    tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december
    """
)

_COMPANY_TRIGGER_RE = re.compile(
    r"\b(?:i work (?:at|for|with)|i['’]m working (?:at|for)|(?:my|our) company is(?: called)?|"
    r"(?:my|our) company['’]s name is|company name is|(?:je )?travaille (?:chez|pour)|trabajo (?:en|para)|"
    r"(?:ich )?arbeite (?:bei|für))[ \t]+(?:(?:the|der|die|das|la|le|el)[ \t]+)?",
    re.IGNORECASE,
)
_LEGAL_SUFFIXES = "Inc|Ltd|LLC|LLP|PLC|GmbH|AG|SA|SAS|SARL|SL|SRL|BV|NV|Pty|Corp|Co|Limited|Incorporated"
_CO_TOKEN = r"[A-Z0-9À-ÖØ-Þ][\w&'’.-]*"
_COMPANY_SUFFIX_RE = re.compile(
    rf"\b(?i:at|from|with|for)[ \t]+((?:{_CO_TOKEN}[ \t]+){{1,4}}(?:{_LEGAL_SUFFIXES})\b\.?)"
)
_COMPANY_NOUN_RE = re.compile(
    rf"\b(?i:from)[ \t]+(?:(?i:the)[ \t]+)?((?:{_CO_TOKEN}[ \t]+){{1,4}})(?i:company|team)\b"
)
_COMPANY_TOKEN_RE = re.compile(r"[^\s,;!?()]+")


def _is_capitalised(word: str) -> bool:
    return len(word) > 1 and word[0].isupper() and any(ch.islower() for ch in word)


def _name_after(text: str, pos: int, *, strict_end: bool) -> str | None:
    """Up to four capitalised words (particles allowed inside) starting at ``pos``."""
    words: list[str] = []
    pending: list[str] = []  # particles ("van", "de") waiting for a capitalised word
    prev = end = pos
    for m in _TOKEN_RE.finditer(text, pos):
        if text[prev : m.start()].strip(" \t"):
            break
        prev = m.end()
        raw = m.group()
        word = raw.rstrip(".,!?;:)")
        low = word.lower()
        if not words and low in _TITLES and word[:1].isupper():
            continue
        if not _WORD_RE.fullmatch(word):
            break
        if _is_capitalised(word) and low not in _NOT_NAMES:
            words += (*pending, word)
            pending = []
            end = m.start() + len(word)
        elif words and low in _PARTICLES:
            pending.append(word)
        else:
            break
        if word != raw or len(words) == 4:
            break
    if not words or (strict_end and not _NAME_END_RE.match(text, end)):
        return None
    return " ".join(words)


def _find_name(text: str) -> str | None:
    for regex, strict in ((_NAME_STRONG_RE, False), (_NAME_WEAK_RE, True)):
        for m in regex.finditer(text):
            name = _name_after(text, m.end(), strict_end=strict)
            if name:
                return name
    return None


def _company_after(text: str, pos: int) -> str | None:
    tokens: list[str] = []
    for m in _COMPANY_TOKEN_RE.finditer(text, pos):
        gap = text[pos : m.start()]
        if (tokens and gap.strip(" \t")) or len(tokens) == 5:
            break
        token = m.group().rstrip(".:'’")
        if not token or not (token[0].isupper() or token[0].isdigit() or token == "&"):
            break
        tokens.append(token)
        pos = m.end()
        if m.group() != token:  # punctuation closed the name
            break
    while tokens and tokens[-1] == "&":
        tokens.pop()
    return " ".join(tokens) or None


def _find_company(text: str) -> str | None:
    for m in _COMPANY_TRIGGER_RE.finditer(text):
        company = _company_after(text, m.end())
        if company:
            return company
    for regex in (_COMPANY_SUFFIX_RE, _COMPANY_NOUN_RE):
        if (found := regex.search(text)) is not None:
            return " ".join(found.group(1).split()).rstrip(".")
    return None


def extract_contact(text: str, *, default_region: str | None = None) -> dict[str, str]:
    """Contact details a visitor gave: any of ``email``, ``phone`` (E.164), ``name``, ``company``.

    Conservative: a name or company is taken only from an explicit phrase and only when
    capitalised ("I'm interested" gives no name).
    """
    region = _region(default_region)
    contact: dict[str, str] = {}
    for f in find_pii(text, default_region=region):
        if f.kind == "email" and "email" not in contact:
            local, _, domain = f.value.rpartition("@")
            contact["email"] = f"{local}@{domain.lower()}"
        elif f.kind == "phone" and "phone" not in contact:
            number = phonenumbers.parse(f.value, region)
            contact["phone"] = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if name := _find_name(text):
        contact["name"] = name
    if company := _find_company(text):
        contact["company"] = company
    return contact
