"""The iMIS REST client: token login, paging, retries with backoff, a bounded request rate.

Only this module talks HTTP to iMIS. It returns decoded JSON (dicts); turning iMIS JSON into typed
records is the job of ``imis_client.contracts``.
"""

import logging
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from urllib.parse import urlsplit

import httpx
import orjson

from imis_client.errors import (
    ImisAmbiguousWrite,
    ImisAuthError,
    ImisError,
    ImisRequestError,
    ImisUnavailable,
)
from imis_client.paged import Page, parse_paged, parse_paged_raw

log = logging.getLogger(__name__)


RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class RateLimiter:
    """A token bucket shared by every thread of one client: at most ``rate`` requests a second."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._lock = threading.Lock()
        self._next = time.monotonic()

    def wait(self) -> None:
        if not self.rate:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + 1.0 / self.rate
        delay = slot - now
        if delay > 0:
            time.sleep(delay)


def _error_message(response: httpx.Response) -> str:
    """iMIS's own words from an error body, whatever its shape."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("error_description", "Message", "message", "error", "ExceptionMessage"):
            if body.get(key):
                return str(body[key])[:500]
        errors = body.get("ValidationResults") or body.get("Errors")
        if errors:
            return str(errors)[:500]
    return str(body)[:500]


class ImisClient:
    """A session with one iMIS site. Thread-safe: pages may be fetched from several threads."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        page_size: int = 500,
        timeout: float = 30.0,
        max_rps: float | None = None,
        max_attempts: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        concurrency: int = 3,
        transport: httpx.BaseTransport | None = None,
        sleep=time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self.page_size = page_size
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.concurrency = max(1, concurrency)
        self._sleep = sleep
        self._options = {
            "page_size": page_size,
            "timeout": timeout,
            "max_rps": max_rps,
            "max_attempts": max_attempts,
            "backoff_base": backoff_base,
            "backoff_cap": backoff_cap,
        }
        self._limiter = RateLimiter(max_rps)
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()
        self.stats = {"requests": 0, "retries": 0, "logins": 0}
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            limits=httpx.Limits(max_connections=self.concurrency + 2),
            headers={"Accept": "application/json"},
        )

    @classmethod
    def from_settings(cls, **overrides) -> "ImisClient":
        from django.conf import settings

        options = {
            "page_size": settings.IMIS_PAGE_SIZE,
            "timeout": settings.IMIS_TIMEOUT_S,
            "max_rps": settings.IMIS_MAX_RPS,
        }
        options.update(overrides)
        return cls(
            settings.IMIS_BASE_URL, settings.IMIS_USERNAME, settings.IMIS_PASSWORD, **options
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ImisClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def worker_options(self, *, share: int) -> dict:
        """Options for a client in a worker process: the request-rate cap split across them."""
        options = dict(self._options, concurrency=1)
        if options["max_rps"]:
            options["max_rps"] = options["max_rps"] / share
        return options

    @property
    def site(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"

    # --- authentication -----------------------------------------------------------------

    def login(self) -> str:
        """Get a bearer token. Wrong credentials stop at once; no retry can fix them."""
        with self._token_lock:
            return self._login_locked()

    def _login_locked(self) -> str:
        def attempt():
            return self._http.post(
                f"{self.base_url}/token",
                data={
                    "grant_type": "password",
                    "username": self.username,
                    "password": self._password,
                },
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )

        response = self._with_retries("POST", "/token", attempt, write=False)
        if response.status_code == 400 or response.status_code == 401:
            raise ImisAuthError(
                f"iMIS rejected the username or password for {self.site} "
                f"({_error_message(response)}). Check IMIS_USERNAME and IMIS_PASSWORD."
            )
        if response.status_code >= 400:
            raise ImisRequestError(
                f"iMIS at {self.site} refused the login with HTTP {response.status_code}: "
                f"{_error_message(response)}",
                status=response.status_code,
            )
        body = response.json()
        token = body.get("access_token")
        if not token:
            raise ImisError(f"iMIS at {self.site} answered the login without an access_token.")
        expires_in = float(body.get("expires_in") or 1200)
        # Log in again shortly before expiry: a token that dies mid-request costs a retry.
        self._token = token
        self._token_expires = time.monotonic() + max(expires_in * 0.9, expires_in - 60)
        self.stats["logins"] += 1
        return token

    def _current_token(self) -> str:
        with self._token_lock:
            if self._token is None or time.monotonic() >= self._token_expires:
                self._login_locked()
            assert self._token is not None  # set by the login, or it raised
            return self._token

    def _drop_token(self, stale: str) -> None:
        with self._token_lock:
            if self._token == stale:
                self._token = None

    # --- requests -----------------------------------------------------------------------

    def _backoff(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None:
            retry_after = response.headers.get("Retry-After")
            if retry_after:
                try:
                    return min(float(retry_after), self.backoff_cap * 4)
                except ValueError:
                    pass
        # Full jitter: spreads retries of concurrent workers instead of synchronising them.
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))

    def _with_retries(self, method: str, path: str, send, *, write: bool) -> httpx.Response:
        last_error = ""
        for attempt in range(self.max_attempts):
            self._limiter.wait()
            self.stats["requests"] += 1
            response = None
            try:
                response = send()
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                if write and not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
                    # The request left: iMIS may have committed it. The caller must read back.
                    raise ImisAmbiguousWrite(
                        f"{method} {path} on {self.site} got no answer ({type(exc).__name__}); "
                        "iMIS may or may not have applied it."
                    ) from exc
                last_error = f"{type(exc).__name__}: {exc}".strip()
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    return response
                last_error = f"HTTP {response.status_code}: {_error_message(response)}"
                if write and response.status_code not in (429, 503):
                    # A 500/502/504 may come after iMIS committed the write: read back first.
                    raise ImisAmbiguousWrite(
                        f"{method} {path} on {self.site} failed with {last_error}; "
                        "iMIS may or may not have applied it."
                    )
            if attempt + 1 < self.max_attempts:
                self.stats["retries"] += 1
                delay = self._backoff(attempt, response)
                log.info("iMIS %s %s failed (%s); retry in %.2fs", method, path, last_error, delay)
                self._sleep(delay)
        raise ImisUnavailable(
            f"iMIS at {self.site} did not answer {method} {path} after {self.max_attempts} "
            f"tries; last error: {last_error}"
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: object | None = None,
        write: bool = False,
    ) -> dict | list | None:
        """One API call, with login, one re-login on 401, and retries. Returns decoded JSON."""
        response = self._answer(method, path, params=params, json=json, write=write)
        if not response.content:
            return None
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise _not_json(method, path, response) from exc

    def get_bytes(self, path: str, params: dict | None = None) -> bytes:
        """A GET's body as iMIS sent it (for callers that decode it themselves)."""
        return self._answer("GET", path, params=params).content

    def _answer(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: object | None = None,
        write: bool = False,
    ) -> httpx.Response:
        """A successful answer to one API call, or the error that says why there is none."""
        url = f"{self.base_url}{path}"
        content = orjson.dumps(json) if json is not None else None
        for auth_attempt in range(2):
            token = self._current_token()
            headers = {"Authorization": f"Bearer {token}"}
            if content is not None:
                headers["Content-Type"] = "application/json"

            def send(headers=headers):
                return self._http.request(
                    method, url, params=params, content=content, headers=headers
                )

            response = self._with_retries(method, path, send, write=write)
            if response.status_code == 401 and auth_attempt == 0:
                self._drop_token(token)
                continue
            break
        if response.status_code == 401:
            raise ImisAuthError(
                f"iMIS at {self.site} refused the token for {method} {path} twice "
                f"({_error_message(response)}). Check the account's rights."
            )
        if response.status_code >= 400:
            raise ImisRequestError(
                f"iMIS refused {method} {path} with HTTP {response.status_code}: "
                f"{_error_message(response)}",
                status=response.status_code,
                body=response.text[:2000],
            )
        return response

    def get(self, path: str, params: dict | None = None):
        return self.request("GET", path, params=params)

    def post(self, path: str, body: object):
        return self.request("POST", path, json=body, write=True)

    def put(self, path: str, body: object):
        return self.request("PUT", path, json=body, write=True)

    # --- paging -------------------------------------------------------------------------

    def fetch_page(
        self, entity: str, params: dict | None, offset: int, limit: int, *, raw: bool = False
    ) -> Page:
        """One page of a list. ``raw``: its items are each record's JSON text as iMIS sent it
        (bytes), for callers that decode only what they need and keep the text."""
        query = dict(params or {})
        query.update(offset=offset, limit=limit)
        path = f"/api/{entity}"
        if raw:
            return parse_paged_raw(self.get_bytes(path, query), entity, path)
        return parse_paged(self.get(path, query), entity)

    def iter_pages(
        self, entity: str, params: dict | None = None, *, start_offset: int = 0, raw: bool = False
    ) -> Iterator[Page]:
        """Every page of a list, in order, following NextOffset (``raw``: see fetch_page).

        After the first page tells the server's real page size and total, the next pages are
        fetched ahead by a small thread pool; they are still yielded in order, and the chain of
        NextOffset is checked so that a page the server shaped differently is fetched again.
        """
        fetch_page = partial(self.fetch_page, raw=raw)
        first = fetch_page(entity, params, start_offset, self.page_size)
        yield first
        if not first.has_next or first.next_offset is None:
            return
        limit = max(first.limit or len(first.items) or self.page_size, 1)
        expected: int | None = first.next_offset
        if self.concurrency == 1 or first.total is None:
            while expected is not None:
                page = fetch_page(entity, params, expected, limit)
                yield page
                expected = page.next_offset if page.has_next else None
            return
        start = first.next_offset  # an int here: checked above
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            offsets = list(range(start, max(first.total, start + 1), limit))
            ahead = self.concurrency * 2
            futures: dict = {}
            index = 0

            def submit_upto(i):
                while len(futures) < ahead and i < len(offsets):
                    off = offsets[i]
                    futures[off] = pool.submit(fetch_page, entity, params, off, limit)
                    i += 1
                return i

            index = submit_upto(index)
            while expected is not None:
                if expected in futures:
                    page = futures.pop(expected).result()
                else:
                    # Rows were added past the total seen at the start: continue one by one.
                    page = fetch_page(entity, params, expected, limit)
                index = submit_upto(index)
                yield page
                expected = page.next_offset if page.has_next else None
            for future in futures.values():
                future.cancel()


def _not_json(method: str, path: str, response: httpx.Response) -> ImisError:
    return ImisError(
        f"iMIS answered {method} {path} with something that is not JSON: {response.text[:200]!r}"
    )
