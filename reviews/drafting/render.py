"""The template language: {{ fact }}, {{ count|plural:"event,events" }} and
{% if fact %}...{% else %}...{% endif %}. Nothing else, so that a template can only state facts."""

import re
from dataclasses import dataclass

TOKEN = re.compile(
    r"\{\{\s*(?P<var>[a-z_][a-z0-9_]*)\s*(?:\|\s*plural\s*:\s*\"(?P<one>[^\",]*),(?P<many>[^\"]*)\"\s*)?\}\}"
    r"|\{%\s*(?P<tag>if|else|endif)\s*(?P<cond>[a-z_][a-z0-9_]*)?\s*%\}"
)
STRAY = re.compile(r"\{\{|\}\}|\{%|%\}")


class TemplateSyntaxError(ValueError):
    """The template cannot be read; the message says where."""


@dataclass
class Node:
    kind: str  # text | var | if
    text: str = ""
    name: str = ""
    plural: tuple[str, str] | None = None
    then: list["Node"] | None = None
    otherwise: list["Node"] | None = None


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def parse(text: str) -> list[Node]:
    root: list[Node] = []
    stack: list[tuple[Node, list[Node], int]] = []
    current = root
    pos = 0
    for match in TOKEN.finditer(text):
        literal = text[pos : match.start()]
        if STRAY.search(literal):
            bad = STRAY.search(literal)
            raise TemplateSyntaxError(
                f"Line {_line_of(text, pos + bad.start())}: “{literal[bad.start() :][:30]}” is not "
                "a placeholder; write {{ fact_name }} in lower case, or {% if fact_name %}."
            )
        if literal:
            current.append(Node("text", text=literal))
        pos = match.end()
        if match.group("var"):
            plural = (match.group("one"), match.group("many")) if match.group("one") else None
            current.append(Node("var", name=match.group("var"), plural=plural))
            continue
        tag, cond = match.group("tag"), match.group("cond")
        line = _line_of(text, match.start())
        if tag == "if":
            if not cond:
                raise TemplateSyntaxError(f"Line {line}: {{% if %}} needs a fact name.")
            node = Node("if", name=cond, then=[], otherwise=[])
            current.append(node)
            stack.append((node, current, line))
            current = node.then
        elif tag == "else":
            if not stack or current is not stack[-1][0].then:
                raise TemplateSyntaxError(f"Line {line}: {{% else %}} without an open {{% if %}}.")
            current = stack[-1][0].otherwise
        else:
            if not stack:
                raise TemplateSyntaxError(f"Line {line}: {{% endif %}} without an open {{% if %}}.")
            _, current, _ = stack.pop()
    tail = text[pos:]
    if STRAY.search(tail):
        bad = STRAY.search(tail)
        raise TemplateSyntaxError(
            f"Line {_line_of(text, pos + bad.start())}: “{tail[bad.start() :][:30]}” is not a "
            "placeholder; write {{ fact_name }} in lower case, or {% if fact_name %}."
        )
    if tail:
        current.append(Node("text", text=tail))
    if stack:
        raise TemplateSyntaxError(
            f"Line {stack[-1][2]}: {{% if {stack[-1][0].name} %}} is never "
            "closed with {% endif %}."
        )
    return root


def names(nodes: list[Node]) -> set[str]:
    """Every fact a template refers to."""
    found: set[str] = set()
    for node in nodes:
        if node.kind in ("var", "if"):
            found.add(node.name)
        if node.kind == "if":
            found |= names(node.then) | names(node.otherwise)
    return found


def literal_text(nodes: list[Node]) -> str:
    """The template's own words, without any fact: where no number may be written."""
    parts = []
    for node in nodes:
        if node.kind == "text":
            parts.append(node.text)
        elif node.kind == "var" and node.plural:
            parts.append(f" {node.plural[1]}")
        elif node.kind == "if":
            parts.append(literal_text(node.then) + " " + literal_text(node.otherwise))
        else:
            parts.append(" ")
    return "".join(parts)


@dataclass
class Rendered:
    text: str
    missing: list[tuple[str, int, int]]  # (fact name, start, end) of each gap left in the text
    used: set[str]


def render(nodes: list[Node], facts: dict) -> Rendered:
    """Fill the template from facts (name -> Fact). A missing fact leaves a visible [gap]."""
    out: list[str] = []
    missing: list[tuple[str, int, int]] = []
    used: set[str] = set()
    length = 0

    def emit(piece: str) -> None:
        nonlocal length
        out.append(piece)
        length += len(piece)

    def walk(items: list[Node]) -> None:
        for node in items:
            if node.kind == "text":
                emit(node.text)
            elif node.kind == "var":
                fact = facts.get(node.name)
                if fact is None or fact.value in (None, ""):
                    gap = f"[{node.name}]"
                    missing.append((node.name, length, length + len(gap)))
                    emit(gap)
                    continue
                used.add(node.name)
                text = fact.display()
                if node.plural:
                    text += " " + (node.plural[0] if fact.value == 1 else node.plural[1])
                emit(text)
            else:
                fact = facts.get(node.name)
                walk(node.then if fact is not None and fact.present else node.otherwise)

    walk(nodes)
    return Rendered("".join(out), missing, used)
