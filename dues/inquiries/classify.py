"""What an inquiry asks about: rules and fuzzy keywords (rapidfuzz) without a model, and the
model's structured answer when LLM_MODEL is set (PII masked first; rules stand in on failure).

Member text is untrusted: it only ever selects one of the fixed classes below.
"""

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

from rapidfuzz import fuzz

from dues.inquiries.vocabulary import KEYWORDS

CLASSES = (
    "charge_explanation",
    "payment_status",
    "dispute",
    "plan_request",
    "contact_update",
    "cancellation",
    "other",
)
# When two classes score alike, the one that needs a person's action (or money back) wins.
PRIORITY = (
    "dispute",
    "cancellation",
    "plan_request",
    "contact_update",
    "payment_status",
    "charge_explanation",
)

THRESHOLD = 2.0  # a class needs this much evidence to be named at all
FUZZY_MIN = 86  # rapidfuzz ratio of a word to a one-word keyword (catches one typo in six)
CLOSE = 0.5  # within this share of the top score, the class that needs action wins
REQUEST_WEIGHT = 1.5  # a sentence that asks for something counts more than background
# A keyword of these classes means the opposite after a negation ("I don't want to cancel").
NEGATABLE = ("cancellation", "plan_request", "dispute")
NEGATION_WINDOW = 4  # words before a keyword in which a negation turns it off

_QUOTE_START = re.compile(
    r"(?im)^\s*(?:-{2,}\s*(?:forwarded|original) message\s*-{2,}|on .{4,160} wrote:|"
    r"from:\s.+@.+|sent from my \S+.*)$"
)
# A sign-off line ("Thanks, Maria", "Kind regards", "--"): what follows is a signature.
_SIGNOFF = re.compile(
    r"(?i)^\s*(?:--\s*|(?:(?:best|kind|warm|many)\s+)?(?:regards|wishes|thanks)|thanks?|"
    r"thank you(?: very much)?|cheers|sincerely|obrigad[oa]|danke)\s*[,!.]?\s*(?:\w+)?\s*$"
)
_WORD = re.compile(r"[a-z0-9$']+")
_SENTENCE = re.compile(r"[^.?!\n]+[.?!]*")
_NEGATION = {"not", "don't", "dont", "do not", "never", "won't", "without", "didn't"}
_REQUEST = re.compile(
    r"(?i)\?|\b(?:please|pls|plz|kindly|can you|could you|can i|could i|can we|could we|"
    r"would you|is it possible|is possible|i want|i would like|i'd like|i need|how do i|"
    r"how to)\b|^\s*(?:cancel|update|change|remove|refund|send|confirm|fix|stop|take|check|"
    r"reverse|correct|use|split|let me)\b"
)
# "Why is it 395 this year", "what is the $25 fee for": a why/what/how question about an
# amount asks for the charge to be explained, whatever words it uses.
_AMOUNT_QUESTION = re.compile(
    r"(?i)^\s*(?:why|how come|how is|how was|how did|what is|what's|whats|what are)\b.*"
    r"(?:\$|\d|\bso much\b|\bamount|\bprice|\brate\b|\bfee|\bcost|\bdifference)"
)
_PHONE = re.compile(r"(?<![\d$.])(?:\+?\d[\d\s().-]{8,}\d)(?![\d.])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@dataclass
class Classification:
    category: str
    categories: list[str]
    confidence: Decimal
    scores: dict[str, float] = field(default_factory=dict)
    by: str = "rules"


def normalise(text: str) -> str:
    text = (text or "").lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[^a-z0-9'@.$\s-]", " ", text)
    return " ".join(text.split())


def stem(word: str) -> str:
    """A crude stem so that "paying", "payments" and "paid over" meet "pay" and "payment"."""
    # "-ed" is left to the fuzzy match: stripping it made "retired" meet "retiring".
    for suffix in ("ing", "es", "s"):
        if word.endswith(suffix) and len(word) >= len(suffix) + 3 and not word.endswith("ss"):
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def _stems(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(normalise(text))]


def split_quoted(text: str) -> tuple[str, str]:
    """The member's own words, and what they quoted or forwarded below them."""
    text = text or ""
    own_lines, quoted_lines = [], []
    match = _QUOTE_START.search(text)
    head, tail = (text[: match.start()], text[match.start() :]) if match else (text, "")
    for line in head.splitlines():
        (quoted_lines if line.lstrip().startswith(">") else own_lines).append(line)
    quoted_lines.append(tail)
    return "\n".join(own_lines), "\n".join(quoted_lines)


def strip_signature(text: str) -> str:
    """The message without its sign-off and whatever follows it (names, titles, disclaimers)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if i > 0 and _SIGNOFF.match(line) and any(x.strip() for x in lines[:i]):
            return "\n".join(lines[:i])
    return text


def _compiled() -> dict[str, list[tuple[list[str], float]]]:
    """Keywords as stems; two that share a stem ("retired", "retiring") count once, at the
    higher weight."""
    compiled: dict[str, list[tuple[list[str], float]]] = {}
    for cls, phrases in KEYWORDS.items():
        best: dict[tuple[str, ...], float] = {}
        for phrase, weight in phrases:
            key = tuple(_stems(phrase))
            best[key] = max(weight, best.get(key, 0.0))
        compiled[cls] = [(list(key), weight) for key, weight in best.items()]
    return compiled


_PHRASES = _compiled()


def _word_matches(word: str, key: str) -> bool:
    if word == key:
        return True
    # Typos rarely touch the first letter; requiring it keeps "correct" from meeting "incorrect".
    return (
        len(key) >= 6
        and word[:1] == key[:1]
        and abs(len(word) - len(key)) <= 2
        and fuzz.ratio(word, key) >= FUZZY_MIN
    )


def _find(words: list[str], phrase: list[str]) -> list[int]:
    """Where the phrase starts in words; one extra word may sit between two of its words
    ("new home address")."""
    starts = []
    for i, word in enumerate(words):
        if not _word_matches(word, phrase[0]):
            continue
        j, ok = i, True
        for key in phrase[1:]:
            if j + 1 < len(words) and _word_matches(words[j + 1], key):
                j += 1
            elif j + 2 < len(words) and _word_matches(words[j + 2], key):
                j += 2
            else:
                ok = False
                break
        if ok:
            starts.append(i)
    return starts


def _negated(words: list[str], start: int) -> bool:
    before = words[max(0, start - NEGATION_WINDOW) : start]
    pairs = {f"{a} {b}" for a, b in itertools.pairwise(before)}
    return bool(_NEGATION & (set(before) | pairs))


def _score(text: str, *, strongest: bool = False) -> dict[str, float]:
    """Keyword evidence per class: the sum of what matched, or only the strongest match."""
    words = _stems(text)
    scores: dict[str, float] = {}
    for cls, phrases in _PHRASES.items():
        total = 0.0
        for phrase, weight in phrases:
            starts = _find(words, phrase) if phrase else []
            if cls in NEGATABLE:
                starts = [s for s in starts if not _negated(words, s)]
            if starts:
                total = max(total, weight) if strongest else total + weight
        scores[cls] = total
    return scores


def _score_message(text: str) -> dict[str, float]:
    """Each sentence scored on its own; one that asks for something counts REQUEST_WEIGHT
    times, and a class is counted once per sentence so a long story does not outvote the ask."""
    scores = dict.fromkeys(KEYWORDS, 0.0)
    for sentence in _SENTENCE.findall(text):
        if not sentence.strip():
            continue
        weight = REQUEST_WEIGHT if _REQUEST.search(sentence) else 1.0
        for cls, value in _score(sentence, strongest=True).items():
            scores[cls] += weight * value
        if _AMOUNT_QUESTION.search(sentence):
            scores["charge_explanation"] += 2.0
    # New contact details written out (not in a signature) are themselves the request.
    if _PHONE.search(text):
        scores["contact_update"] += 2.0
    elif _EMAIL.search(text):
        scores["contact_update"] += 1.0
    return scores


def classify_rules(subject: str, text: str) -> Classification:
    """Keywords over the subject and the member's own words (quoted history and signature
    apart); quoted text counts for half."""
    own, quoted = split_quoted(text)
    own = strip_signature(own)
    first = _score_message(own)
    title = _score(re.sub(r"(?i)^\s*(?:(?:re|fwd?|aw|wg)\s*:\s*)+", "", subject or ""))
    second = _score(quoted)
    replying = bool(re.match(r"(?i)^\s*(?:re|fwd?|aw|wg)\s*:", subject or ""))
    # The subject of a reply is our own email's, which says nothing of what the member wants.
    subject_weight = 0.5 if replying else 1.0
    scores = {c: first[c] + subject_weight * title[c] + 0.5 * second[c] for c in first}
    ranked = sorted(scores, key=lambda c: (-scores[c], PRIORITY.index(c)))
    found = [c for c in ranked if scores[c] >= THRESHOLD]
    if not found:
        best = scores[ranked[0]]
        confidence = Decimal("0.300") if best > 0 else Decimal("0.500")
        return Classification("other", ["other"], confidence, scores)
    # A class that needs action outranks a plain question it comes with ("I was charged twice,
    # what is this charge?"): the action is what a person must do something about.
    top = scores[found[0]]
    close = [c for c in found if scores[c] >= top * CLOSE]
    category = min(close, key=PRIORITY.index)
    runner_up = max((scores[c] for c in ranked if c != category), default=0.0)
    margin = scores[category] - runner_up
    raw = 0.5 + min(scores[category], 8) / 20 + max(min(margin, 4), -2) / 20
    confidence = Decimal(str(round(min(max(raw, 0.35), 0.98), 3)))
    return Classification(category, found, confidence, scores)


def classify(subject: str, text: str, *, pii=None, model: str | None = None) -> Classification:
    """The model's class when one is configured and answers; the rules' otherwise."""
    from dues.inquiries import llm_classify

    rules = classify_rules(subject, text)
    answer = llm_classify.ask(subject, text, pii=pii, model=model)
    if answer is None:
        return rules
    return answer
