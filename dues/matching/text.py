"""Text handling for payment matching: name folding, person and organisation names, memo numbers.

Pure functions (no Django, no ORM). Remittance text is untrusted data: it is only ever read for
evidence here, never interpreted as an instruction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii


def words_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Quotes that are apostrophes in names (O\u2019Brien); anyascii reads the rest.
_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u02bc": "'"})
# German umlauts are also written out (Müller = Mueller): names are indexed both ways.
_UMLAUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "AE", "Ö": "OE", "Ü": "UE"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ASCII with accents removed, other scripts transliterated (Дмитрий Иванов ->
    dmitriy ivanov, as a bank's systems write them) and punctuation turned into single spaces."""
    if not text:
        return ""
    text = text.translate(_FOLD)
    if not text.isascii():
        text = anyascii(text).translate(_FOLD)
    # Apostrophes join (O'Brien -> obrien); every other non-alphanumeric separates.
    return _NON_ALNUM.sub(" ", text.lower().replace("'", "")).strip()


_UMLAUTS = frozenset("äöüÄÖÜ")


def fold_umlaut(text: str) -> str:
    """Like fold, writing German umlauts out (Müller -> mueller); equals fold() otherwise."""
    if text.isascii() or _UMLAUTS.isdisjoint(text):
        return fold(text)
    return fold(text.translate(_UMLAUT))


TITLES = words_set(
    "mr mrs ms miss mx dr prof professor rev reverend hon sir dame fr capt col lt gen messrs mssrs"
)
SUFFIXES = words_set(
    "jr jnr sr snr ii iii iv phd md dds dmd dvm do esq cpa mba pe rn jd cfa aia faia pmp "
    "ma msc bsc llm frcs"
)
JOINERS = words_set("and or et")
# Particles of compound surnames (van der Berg, De La Cruz, St. John).
PARTICLES = words_set("van von der den de del della la le du da dos das di st saint mac bin al")
CORPORATE_FORMS = words_set(
    "inc incorporated llc ltd limited corp corporation co company gmbh ag sa sas srl bv nv plc "
    "llp lp pc pllc pa kg oy ab as spa pty"
)
# Words too common in organisation names to identify one.
GENERIC_ORG_WORDS = words_set(
    "the of and for engineering engineers consulting consultants health healthcare partners "
    "associates association labs laboratories laboratory group systems architects architecture "
    "foundation university hospital design designs energy services service solutions "
    "international national american technologies technology tech holdings enterprises "
    "industries global management medical center centre clinic institute college school firm "
    "law bank trust capital financial insurance software research development construction "
    "manufacturing society council office department dept city county state public private "
    "north south east west new"
)
ORG_HINTS = CORPORATE_FORMS | words_set(
    "engineering consulting health partners associates labs group systems architects foundation "
    "university hospital design energy services solutions technologies holdings enterprises "
    "industries institute college school firm clinic bank trust society council department"
)
# Hint words cut short by a bank's name field ("QUENENER CONSULT", 16 characters).
ORG_HINT_STARTS = frozenset(w[:n] for w in ORG_HINTS if len(w) >= 7 for n in range(5, len(w)))
# Bank and card statement noise around the name of whoever paid.
NAME_NOISE = words_set(
    "ach pmt payment payments pymt online web debit credit pos purchase deposit transfer xfer "
    "paypal venmo sq square stripe cashapp "
    "from by orig name ind indn des descr entry ppd ccd ctx web tel bill pay paid billpay "
    "zelle check chk cheque wire ref memo"
)

_NICKNAME_GROUPS = """
william bill billy will willy willie liam; robert bob bobby rob robbie bert; richard rick ricky
dick rich richie; michael mike mikey mick; elizabeth liz lizzie beth betty eliza libby betsy lisa;
katherine catherine kathryn kate katie kathy cathy kat kay; kathleen kate katie kathy kat;
margaret maggie meg peggy marge margie greta; christopher chris kit; christina christine chris
tina christy; joseph joe joey;
thomas tom tommy; daniel dan danny; matthew matt; anthony tony; stephen steven steve stevie;
timothy tim timmy; rebecca becky becca; deborah debra deb debbie; jennifer jen jenny; andrew andy
drew; kimberly kim; patricia pat patty trish tricia; patrick pat paddy; susan sue suzy susie;
james jim jimmy jamie; john jack johnny; jonathan jon jonny; edward ed eddie ted ned; charles
charlie chuck chas; david dave davey; samuel sam sammy; samantha sam sammie; alexander alex al
sandy; alexandra alex sandra; benjamin ben benny; nicholas nick nicky; gregory greg; jeffrey
jeff geoffrey; kenneth ken kenny; donald don donnie; ronald ron ronnie; lawrence laurence larry;
gerald jerry gerry; raymond ray; douglas doug; frederick fred freddie; albert al bert; alfred alf
fred; harold harry hal; henry harry hank; peter pete; philip phillip phil; zachary zach zack;
nathan nathaniel nate nat; joshua josh; jacob jake; abigail abby; amanda mandy; barbara barb;
cynthia cindy; dorothy dot dottie; eleanor ellie nora; jessica jess jessie; judith judy; victoria
vicky tori; valerie val; virginia ginny; pamela pam; sandra sandy; theresa teresa terry tess;
stephanie steph; melissa missy mel; natalie nat; jose pepe; francisco paco pancho; eduardo lalo;
alejandro alex; mohammed mohammad muhammad mohamed; zoe zoey; sara sarah; ann anne anna annie;
frances fran; francis frank; franklin frank; leonard leo len; louis lou; michelle shelley;
gabriel gabe; gabrielle gabby; jacqueline jackie; rosemary rose; ronald ron; stanley stan;
walter walt; vincent vince; eugene gene; clifford cliff; leslie les; bradley brad
"""


def _nickname_index() -> dict[str, frozenset[int]]:
    index: dict[str, set[int]] = {}
    for number, group in enumerate(_NICKNAME_GROUPS.replace("\n", " ").split(";")):
        for name in group.split():
            index.setdefault(name, set()).add(number)
    return {name: frozenset(groups) for name, groups in index.items()}


NICKNAMES = _nickname_index()
# Each group's formal name (the first of it), and the names that are one group's formal name.
_FORMAL_OF = dict(enumerate(g.split()[0] for g in _NICKNAME_GROUPS.replace("\n", " ").split(";")))
FORMAL_NAMES = frozenset(_FORMAL_OF.values())


def _variants() -> dict[str, frozenset[str]]:
    members: dict[int, set[str]] = defaultdict(set)
    for name, groups in NICKNAMES.items():
        for g in groups:
            members[g].add(name)
    return {
        name: frozenset().union(*(members[g] for g in groups)) for name, groups in NICKNAMES.items()
    }


NAME_VARIANTS = _variants()


def first_name_variants(name: str) -> frozenset[str]:
    """The name and every formal or informal form of it (bill -> william, will, billy...)."""
    return NAME_VARIANTS.get(name) or frozenset((name,))


def same_first_name(a: str, b: str) -> bool:
    """Folded first names that are one name (equal, or a nickname and its formal name; two
    formal names that share a nickname, Katherine and Kathleen, are two names). A name that is
    a formal name itself is someone's own name, not a nickname of another's: Sandra is short
    for Alexandra, and so is Alex, but Alex is not Sandra."""
    if a == b:
        return True
    ga, gb = NICKNAMES.get(a), NICKNAMES.get(b)
    if not (ga and gb):
        return False
    shared = ga & gb
    if a in FORMAL_NAMES or b in FORMAL_NAMES:
        return any(_FORMAL_OF[g] in (a, b) for g in shared)
    return bool(shared)


# Spellings that differ between transliteration systems (Dmitriy, Dmitrii, Dmitrij; Koks, Kox;
# Iuliia, Yuliya): one skeleton for all of them.
_SKELETON_PAIRS = (
    "shch:sh sch:sh kh:h ks:x ph:f th:t ts:c ou:u yu:u iu:u ya:a ia:a y:i j:i w:v ii:i"
)
_SKELETON = tuple(tuple(pair.split(":")) for pair in _SKELETON_PAIRS.split(" "))


@lru_cache(maxsize=65536)
def skeleton(word: str) -> str:
    """A folded word with the spellings transliteration systems disagree on made one, and
    doubled letters single: two spellings of one Cyrillic or Greek name share it."""
    for old, new in _SKELETON:
        word = word.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", word)


def other_script(text: str) -> bool:
    """Letters beyond the Latin alphabets (Cyrillic, Greek, ...): a name payers transliterate."""
    return any(c.isalpha() and ord(c) >= 0x250 for c in text)


_SOUNDEX = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556", "aeiouyhw")


@lru_cache(maxsize=65536)
def soundex(word: str) -> str:
    """American Soundex of a folded word (a phonetic key for blocking surnames with typos)."""
    word = "".join(c for c in word if c.isalpha())
    if not word:
        return ""
    head, digits = word[0], []
    previous = head.translate(_SOUNDEX) if head not in "aeiouyhw" else ""
    for char in word[1:]:
        code = char.translate(_SOUNDEX)
        if code and code != previous:
            digits.append(code)
        if char not in "hw":
            previous = code
    return (head + "".join(digits) + "000")[:4]


@lru_cache(maxsize=65536)
def surname_keys(last: str) -> tuple[str, ...]:
    """Index keys of a surname: joined form, and the parts of compound names."""
    keys: list[str] = []
    for variant in {fold(last), fold_umlaut(last)}:
        parts = variant.split()
        if not parts:
            continue
        keys.append("".join(parts))
        meaningful = [p for p in parts if p not in PARTICLES and len(p) > 1]
        if len(meaningful) > 1 or len(meaningful) != len(parts):
            keys.extend(meaningful)
    return tuple(dict.fromkeys(keys))


@dataclass(frozen=True, slots=True)
class PayerName:
    """A payer name as read: name tokens, joined-token variants, and whether it looks corporate."""

    raw: str
    tokens: tuple[str, ...]  # folded, titles/suffixes/noise removed
    keys: frozenset[str]  # tokens plus joined neighbours (o brien -> obrien, van der berg)
    corporate: bool
    text: str  # tokens joined, for fuzzy comparison


@lru_cache(maxsize=32768)
def parse_payer_name(raw: str) -> PayerName:
    """Read 'SMITH, JOHN A', 'Dr. José Núñez Jr.', 'J SMITH', 'John & Mary Smith', 'ACME LLC'."""
    text = raw or ""
    if "," in text:
        head, _, tail = text.partition(",")
        tail_tokens = fold(tail).split()
        # "SMITH, JOHN" is surname first; "ACME, INC." or "Smith, Jr." is not.
        if tail_tokens and not all(t in CORPORATE_FORMS | SUFFIXES for t in tail_tokens):
            text = f"{tail} {head}"
    words = [w for w in fold_umlaut(text).split() if not any(c.isdigit() for c in w)]
    plain = [w for w in fold(text).split() if not any(c.isdigit() for c in w)]
    corporate = any(w in ORG_HINTS for w in plain) or (
        len(plain) > 1 and plain[-1] in ORG_HINT_STARTS
    )
    drop = NAME_NOISE | JOINERS | (frozenset() if corporate else TITLES | SUFFIXES)
    tokens = tuple(dict.fromkeys(w for w in [*plain, *words] if w not in drop))
    keys = set(tokens)
    ordered = [w for w in plain if w not in drop]
    for size in (2, 3):
        for i in range(len(ordered) - size + 1):
            keys.add("".join(ordered[i : i + size]))
    return PayerName(
        raw=raw,
        tokens=tokens,
        keys=frozenset(keys),
        corporate=corporate,
        text=" ".join(ordered),
    )


@lru_cache(maxsize=16384)
def org_core(name: str) -> str:
    """An organisation name without corporate forms ('Northwind Engineering LLC' -> ...)."""
    return " ".join(w for w in fold(name).split() if w not in CORPORATE_FORMS)


@lru_cache(maxsize=16384)
def org_tokens(name: str) -> tuple[str, ...]:
    """Distinctive words of an organisation name, for blocking."""
    return tuple(w for w in org_core(name).split() if w not in GENERIC_ORG_WORDS and len(w) > 1)


# Memo words that are never part of a name.
MEMO_NOISE = NAME_NOISE | words_set(
    "dues due membership member mbr renewal renew annual invoice invoices inv iv rmr po for of "
    "the and thank thanks you year yr fy id acct account no nr number dues total amount "
    "employee employees staff fee fees balance"
)

# Memo words saying a payment is for something other than dues.
OTHER_PURPOSE = words_set(
    "registration reg conference donation donate sponsorship sponsor gala event ticket tickets "
    "order catering deposit refund gift contribution course exam certification store merchandise "
    "webinar workshop seminar convention booth exhibit exhibitor advertising advert"
)

# --- numbers in memos and references --------------------------------------------------------

INVOICE_WORDS = words_set("inv invoice invoices invc invno iv bill billno stmt statement oi")
MEMBER_WORDS = words_set(
    "mbr member memb mem membership id acct account acc cust customer cus cid imis"
)
# Numbers after these words are something else: check, trace and order numbers, postcodes.
OTHER_WORDS = words_set(
    "chk check ck chq cheque trace trn po order conf confirmation auth txn tx transaction zip "
    "tel phone ph fax seq batch item lockbox box suite ste apt routing aba rt dda card ending "
    "last4 reg registration ticket event booking receipt conference"
)
YEAR_WORDS = words_set("dues fy year yr renewal membership for thru through season")

_DATE = re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b")
_AMOUNT = re.compile(r"(?:\$\s?)\d[\d,]*(?:\.\d{1,2})?|\b\d[\d,]*\.\d{2}\b")
# An X12 remittance segment in ACH addenda: RMR*qualifier*reference*action*paid*invoice total.
_RMR = re.compile(
    r"RMR\*([A-Z0-9]{1,3})\*([^*\\~]*)(?:\*([^*\\~]*))?(?:\*([^*\\~]*))?(?:\*([^*\\~]*))?",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[A-Za-z]+|\d+|#")


@dataclass(frozen=True, slots=True)
class MemoNumber:
    """A number read from memo or reference, with what the words before it suggest."""

    digits: str  # without leading zeros
    alnum: str  # with a glued alphabetic prefix, upper-case ("INV10234"); "" if none
    kind: str  # "invoice" | "member" | "" (unknown) ; numbers of "other" kind are dropped
    year_like: bool
    paid: int | None = None  # cents, from an ACH RMR segment


def _strip_zeros(digits: str) -> str:
    return digits.lstrip("0") or "0"


def parse_numbers(*texts: str) -> list[MemoNumber]:
    """Numbers that could be invoice or member ids, in order of appearance, de-duplicated."""
    found: dict[tuple[str, str], MemoNumber] = {}
    for text in texts:
        if not text:
            continue
        for qualifier, ref, _action, paid, _total in _RMR.findall(text):
            digits = re.sub(r"\D", "", ref)
            if not digits:
                continue
            cents = _cents(paid)
            kind = "invoice" if qualifier.upper() in {"IV", "OI", "IN"} else ""
            key = (_strip_zeros(digits), kind)
            found.setdefault(key, MemoNumber(key[0], ref.upper(), kind, False, cents))
        cleaned = _RMR.sub(" ", text)
        cleaned = _DATE.sub(" ", cleaned)
        cleaned = _AMOUNT.sub(" ", cleaned)
        matches = list(_TOKEN.finditer(cleaned))
        previous_kind: str | None = None  # kind of the number just before, for lists
        for i, match in enumerate(matches):
            token = match.group()
            if not token.isdigit():
                if token not in ("#",):
                    previous_kind = None
                continue
            words = {t.group().lower() for t in matches[max(0, i - 2) : i] if t.group().isalpha()}
            glued = re.search(r"([A-Za-z]{1,4})#?$", cleaned[: match.start()])
            prefix = glued.group(1) if glued else ""
            if prefix:
                words.add(prefix.lower())
            if len(token) < 3 or len(token) > 12:
                previous_kind = None
                continue
            if words & OTHER_WORDS:
                previous_kind = "other"
                continue
            if previous_kind == "other" and not words:
                continue
            if words & INVOICE_WORDS:
                kind = "invoice"
            elif words & MEMBER_WORDS:
                kind = "member"
            else:
                kind = previous_kind or ""
            previous_kind = kind
            year_like = len(token) == 4 and token[:2] in ("19", "20") and kind != "invoice"
            digits = _strip_zeros(token)
            alnum = (prefix + token).upper() if prefix else ""
            key = (digits, kind)
            if key not in found:
                found[key] = MemoNumber(digits, alnum, kind, year_like)
    return list(found.values())


def _cents(text: str) -> int | None:
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        whole, _, frac = text.partition(".")
        return int(whole or 0) * 100 + int((frac + "00")[:2])
    except ValueError:
        return None


# How keying errors in numbers split (studies of keyed and handwritten numbers, Verhoeff 1969
# and after: a digit changed most often, two neighbours swapped next, a digit left out or added).
KEYSTROKE_ERRORS = {"changed": 0.70, "swapped": 0.15, "left_out": 0.10, "added": 0.05}


def keystroke_chance(typed: str, actual: str) -> float:
    """Chance that a keying error in ``actual`` gives exactly ``typed`` (0 if no one error
    does): one given swap of neighbours is likelier than one given changed digit."""
    n, m = len(actual), len(typed)
    if m == n:
        diffs = [i for i in range(n) if typed[i] != actual[i]]
        if len(diffs) == 1:
            return KEYSTROKE_ERRORS["changed"] / (9 * n)
        i = diffs[0] if len(diffs) == 2 else -1
        if i >= 0 and diffs[1] == i + 1 and typed[i] == actual[i + 1] and typed[i + 1] == actual[i]:
            return KEYSTROKE_ERRORS["swapped"] / max(n - 1, 1)
        return 0.0
    if m == n - 1:
        return KEYSTROKE_ERRORS["left_out"] / n
    if m == n + 1:
        return KEYSTROKE_ERRORS["added"] / (10 * (n + 1))
    return 0.0


@lru_cache(maxsize=4096)
def digit_variants(digits: str) -> frozenset[str]:
    """Every number one keystroke away: substitution, adjacent swap, deletion, insertion."""
    out: set[str] = set()
    n = len(digits)
    ten = "0123456789"
    for i in range(n + 1):
        head, tail = digits[:i], digits[i:]
        out.update([head + d + tail for d in ten])  # insertion
        if i < n:
            rest = digits[i + 1 :]
            out.add(head + rest)  # deletion
            out.update([head + d + rest for d in ten])  # substitution
            if i + 1 < n:
                out.add(head + digits[i + 1] + digits[i] + digits[i + 2 :])  # swap
    out.discard(digits)
    if digits[:1] == "0" or "0" in digits[:2]:
        out = {v.lstrip("0") or "0" for v in out}
    return frozenset(v for v in out if len(v) >= 3 and v[0] != "0")
