"""The board pack's summary: written by the configured chat model from the pack's figures, then
traced by the drafting guardrails (every number must be one of the figures); the deterministic
summary stands whenever no model is configured, the model fails, or its text is not traced.

Only the figures go to the model: they are aggregates (rates, totals, counts), never a member's
data, and the pack names no person.
"""

import calendar
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, Field

from common.boardpack import BoardPack
from reviews.drafting.fact import COUNT, DATE, MONEY, PERCENT, TEXT, Fact
from reviews.drafting.guardrails import BLOCK, untraced_flags
from reviews.drafting.llm import ModelFailure, ask_for_draft, configured_model
from reviews.drafting.prompts import get_prompt

PROMPT_NAME = "board_pack_summary"
MODEL, FIGURES = "model", "figures"
_MONEY = re.compile(r"^(-)?\$([\d,]+(?:\.\d+)?)$")
_PERCENT = re.compile(r"^([-+]?[\d,]*\.?\d+)\s?%$")
_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")
_DAY = re.compile(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}\b")


class SummaryOutput(BaseModel):
    """The board pack's summary, written from its figures."""

    body: str = Field(description="The summary, one sentence a line.")
    figures_used: list[str] = Field(description="Keys of the figures the summary states.")


@dataclass
class PackSummary:
    """The summary shown and printed, and how it was made."""

    lines: list[str]
    written_by: str  # MODEL or FIGURES
    model: str = ""
    prompt_version: str = ""
    fallback_reason: str = ""  # why the model's text is not the one shown
    untraced: list[str] = field(default_factory=list)  # numbers of the shown text not traced

    @property
    def by_model(self) -> bool:
        return self.written_by == MODEL

    @property
    def provenance(self) -> str:
        """One line for the page and the PDF: who wrote the summary and how it was checked."""
        if self.by_model:
            return (
                f"Summary written by the language model {self.model} from the figures below; "
                "every number in it was checked against them."
            )
        if self.fallback_reason:
            return f"Summary made from the figures (no model): {self.fallback_reason}"
        return "Summary made from the figures (no model is configured)."


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def figure_facts(pack: BoardPack) -> list[Fact]:
    """The pack's figures as the facts the drafting tracer knows.

    A value is typed: an amount (its sign is words: "differs by -$5.00" reads "$5.00"), a
    percentage, or else a count ("41 days", "+2.1 points"). Numbers in a label or a note ("Over
    90 days", "12 of 40 decided") are text facts, never amounts: "$90" is not traced. (The
    drafting tracer lets a number it has seen written stand before a "%", so "90 %" is; an
    untraced percentage is one that no figure, label or note holds.) Each value and note also
    counts as shown, and the month, its last day and the days notes name ("as of 30 Nov 2026")
    are dates.
    """
    facts = [
        Fact("month", pack.month, "board pack", DATE),
        Fact(
            "month_end",
            pack.month.replace(day=calendar.monthrange(pack.month.year, pack.month.month)[1]),
            "board pack",
            DATE,
        ),
    ]
    for section, figure in pack.figures():
        name = f"{section.key}.{figure.key}"
        value = figure.value.strip()
        money, percent = _MONEY.match(value), _PERCENT.match(value)
        if money:
            amount = _decimal(money.group(2))
            if amount is not None:
                facts.append(Fact(name, amount, name, MONEY))
        elif percent:
            share = _decimal(percent.group(1))
            if share is not None:
                facts.append(Fact(name, abs(share), name, PERCENT))
        else:
            for i, raw in enumerate(_NUMBER.findall(value)):
                number = _decimal(raw)
                if number is not None:
                    facts.append(Fact(f"{name}.{i}", abs(number), name, COUNT))
        for where, text in (("value", value), ("label", figure.label), ("note", figure.note)):
            if any(ch.isdigit() for ch in text):
                facts.append(Fact(f"{name}.{where}", text, name, TEXT))
            if where != "value":
                for i, raw in enumerate(_NUMBER.findall(text)):
                    facts.append(Fact(f"{name}.{where}.{i}", raw.lstrip("+-"), name, TEXT))
            for i, raw in enumerate(_DAY.findall(text)):
                try:
                    when = datetime.strptime(raw, "%d %b %Y").date()
                except ValueError:
                    continue
                facts.append(Fact(f"{name}.{where}.date{i}", when, name, DATE))
    return facts


def untraced_numbers(lines: list[str], facts: list[Fact]) -> list[str]:
    """The numbers of a summary that no figure gives, by the drafting guardrails' tracer."""
    return [
        line[flag["start"] : flag["end"]]
        for line in lines
        for flag in untraced_flags("summary", line, facts)
        if flag["severity"] == BLOCK
    ]


def _figures_text(pack: BoardPack) -> str:
    return "\n".join(
        f"- {section.key}.{figure.key} | {figure.label} | {figure.value}"
        + (f" | {figure.note}" if figure.note else "")
        for section, figure in pack.figures()
        if figure.key != "error"
    )


def summary_messages(pack: BoardPack) -> tuple[str, list[tuple[str, str]]]:
    """The prompt's version and its messages: the month, the figures and the plain summary."""
    prompt = get_prompt(PROMPT_NAME)
    messages = prompt.messages(
        month=f"{pack.month:%B %Y}",
        figures=_figures_text(pack),
        plain="\n".join(pack.summary),
    )
    return prompt.label, messages


def pack_summary(pack: BoardPack) -> PackSummary:
    """The summary to show: the model's when one is configured and every number it writes is
    one of the figures; otherwise the deterministic one, saying why."""
    facts = figure_facts(pack)
    plain = PackSummary(pack.summary, FIGURES, untraced=untraced_numbers(pack.summary, facts))
    model = configured_model()
    if not model:
        return plain
    version, messages = summary_messages(pack)
    plain.model, plain.prompt_version = model, version
    try:
        answer = ask_for_draft(messages, model=model, schema=SummaryOutput)
    except ModelFailure as exc:
        plain.fallback_reason = f"the model gave no summary: {exc}."
        return plain
    lines = [" ".join(line.split()) for line in answer.output.body.splitlines()]
    lines = [line for line in lines if line]
    untraced = untraced_numbers(lines, facts)
    if untraced:
        shown = ", ".join(f"“{n}”" for n in dict.fromkeys(untraced))
        plain.fallback_reason = (
            f"the model's summary was refused because it states {shown}, which "
            f"{'is' if len(set(untraced)) == 1 else 'are'} not among the figures."
        )
        return plain
    return PackSummary(lines, MODEL, model=model, prompt_version=version)
