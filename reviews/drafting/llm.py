"""Any chat model through langchain's init_chat_model, asked for structured output with a
timeout and a retry. Callers give masked messages only; failures come back as a reason."""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from langchain_core.exceptions import OutputParserException
from pydantic import BaseModel, Field, ValidationError

logger = logging.getLogger(__name__)
MALFORMED = "the model's answer was not the requested structure"


class DraftOutput(BaseModel):
    """A personalised message drafted within the approved template."""

    subject: str = Field(description="Email subject; empty for SMS.")
    body: str = Field(description="The message text, without signature or opt-out lines.")
    facts_used: list[str] = Field(description="Names of the facts the message states.")


class ModelFailure(Exception):
    """The model gave no usable answer; the message says why, for the review item."""


@dataclass
class ModelAnswer:
    output: DraftOutput  # or the ``schema`` the caller asked for
    model: str
    latency_ms: int
    tokens_in: int | None
    tokens_out: int | None
    raw_text: str
    attempts: int


def configured_model(override: str | None = None) -> str:
    return (override if override is not None else settings.LLM_MODEL).strip()


def chat_model(model: str):
    from langchain.chat_models import init_chat_model

    kwargs = {"timeout": settings.LLM_TIMEOUT_S, "max_retries": 0}
    if settings.LLM_BASE_URL:
        kwargs["base_url"] = settings.LLM_BASE_URL
        # Local OpenAI-compatible servers need no key, but the client insists on one.
        kwargs["api_key"] = settings.LLM_API_KEY or "not-needed"
    elif settings.LLM_API_KEY:
        kwargs["api_key"] = settings.LLM_API_KEY
    try:
        return init_chat_model(model, **kwargs)
    except ValueError:
        if not settings.LLM_BASE_URL:
            raise
        # An OpenAI-compatible server's own model name ("llama3.1:8b") names no provider.
        return init_chat_model(model, model_provider="openai", **kwargs)


def _raw_text(raw) -> str:
    if raw is None:
        return ""
    calls = getattr(raw, "tool_calls", None) or []
    if calls:
        return str(calls[0].get("args", ""))
    content = getattr(raw, "content", "")
    return content if isinstance(content, str) else str(content)


def _usage(raw) -> tuple[int | None, int | None]:
    usage = getattr(raw, "usage_metadata", None) or {}
    return usage.get("input_tokens"), usage.get("output_tokens")


def ask_for_draft(
    messages: list[tuple[str, str]], *, model: str, schema: type[BaseModel] = DraftOutput
) -> ModelAnswer:
    """One structured answer, retried LLM_MAX_RETRIES times; ModelFailure says why not.

    ``schema`` is the answer's structure; any schema with a ``body`` text (a draft, the board
    pack's summary) goes through the same timeout, retry and failure reasons."""
    method = settings.LLM_STRUCTURED_OUTPUT
    try:
        runnable = chat_model(model).with_structured_output(schema, method=method, include_raw=True)
    except Exception as exc:  # a bad provider name or a missing package
        raise ModelFailure(f"the model {model!r} could not be set up ({exc})") from exc
    attempts = 1 + max(settings.LLM_MAX_RETRIES, 0)
    started = time.monotonic()
    tokens_in = tokens_out = None
    reason = ""
    for attempt in range(1, attempts + 1):
        try:
            result = runnable.invoke(messages)
        except Exception as exc:
            name = type(exc).__name__
            if "Timeout" in name or "timed out" in str(exc).lower():
                reason = f"the model did not answer within {settings.LLM_TIMEOUT_S:g} s"
            elif isinstance(exc, ValidationError | OutputParserException | ValueError):
                # Raised while reading the answer (the OpenAI client parses json_schema output).
                reason = MALFORMED
            else:
                reason = f"the model call failed ({name}: {str(exc)[:120]})"
            logger.warning("draft model attempt %s/%s: %s", attempt, attempts, reason)
            continue
        raw = result.get("raw")
        used_in, used_out = _usage(raw)
        if used_in is not None:
            tokens_in = (tokens_in or 0) + used_in
        if used_out is not None:
            tokens_out = (tokens_out or 0) + used_out
        parsed = result.get("parsed")
        if result.get("parsing_error") is not None or parsed is None:
            reason = MALFORMED
            logger.warning("draft model attempt %s/%s: %s", attempt, attempts, reason)
            continue
        if not parsed.body.strip():
            reason = "the model's answer had no message text"
            continue
        return ModelAnswer(
            output=parsed,
            model=model,
            latency_ms=int((time.monotonic() - started) * 1000),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            raw_text=_raw_text(raw),
            attempts=attempt,
        )
    raise ModelFailure(f"{reason} ({attempts} attempt{'s' if attempts > 1 else ''})")
