"""Switchable, seeded faults: the failures a client of a real iMIS site has to survive.

Spec grammar (comma-separated ``key=value``; durations take ``ms``/``s``, bare = seconds;
rates are probabilities per request in [0, 1])::

    latency=20ms      added to every request          jitter=10ms   uniform extra delay
    429=0.05          rate of 429 Too Many Requests   retry_after=1 Retry-After seconds
    5xx=0.02          rate of 500/502/503 (one of)    500= 502= 503= rate of that code only
    burst=3           a triggered 5xx repeats for the next burst-1 requests too
    reset=0.01        close the connection without answering
    expire=30         tokens issued from now on live 30 s (then 401)
    mutate=0.01       before a continuation page (offset > 0): insert and update rows
    commit_timeout=P  a write is applied, then the answer is held commit_delay and dropped
    commit_delay=2s   how long commit_timeout holds the connection (default 2 s)
    commit_drop=P     a write is applied, then the connection is closed at once
    seed=7            seeds the fault generator (default 0): same requests, same faults

Faults also queue for the next N matching requests (``fail_next``, ``reset_next`` ...), which
is what a test uses to say "fail the next 3 requests with 503".
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass

_RATES = ("429", "5xx", "500", "502", "503", "reset", "mutate", "commit_timeout", "commit_drop")
_DURATIONS = ("latency", "jitter", "commit_delay")
_INTS = ("retry_after", "burst", "seed")
_FLOATS = ("expire",)
KINDS = ("fail", "reset", "mutate", "commit_timeout", "commit_drop", "delay")


class FaultSpecError(ValueError):
    """A fault spec string that cannot be parsed."""


def parse_duration(text: str) -> float:
    value = text.strip().lower()
    try:
        if value.endswith("ms"):
            return float(value[:-2]) / 1000.0
        if value.endswith("s"):
            return float(value[:-1])
        return float(value)
    except ValueError:
        raise FaultSpecError(f"{text!r} is not a duration (use e.g. 20ms or 1.5s)") from None


def parse_spec(spec: str | None) -> dict[str, float]:
    """Parse a fault spec into a settings mapping (see the module docstring)."""
    settings: dict[str, float] = {}
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep:
            raise FaultSpecError(f"{part!r} needs a value: key=value")
        try:
            if key in _RATES:
                rate = float(value)
                if not 0.0 <= rate <= 1.0:
                    raise FaultSpecError(f"{key} must be a probability in [0, 1], not {value}")
                settings[key] = rate
            elif key in _DURATIONS:
                settings[key] = parse_duration(value)
            elif key in _INTS:
                settings[key] = int(value)
            elif key in _FLOATS:
                settings[key] = parse_duration(value)
            else:
                raise FaultSpecError(f"unknown fault {key!r}")
        except ValueError as exc:
            if isinstance(exc, FaultSpecError):
                raise
            raise FaultSpecError(f"{part!r}: {value!r} is not a number") from None
    return settings


@dataclass
class Decision:
    """What to do to one request."""

    delay: float = 0.0
    status: int | None = None
    retry_after: int | None = None
    reset: bool = False
    mutate: bool = False
    commit: str | None = None  # "timeout" or "drop"
    commit_delay: float = 0.0


@dataclass
class _Queued:
    kind: str
    remaining: int
    path: str | None
    status: int = 503
    retry_after: int | None = None
    seconds: float = 0.0


class Faults:
    """Fault settings and queue for one sandbox app; thread-safe and seeded."""

    def __init__(self, spec: str | None = None):
        self._lock = threading.Lock()
        self._queue: list[_Queued] = []
        self.injected: Counter = Counter()
        self.set(spec or "")

    # -- configuration -------------------------------------------------------------------
    def set(self, spec: str) -> None:
        """Replace the random fault settings (the queue is kept)."""
        settings = parse_spec(spec)
        with self._lock:
            self.spec = spec
            self.settings = settings
            self._rng = random.Random(int(settings.get("seed", 0)))
            self._burst_left = 0
            self._burst_status = 503

    def clear(self) -> None:
        """No random faults and nothing queued."""
        self.set("")
        with self._lock:
            self._queue.clear()

    @property
    def token_ttl(self) -> float | None:
        return self.settings.get("expire")

    def _enqueue(self, kind: str, n: int, path: str | None, **params) -> None:
        if n < 1:
            raise ValueError("n must be at least 1")
        with self._lock:
            self._queue.append(_Queued(kind, n, path.lower() if path else None, **params))

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        *,
        path: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``n`` requests (whose path contains ``path``) with ``status``."""
        self._enqueue("fail", n, path, status=status, retry_after=retry_after)

    def reset_next(self, n: int = 1, *, path: str | None = None) -> None:
        """Drop the connection of the next ``n`` requests without answering."""
        self._enqueue("reset", n, path)

    def mutate_next(self, n: int = 1, *, path: str | None = None) -> None:
        """Insert/update rows before the next ``n`` continuation pages (offset > 0)."""
        self._enqueue("mutate", n, path)

    def commit_timeout_next(
        self, n: int = 1, *, path: str | None = None, seconds: float = 2.0
    ) -> None:
        """Apply the next ``n`` writes, hold the answer ``seconds``, then drop the connection."""
        self._enqueue("commit_timeout", n, path, seconds=seconds)

    def commit_drop_next(self, n: int = 1, *, path: str | None = None) -> None:
        """Apply the next ``n`` writes, then drop the connection without answering."""
        self._enqueue("commit_drop", n, path)

    def delay_next(self, n: int = 1, seconds: float = 1.0, *, path: str | None = None) -> None:
        """Delay the next ``n`` requests by ``seconds`` (to trip client timeouts)."""
        self._enqueue("delay", n, path, seconds=seconds)

    def draw_seed(self) -> int:
        """A seed for a fault's own random choices (e.g. which rows a mutation touches)."""
        with self._lock:
            return self._rng.getrandbits(63)

    def describe(self) -> dict:
        with self._lock:
            return {
                "spec": self.spec,
                "settings": dict(self.settings),
                "queued": [q.__dict__.copy() for q in self._queue],
                "injected": dict(self.injected),
            }

    # -- decisions -----------------------------------------------------------------------
    def decide(self, path: str, *, write: bool, continuation: bool) -> Decision:
        """Faults for one request; consumes queued entries and random draws in order."""
        d = Decision()
        low = path.lower()
        with self._lock:
            for q in list(self._queue):
                if q.path and q.path not in low:
                    continue
                if q.kind in ("commit_timeout", "commit_drop") and not write:
                    continue
                if q.kind == "mutate" and not continuation:
                    continue
                q.remaining -= 1
                if q.remaining <= 0:
                    self._queue.remove(q)
                self._apply(d, q)
                break
            s, rng = self.settings, self._rng
            d.delay += s.get("latency", 0.0) + rng.uniform(0, s.get("jitter", 0.0))
            if d.status is None and not d.reset:
                if self._burst_left > 0:
                    self._burst_left -= 1
                    d.status = self._burst_status
                elif rng.random() < s.get("reset", 0.0):
                    d.reset = True
                elif rng.random() < s.get("429", 0.0):
                    d.status = 429
                    d.retry_after = int(s.get("retry_after", 1))
                else:
                    d.status = self._draw_5xx(rng, s)
            if write and d.commit is None and d.status is None and not d.reset:
                if rng.random() < s.get("commit_timeout", 0.0):
                    d.commit, d.commit_delay = "timeout", s.get("commit_delay", 2.0)
                elif rng.random() < s.get("commit_drop", 0.0):
                    d.commit = "drop"
            if continuation and not d.mutate and rng.random() < s.get("mutate", 0.0):
                d.mutate = True
            self._tally(d)
        return d

    def _tally(self, d: Decision) -> None:
        """Count what was injected, for the counters endpoint and test assertions."""
        if d.reset:
            self.injected["reset"] += 1
        if d.mutate:
            self.injected["mutate"] += 1
        if d.commit:
            self.injected[f"commit_{d.commit}"] += 1
        if d.status:
            self.injected[str(d.status)] += 1

    def _draw_5xx(self, rng: random.Random, s: dict) -> int | None:
        status = None
        if rng.random() < s.get("5xx", 0.0):
            status = rng.choice((500, 502, 503))
        else:
            for code in ("500", "502", "503"):
                if rng.random() < s.get(code, 0.0):
                    status = int(code)
                    break
        if status is not None:
            self._burst_left = max(int(s.get("burst", 1)) - 1, 0)
            self._burst_status = status
        return status

    @staticmethod
    def _apply(d: Decision, q: _Queued) -> None:
        if q.kind == "fail":
            d.status, d.retry_after = q.status, q.retry_after
            if q.status == 429 and d.retry_after is None:
                d.retry_after = 1
        elif q.kind == "reset":
            d.reset = True
        elif q.kind == "mutate":
            d.mutate = True
        elif q.kind == "commit_timeout":
            d.commit, d.commit_delay = "timeout", q.seconds
        elif q.kind == "commit_drop":
            d.commit = "drop"
        elif q.kind == "delay":
            d.delay += q.seconds
