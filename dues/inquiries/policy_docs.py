"""Policy documents managers upload (Markdown, text, PDF): read, cut into passages under their
headings, and searched with PostgreSQL full-text search (a GIN index over each passage)."""

import io
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from dues.models import PolicyChunk, PolicyDocument

KINDS = {".md": "md", ".markdown": "md", ".txt": "txt", ".pdf": "pdf"}
PASSAGE_CHARS = 900  # about a paragraph or two: enough to cite, short enough to read in a reply
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<h>.+?)\s*#*\s*$")


def _kind(filename: str) -> str:
    lower = filename.lower()
    for suffix, kind in KINDS.items():
        if lower.endswith(suffix):
            return kind
    raise DomainError(
        f"“{filename}” is not a policy document this page reads: upload Markdown (.md), text "
        "(.txt) or PDF (.pdf)."
    )


def read_text(filename: str, data: bytes) -> str:
    kind = _kind(filename)
    if kind == "pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(io.BytesIO(data))
            text = "\n\n".join((page.extract_text() or "") for page in reader.pages)
        except (PdfReadError, ValueError, KeyError) as exc:
            raise DomainError(f"“{filename}” could not be read as a PDF ({exc}).") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DomainError(f"“{filename}” is not UTF-8 text; save it as UTF-8.") from None
    if "\x00" in text:
        raise DomainError(f"“{filename}” holds NUL characters; it is not a text document.")
    if not text.strip():
        raise DomainError(f"“{filename}” has no text to search (a scanned PDF needs OCR first).")
    return text


@dataclass
class Passage:
    heading: str
    text: str


def passages(text: str) -> list[Passage]:
    """Paragraphs grouped under their latest heading, each passage at most PASSAGE_CHARS."""
    out: list[Passage] = []
    heading, buffer = "", ""
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = block.strip().splitlines()
        if not lines:
            continue
        match = _HEADING.match(lines[0])
        if match:
            if buffer:
                out.append(Passage(heading, buffer))
                buffer = ""
            heading = match.group("h")[:300]
            lines = lines[1:]
        para = " ".join(" ".join(line.split()) for line in lines).strip()
        if not para:
            continue
        if buffer and len(buffer) + len(para) + 1 > PASSAGE_CHARS:
            out.append(Passage(heading, buffer))
            buffer = ""
        while len(para) > PASSAGE_CHARS:
            cut = para.rfind(". ", 0, PASSAGE_CHARS) + 1 or PASSAGE_CHARS
            out.append(Passage(heading, para[:cut].strip()))
            para = para[cut:].strip()
        buffer = f"{buffer} {para}".strip()
    if buffer:
        out.append(Passage(heading, buffer))
    return out


@transaction.atomic
def policy_document_upload_file(*, title: str, upload, user) -> PolicyDocument:
    """An uploaded file (the page's form or the API): never read past the limit and one byte."""
    data = upload.read(settings.INQUIRY_POLICY_MAX_BYTES + 1)
    size = getattr(upload, "size", None) or len(data)
    return policy_document_upload(
        title=title, filename=upload.name, data=data, user=user, size=size
    )


def policy_document_upload(
    *, title: str, filename: str, data: bytes, user, size: int | None = None
) -> PolicyDocument:
    limit = settings.INQUIRY_POLICY_MAX_BYTES
    if len(data) > limit:
        raise DomainError(
            f"“{filename}” is {size or len(data):,} bytes; the limit is {limit:,} bytes "
            f"({limit // 1024:,} KB). Split the document or upload only its policy sections."
        )
    text = read_text(filename, data)
    document = PolicyDocument(
        title=(title.strip() or filename)[:200],
        filename=filename[:200],
        kind=_kind(filename),
        size=len(data),
        uploaded_by=user,
        uploaded_at=timezone.now(),
    )
    document.full_clean()
    document.save()
    parts = passages(text)
    PolicyChunk.objects.bulk_create(
        PolicyChunk(document=document, position=i, heading=p.heading, text=p.text)
        for i, p in enumerate(parts, start=1)
    )
    PolicyChunk.objects.filter(document=document).update(
        search=SearchVector("heading", weight="A", config="english")
        + SearchVector("text", weight="B", config="english")
    )
    audit_record(
        action="inquiries.policy_uploaded",
        summary=f"Policy document “{document.title}” uploaded ({len(parts)} passages)",
        actor=user,
        object_type="policy_document",
        object_id=document.pk,
        data={"filename": filename, "size": len(data), "passages": len(parts)},
    )
    return document


@transaction.atomic
def policy_document_delete(*, document_id: int, user) -> None:
    document = PolicyDocument.objects.filter(pk=document_id).first()
    if document is None:
        raise DomainError("That policy document was already removed.")
    audit_record(
        action="inquiries.policy_removed",
        summary=f"Policy document “{document.title}” removed",
        actor=user,
        object_type="policy_document",
        object_id=document.pk,
        data={"filename": document.filename},
    )
    document.delete()


# Words that carry no topic in a member's question; leaving them out keeps the search to what
# the question is about (websearch_to_tsquery ANDs every remaining word).
_STOP = set(
    [
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "at",
        "by",
        "it",
        "this",
        "that",
        "what",
        "why",
        "how",
        "when",
        "can",
        "could",
        "would",
        "should",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "please",
        "hi",
        "hello",
        "thanks",
        "thank",
        "dear",
        "am",
        "not",
        "no",
        "yes",
        "so",
        "if",
        "about",
        "from",
        "as",
    ]
)


def search(question: str, *, limit: int = 3) -> list[PolicyChunk]:
    """The passages that best answer the question (any of its words, ranked)."""
    words = [w for w in re.findall(r"[a-z]{3,}", question.lower()) if w not in _STOP][:20]
    if not words:
        return []
    query = SearchQuery(" OR ".join(words), search_type="websearch", config="english")
    return list(
        PolicyChunk.objects.filter(search=query)
        .annotate(rank=SearchRank("search", query))
        .select_related("document")
        .order_by("-rank", "id")[:limit]
    )
