"""Columnar, growable row storage for one sandbox entity, with a per-row JSON byte cache."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

# Column kinds. Money is kept in integer cents so that balances never drift; dates and stamps
# are numpy datetime64[ms] in site-local time (iMIS serialises them without an offset).
INT = "int"
STR = "str"
DATE = "date"
MONEY = "money"
NUM = "num"
BOOL = "bool"

DT = "datetime64[ms]"
NAT = np.datetime64("NaT", "ms")
EMPTY_DATE = "0001-01-01T00:00:00"

_DTYPES = {INT: np.int64, STR: object, DATE: DT, MONEY: np.int64, NUM: np.float64, BOOL: bool}
_FILL = {INT: 0, STR: "", DATE: NAT, MONEY: 0, NUM: 0.0, BOOL: False}


def format_dates(values: np.ndarray) -> list[str]:
    """Format datetime64[ms] values the way Json.NET writes .NET DateTime (no offset).

    Fractions are trimmed of trailing zeros ("...:41.95"), whole seconds carry none, and an
    empty date becomes iMIS's 0001-01-01T00:00:00 rather than null.
    """
    out = []
    for s in np.datetime_as_string(values.astype(DT), unit="ms").tolist():
        if s == "NaT":
            out.append(EMPTY_DATE)
        elif s.endswith(".000"):
            out.append(s[:-4])
        else:
            out.append(s.rstrip("0"))
    return out


def _filled(n: int, kind: str) -> np.ndarray:
    if kind == STR:
        return obj_full(n, "")
    return np.full(n, _FILL[kind], dtype=_DTYPES[kind])


def obj_full(n: int, value) -> np.ndarray:
    """An object array holding ``n`` references to one value.

    ``np.full(n, "text", dtype=object)`` would go through a unicode array and create ``n``
    separate strings, which costs tens of megabytes at 100,000 members.
    """
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def obj_where(condition, if_true, if_false) -> np.ndarray:
    """``np.where`` for two strings, sharing the two string objects."""
    return np.array([if_false, if_true], dtype=object)[np.asarray(condition, dtype=np.int64)]


class CacheBudget:
    """Bytes of pre-serialised rows that all tables of one association may keep."""

    def __init__(self, limit: int = 1 << 30):
        self.limit = limit
        self.used = 0


def to_dt(value) -> np.datetime64:
    """Coerce a date, datetime, ISO string or datetime64 to datetime64[ms]."""
    if value is None:
        return NAT
    return np.datetime64(value, "ms")


class Table:
    """Rows of one entity as numpy columns that grow as rows are appended.

    Row order is insertion order, which is also primary-key order for integer keys, so offset
    paging over the default ordering is stable while nothing changes. Every mutation bumps
    ``version`` (query caches key on it) and drops the cached JSON of the touched rows.
    """

    def __init__(self, name: str, schema: Mapping[str, str], key: str, capacity: int = 16):
        self.name = name
        self.schema = dict(schema)
        self.key = key
        self.n = 0
        self.version = 0
        capacity = max(16, capacity)
        self._cols = {c: _filled(capacity, k) for c, k in schema.items()}
        self.cache: list[bytes | None] = []
        self.budget = CacheBudget()
        self._index: dict | None = None

    def __len__(self) -> int:
        return self.n

    def col(self, name: str) -> np.ndarray:
        """The live part of a column (a view: writes through it bypass invalidation)."""
        return self._cols[name][: self.n]

    def _grow(self, need: int) -> None:
        cap = len(next(iter(self._cols.values())))
        if need <= cap:
            return
        # Grow by a quarter: big tables (a million activity rows) would waste far more when
        # doubled, and advance() appends in batches, so the extra copies are rare.
        new_cap = max(need, cap + cap // 4 + 16)
        for c, arr in self._cols.items():
            kind = self.schema[c]
            grown = _filled(new_cap, kind)
            grown[: self.n] = arr[: self.n]
            self._cols[c] = grown

    def append(self, count: int | None = None, **values) -> np.ndarray:
        """Append rows given as column arrays (or scalars); unnamed columns take their fill."""
        if count is None:
            count = max((len(v) for v in values.values() if np.ndim(v) > 0), default=1)
        if count == 0:
            return np.empty(0, dtype=np.int64)
        unknown = set(values) - set(self.schema)
        if unknown:
            raise KeyError(f"{self.name}: unknown columns {sorted(unknown)}")
        start = self.n
        self._grow(start + count)
        for c, v in values.items():
            if self.schema[c] == DATE and not isinstance(v, np.ndarray):
                v = np.asarray(v, dtype=DT) if np.ndim(v) else to_dt(v)
            self._cols[c][start : start + count] = v
        self.n = start + count
        self.cache.extend([None] * count)
        self.version += 1
        if self._index is not None:
            keys = self._cols[self.key][start : self.n].tolist()
            for offset, k in enumerate(keys):
                self._index[k] = start + offset
        return np.arange(start, self.n, dtype=np.int64)

    def set(self, idx, **values) -> None:
        """Assign column values for rows ``idx`` (int or array) and invalidate their cache."""
        idx_arr = np.atleast_1d(np.asarray(idx, dtype=np.int64))
        if idx_arr.size == 0:
            return
        for c, v in values.items():
            if self.schema[c] == DATE and not isinstance(v, np.ndarray):
                v = np.asarray(v, dtype=DT) if np.ndim(v) else to_dt(v)
            self._cols[c][idx_arr] = v
        self.invalidate(idx_arr)

    def invalidate(self, idx: Iterable[int] | np.ndarray) -> None:
        cache, freed = self.cache, 0
        for i in np.atleast_1d(np.asarray(idx, dtype=np.int64)).tolist():
            if cache[i] is not None:
                freed += len(cache[i])
                cache[i] = None
        self.budget.used -= freed
        self.version += 1

    def remember(self, i: int, blob: bytes) -> None:
        """Cache one row's JSON if the shared budget allows."""
        if self.budget.used + len(blob) <= self.budget.limit:
            self.cache[i] = blob
            self.budget.used += len(blob)

    def get(self, i: int, name: str):
        """One value as a Python object."""
        return self._cols[name][i].item() if self.schema[name] != STR else self._cols[name][i]

    def find(self, key) -> int | None:
        """Row index for a primary-key value (built lazily; ints and strings both work)."""
        if self._index is None:
            self._index = {k: i for i, k in enumerate(self.col(self.key).tolist())}
        return self._index.get(key)

    def rows(self, idx: np.ndarray, names: Iterable[str]) -> dict[str, list]:
        """Columns for the given rows as Python lists (dates pre-formatted as iMIS strings)."""
        out = {}
        for c in names:
            values = self._cols[c][idx]
            out[c] = format_dates(values) if self.schema[c] == DATE else values.tolist()
        return out
