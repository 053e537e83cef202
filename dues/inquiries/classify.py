"""What an inquiry asks about: rules and fuzzy keywords (rapidfuzz) without a model, and the
model's structured answer when LLM_MODEL is set (PII masked first; rules stand in on failure).

Member text is untrusted: it only ever selects one of the fixed classes below.
"""

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

from rapidfuzz import fuzz

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

# (phrase, weight). Phrases of one word are matched fuzzily (typos); longer ones as written,
# once the text is normalised. Written from how members describe each need, not from cases.
KEYWORDS: dict[str, list[tuple[str, float]]] = {
    "charge_explanation": [
        ("what is that", 2),
        ("what's that", 2),
        ("figured", 2),
        ("how is the", 1.5),
        ("part of dues", 2),
        ("what is the", 1.5),
        ("what are the", 1.5),
        ("what's this", 2),
        ("what is this", 2),
        ("is this for", 2),
        ("what for", 1.5),
        ("section fee", 2),
        ("line", 1),
        ("itemized", 2),
        ("itemised", 2),
        ("why so much", 3),
        ("so expensive", 2),
        ("never signed up", 1.5),
        ("didn't sign up", 1.5),
        ("didn't pick", 1.5),
        ("didn't choose", 1.5),
        ("stand for", 2),
        ("mean", 1),
        ("this amount", 1.5),
        ("paying for", 2),
        ("what that is", 2),
        ("what this is", 2),
        ("no idea what", 2),
        ("whole year", 2),
        ("full year", 2),
        ("being billed", 1.5),
        ("be less", 1.5),
        ("worked out", 2),
        ("fee", 1),
        ("what is this charge", 3),
        ("what does", 1),
        ("cover", 2),
        ("why was i charged", 3),
        ("why am i charged", 3),
        ("why is my", 1.5),
        ("why is the", 1),
        ("higher than", 2),
        ("more than last year", 2.5),
        ("went up", 2),
        ("increase", 1.5),
        ("prorated", 2.5),
        ("proration", 2.5),
        ("pro rata", 2.5),
        ("breakdown", 2),
        ("explain", 2),
        ("explanation", 2),
        ("what am i paying for", 3),
        ("line item", 2),
        ("chapter dues", 1.5),
        ("understand", 1),
        ("charge", 0.8),
        ("invoice amount", 1.5),
        ("partial year", 2),
        ("different amount", 2),
        ("upgrade", 1),
        ("how was", 1.5),
        ("calculated", 2),
    ],
    "payment_status": [
        ("it posted", 2.5),
        ("on your end", 2),
        ("bounce", 2.5),
        ("did it clear", 3),
        ("go through", 2),
        ("go thru", 3),
        ("went thru", 3),
        ("gone through", 3),
        ("did it go", 2),
        ("show up", 1.5),
        ("showing up", 1.5),
        ("not showing", 2.5),
        ("don't see", 2),
        ("do not see", 2),
        ("can't see", 2),
        ("not see it", 2),
        ("arrived", 2),
        ("reflect", 2),
        ("credited", 2),
        ("applied", 1.5),
        ("bank transfer", 2.5),
        ("wire", 2),
        ("transfer", 1.5),
        ("cleared", 2),
        ("cashed", 2.5),
        ("check was", 1.5),
        ("cheque", 1.5),
        ("charged yesterday", 2),
        ("balance due", 1),
        ("got my", 1.5),
        ("paid", 1),
        ("still open", 2),
        ("says open", 2),
        ("owe", 1.5),
        ("do i owe", 2.5),
        ("look into", 1),
        ("did you receive", 3),
        ("did you get my payment", 3.5),
        ("received my payment", 3),
        ("receive my payment", 3),
        ("payment go through", 3),
        ("went through", 2),
        ("has my payment", 3),
        ("is my payment", 2.5),
        ("still shows", 2),
        ("still showing", 2),
        ("still owe", 2),
        ("already paid", 2),
        ("i paid", 1.5),
        ("i sent a check", 2.5),
        ("mailed a check", 2.5),
        ("was posted", 1.5),
        ("been posted", 1.5),
        ("processed", 1.5),
        ("confirmation", 1.5),
        ("receipt", 2),
        ("outstanding", 1),
        ("balance", 1),
        ("paid up", 2),
        ("am i current", 2.5),
        ("up to date", 1.5),
        ("status of my payment", 3.5),
        ("payment status", 3.5),
        ("overdue notice", 1.5),
        ("reminder", 1),
    ],
    "dispute": [
        ("corrected invoice", 3),
        ("never opted", 3),
        ("reverse", 2),
        ("reverse the charge", 3),
        ("remove his", 1.5),
        ("remove her", 1.5),
        ("left the company", 2.5),
        ("mix-up", 2.5),
        ("mix up", 2.5),
        ("two times", 3),
        ("paid twice", 4),
        ("overpaid", 3),
        ("the extra", 2),
        ("refund the difference", 3),
        ("never authorised", 3.5),
        ("never authorized", 3.5),
        ("not authorised", 3),
        ("who approved", 3),
        ("taken off", 2.5),
        ("take it off", 2.5),
        ("remove it", 2),
        ("remove the charge", 3),
        ("should not owe", 3),
        ("shouldn't owe", 3),
        ("don't owe", 2.5),
        ("do not owe", 2.5),
        ("not owe", 2),
        ("i left", 1.5),
        ("never joined", 3),
        ("not a member of", 2.5),
        ("fraud", 3),
        ("didn't order", 3),
        ("did not order", 3),
        ("charged for", 1.5),
        ("2x", 3),
        ("same thing", 1.5),
        ("never approved", 3),
        ("reversed", 2),
        ("my bank", 1.5),
        ("took the money", 2),
        ("charged twice", 4),
        ("double charged", 4),
        ("double charge", 4),
        ("double billed", 4),
        ("billed twice", 4),
        ("charged two times", 4),
        ("two charges", 3),
        ("duplicate", 3.5),
        ("twice", 3),
        ("dispute", 4),
        ("not authorize", 3),
        ("unauthorized", 3.5),
        ("wrong amount", 3),
        ("incorrect", 2.5),
        ("overcharged", 3.5),
        ("mistake", 2),
        ("error", 2),
        ("chargeback", 3.5),
        ("same charge", 3),
        ("charged again", 3),
        ("should not have been charged", 3.5),
        ("wrong", 1.5),
    ],
    "plan_request": [
        ("pushed back", 2.5),
        ("push back", 2.5),
        ("breathing room", 3),
        ("in one time", 2.5),
        ("short this month", 3),
        ("bit short", 2.5),
        ("payment schedule", 3.5),
        ("schedule", 1.5),
        ("a month", 1.5),
        ("per month", 2),
        ("each month", 2),
        ("every month", 2),
        ("behind", 1.5),
        ("lost my job", 3),
        ("laid off", 3),
        ("unemployed", 3),
        ("furloughed", 3),
        ("can't pay", 2.5),
        ("cannot pay", 2.5),
        ("unable to pay", 2.5),
        ("all at once", 3),
        ("in one go", 3),
        ("lump sum", 2.5),
        ("arrangement", 2.5),
        ("defer", 2.5),
        ("postpone", 2.5),
        ("grace period", 2),
        ("bit at a time", 3),
        ("tight", 1.5),
        ("payment plan", 4),
        ("instalment", 3.5),
        ("installment", 3.5),
        ("installments", 3.5),
        ("monthly payments", 3.5),
        ("pay monthly", 3.5),
        ("pay in parts", 3.5),
        ("split the payment", 3.5),
        ("split it", 2.5),
        ("spread", 2),
        ("pay over", 2.5),
        ("cannot afford", 3),
        ("can't afford", 3),
        ("cant afford", 3),
        ("hardship", 3),
        ("more time", 2),
        ("extension", 2.5),
        ("pay later", 2),
        ("pay part", 2.5),
        ("partial payment", 3),
        ("a few payments", 3),
        ("smaller payments", 3),
        ("quarterly", 2),
    ],
    "contact_update": [
        ("change my email", 4),
        ("billing contact", 3),
        ("should now go to", 2.5),
        ("send invoices to", 2.5),
        ("my email to", 3),
        ("new job", 2.5),
        ("changed jobs", 3),
        ("now work", 2.5),
        ("my email is now", 4),
        ("new surname", 3.5),
        ("got married", 2.5),
        ("home address", 2.5),
        ("work address", 2.5),
        ("send mail to", 3),
        ("send my mail", 3),
        ("new company", 2.5),
        ("updated address", 3.5),
        ("records", 1),
        ("on file", 1.5),
        ("old address", 3.5),
        ("address on file", 3),
        ("address", 1.5),
        ("previous", 0.5),
        ("change of address", 4),
        ("new address", 4),
        ("update my address", 4),
        ("change my address", 4),
        ("address change", 4),
        ("moved", 2.5),
        ("we have moved", 3),
        ("relocated", 3),
        ("mailing address", 3),
        ("new email", 3.5),
        ("email address", 1.5),
        ("update my email", 4),
        ("phone number", 2.5),
        ("new phone", 3),
        ("update my contact", 4),
        ("contact details", 3),
        ("contact information", 3),
        ("name change", 3.5),
        ("changed my name", 3.5),
        ("maiden name", 3),
        ("employer", 1),
        ("update my", 1.5),
        ("street", 1),
        ("zip code", 2),
        ("postcode", 2),
    ],
    "cancellation": [
        ("won't be continuing", 4),
        ("not be continuing", 4),
        ("not continuing", 3.5),
        ("member anymore", 3),
        ("anymore", 1.5),
        ("stop the automatic", 3),
        ("take me off", 2.5),
        ("want out", 3.5),
        ("stop billing", 3.5),
        ("stop charging", 3.5),
        ("close my account", 3.5),
        ("done with", 2.5),
        ("quit", 3),
        ("leave the association", 3.5),
        ("drop my membership", 4),
        ("let it lapse", 3.5),
        ("let my membership lapse", 4),
        ("stop my membership", 4),
        ("end my", 2),
        ("don't want to be a member", 4),
        ("no longer want", 3),
        ("changing careers", 2.5),
        ("left the field", 3),
        ("left the profession", 3),
        ("cancel", 3.5),
        ("cancellation", 3.5),
        ("terminate", 3),
        ("end my membership", 4),
        ("discontinue", 3),
        ("do not renew", 3.5),
        ("don't renew", 3.5),
        ("dont renew", 3.5),
        ("not renewing", 3.5),
        ("no longer", 2),
        ("refund", 3.5),
        ("money back", 3.5),
        ("reimburse", 3),
        ("retiring", 1.5),
        ("retired", 0.5),
        ("leaving the profession", 3),
        ("withdraw", 3),
        ("resign", 3),
        ("opt out", 2),
        ("remove me", 2.5),
        ("unsubscribe me from membership", 3),
    ],
}
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
