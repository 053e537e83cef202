"""What an inquiry asks about: rules and fuzzy keywords (rapidfuzz) without a model, and the
model's structured answer when LLM_MODEL is set (PII masked first; rules stand in on failure).

Member text is untrusted: it only ever selects one of the fixed classes below.
"""

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
        ("posted", 1.5),
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
        ("retiring", 2.5),
        ("retired", 1),
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

_QUOTE_START = re.compile(
    r"(?im)^(?:-{2,}\s*(?:forwarded|original) message\s*-{2,}|on .{4,120} wrote:|from:\s.+@.+)$"
)
_WORD = re.compile(r"[a-z0-9']+")


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


def _score(text: str) -> dict[str, float]:
    norm = normalise(text)
    words = [w for w in _WORD.findall(norm) if len(w) >= 4]
    padded = f" {norm} "
    scores: dict[str, float] = {}
    for cls, phrases in KEYWORDS.items():
        total = 0.0
        for phrase, weight in phrases:
            if " " in phrase or len(phrase) < 6:
                if f" {phrase}" in padded:
                    total += weight
                continue
            if phrase in norm or any(
                abs(len(w) - len(phrase)) <= 2 and fuzz.ratio(w, phrase) >= FUZZY_MIN for w in words
            ):
                total += weight
        scores[cls] = total
    return scores


def classify_rules(subject: str, text: str) -> Classification:
    """Keywords over the subject and the member's own words; quoted text counts for half."""
    own, quoted = split_quoted(text)
    first = _score(f"{subject}\n{own}")
    second = _score(quoted)
    scores = {c: first[c] + 0.5 * second[c] for c in first}
    ranked = sorted(scores, key=lambda c: (-scores[c], PRIORITY.index(c)))
    found = [c for c in ranked if scores[c] >= THRESHOLD]
    if not found:
        best = scores[ranked[0]]
        confidence = Decimal("0.300") if best > 0 else Decimal("0.500")
        return Classification("other", ["other"], confidence, scores)
    # A class that needs action outranks a plain question it comes with ("I was charged twice,
    # what is this charge?"): the action is what a person must do something about.
    top = scores[found[0]]
    close = [c for c in found if scores[c] >= top * 0.6]
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
