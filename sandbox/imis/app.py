"""The sandbox as a WSGI application: iMIS routes, bearer tokens, faults, control endpoints."""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import parse_qsl

import numpy as np
import orjson

from . import shapes, write_billing, writes
from .association import Association
from .entities import ENTITIES, resolve
from .faults import Decision, Faults, FaultSpecError
from .query import QueryCache, QueryError, parse_query, select
from .scan_mutation import mutate_for_scan
from .shapes import serialize_rows

JSON = "application/json; charset=utf-8"
_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    501: "Not Implemented",
    503: "Service Unavailable",
}
_DENIED = "Authorization has been denied for this request."


class DropConnection(ConnectionResetError):
    """Raised by the app to make the server close the socket without answering.

    In-process (``httpx.WSGITransport``) it reaches the caller as a ConnectionResetError.
    """


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()


def _error(status: int, message: str) -> Response:
    return Response(status, shapes.http_error(message))


class SandboxApp:
    """WSGI callable serving one Association as an iMIS site under ``root_path``.

    ``SandboxApp(generate(500, seed=1))`` then e.g.
    ``httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sandbox/imis")``.
    """

    def __init__(
        self,
        association: Association,
        *,
        username: str = "sandbox",
        password: str = "sandbox",  # noqa: S107 (the sandbox's published demo login)
        root_path: str = "/imis",
        token_ttl: float = 1199,
        default_page_size: int = 100,
        max_page_size: int = 500,
        faults: Faults | str | None = None,
        relationship_entity: str = "Name_RelationshipManager",
        clock=time.monotonic,
    ):
        self.association = association
        self.username, self.password = username, password
        self.root_path = "/" + root_path.strip("/") if root_path.strip("/") else ""
        self.token_ttl = token_ttl
        self.default_page_size, self.max_page_size = default_page_size, max_page_size
        self.faults = faults if isinstance(faults, Faults) else Faults(faults)
        self.relationship_entity = relationship_entity
        association.relationship_entity = relationship_entity
        self.clock = clock
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self._queries = QueryCache()
        self.counters: dict[str, Counter] = {}
        self.reset_counters()

    # -- WSGI ----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        raw_path = environ.get("PATH_INFO", "")
        try:
            path = raw_path.encode("latin-1").decode("utf-8")
        except UnicodeError:
            path = raw_path
        path = environ.get("SCRIPT_NAME", "") + path
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {"authorization": environ.get("HTTP_AUTHORIZATION", "")}
        response = self.handle(
            environ["REQUEST_METHOD"], path, environ.get("QUERY_STRING", ""), headers, body
        )
        out_headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body))),
            *response.headers,
        ]
        start_response(f"{response.status} {_REASONS.get(response.status, '')}", out_headers)
        return [response.body]

    def handle(self, method: str, path: str, query: str, headers: dict, body: bytes) -> Response:
        method = method.upper()
        root = self.root_path.lower()
        if not (path.lower() == root or path.lower().startswith(root + "/")):
            return _error(404, f"No HTTP resource was found that matches the request URI '{path}'.")
        rest = path[len(self.root_path) :]
        if rest.lower().startswith("/_sandbox"):
            return self._control(method, rest[len("/_sandbox") :].strip("/").lower(), query, body)
        parts = [p for p in rest.split("/") if p]
        pairs = parse_qsl(query, keep_blank_values=True)
        offset = next((int(v) for k, v in pairs if k.lower() == "offset" and v.isdigit()), 0)
        write = method in ("POST", "PUT", "DELETE", "PATCH")
        route = "/" + "/".join(parts[:2]).lower()
        self._count("requests", f"{method} {route}")
        decision = self.faults.decide(rest, write=write, continuation=offset > 0)
        if decision.delay:
            time.sleep(decision.delay)
        if decision.reset:
            raise DropConnection("sandbox fault: connection reset")
        if decision.status:
            return self._fault_response(decision)
        if parts and parts[0].lower() == "token" and len(parts) == 1:
            response = self._token(method, body)
        elif len(parts) >= 2 and parts[0].lower() == "api":
            if not self._authorized(headers.get("authorization", "")):
                response = _error(401, _DENIED)
            else:
                response = self._api(method, parts[1:], pairs, body, decision)
        else:
            response = _error(
                404, f"No HTTP resource was found that matches the request URI '{path}'."
            )
        self._count("status", str(response.status))
        if write and response.status < 300 and decision.commit:
            self._count("writes_lost", route)
            if decision.commit == "timeout":
                time.sleep(decision.commit_delay)
            raise DropConnection("sandbox fault: write committed, answer lost")
        return response

    def _fault_response(self, d: Decision) -> Response:
        self._count("status", str(d.status))
        if d.status == 429:
            return Response(
                429,
                shapes.http_error("Too many requests. Retry later."),
                headers=(("Retry-After", str(d.retry_after or 1)),),
            )
        if d.status in (502, 503):
            # Gateways in front of iMIS answer in HTML, not JSON.
            text = f"<html><body><h1>{d.status} {_REASONS[d.status]}</h1></body></html>"
            extra = (("Retry-After", str(d.retry_after)),) if d.retry_after else ()
            return Response(d.status, text.encode(), "text/html; charset=utf-8", extra)
        return _error(d.status or 500, "An error occurred. Please contact the administrator.")

    # -- auth ----------------------------------------------------------------------------
    def _token(self, method: str, body: bytes) -> Response:
        if method != "POST":
            return _error(405, f"The requested resource does not support http method '{method}'.")
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("grant_type") != "password":
            return Response(400, orjson.dumps({"error": "unsupported_grant_type"}))
        if form.get("username") != self.username or form.get("password") != self.password:
            return Response(
                400,
                orjson.dumps(
                    {
                        "error": "invalid_grant",
                        "error_description": "The user name or password is incorrect.",
                    }
                ),
            )
        ttl = self.faults.token_ttl if self.faults.token_ttl is not None else self.token_ttl
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock:
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + ttl
        issued = time.time()
        return Response(
            200,
            orjson.dumps(
                {
                    "access_token": token,
                    "token_type": "bearer",
                    "expires_in": int(ttl),
                    "userName": self.username,
                    ".issued": formatdate(issued, usegmt=True),
                    ".expires": formatdate(issued + ttl, usegmt=True),
                }
            ),
            headers=(("Cache-Control", "no-cache"),),
        )

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        with self._lock:
            expires = self._tokens.get(token.strip())
        return expires is not None and expires > self.clock()

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (the next call gets 401)."""
        with self._lock:
            self._tokens.clear()

    # -- API -----------------------------------------------------------------------------
    def _api(self, method: str, parts: list[str], pairs, body: bytes, d: Decision) -> Response:
        name = parts[0]
        if name.lower() == "comboorder" and len(parts) == 1:
            if method != "POST":
                return _error(
                    405, f"The requested resource does not support http method '{method}'."
                )
            return self._write(write_billing.combo_order, "ComboOrder", body)
        if name.lower() == "invoice" and len(parts) == 2 and parts[1].lower() == "_execute":
            if method != "POST":
                return _error(
                    405, f"The requested resource does not support http method '{method}'."
                )
            mode = self.association.adjustments
            if mode == "501":
                return _error(501, "The method or operation is not implemented.")
            if mode == "404":
                return _error(
                    404, "No HTTP resource was found that matches the request URI '/api/Invoice'."
                )
            return self._write(write_billing.execute_invoice, "Invoice", body)
        key = resolve(name, self.relationship_entity)
        if key is None:
            return _error(
                404, f"No HTTP resource was found that matches the request URI '/api/{name}'."
            )
        spec = ENTITIES[key]
        if method == "GET" and len(parts) == 1:
            return self._list(key, pairs, d)
        if method == "GET" and len(parts) == 2:
            return self._get(key, parts[1])
        if method == "PUT" and len(parts) == 2 and "PUT" in spec.writable:
            return self._write(lambda a, b: writes.put_risk(a, parts[1], b), spec.name, body)
        if method == "POST" and len(parts) == 1 and "POST" in spec.writable:
            handler = {
                "ai_audit_log": writes.post_audit,
                "activity": writes.post_activity,
                "partynote": writes.post_note,
                "subscription": write_billing.post_subscription,
            }[key]
            return self._write(handler, spec.name, body)
        return _error(405, f"The requested resource does not support http method '{method}'.")

    def _list(self, key: str, pairs, d: Decision) -> Response:
        spec = ENTITIES[key]
        assoc = self.association
        try:
            q = parse_query(pairs, self.default_page_size, self.max_page_size)
        except QueryError as exc:
            return _error(400, str(exc))
        with assoc.lock:
            try:
                idx = self._select(spec, q)
                if d.mutate and q.offset > 0:
                    rng = np.random.default_rng(self.faults.draw_seed())
                    mutate_for_scan(assoc, key, rng, idx[: q.offset])
                    idx = self._select(spec, q)
            except QueryError as exc:
                return _error(400, str(exc))
            page = idx[q.offset : q.offset + q.limit]
            items = serialize_rows(assoc, spec, page)
            total = len(idx)
        return Response(200, shapes.paged(items, q.offset, q.limit, total, spec.generic))

    def _select(self, spec, q) -> np.ndarray:
        table = self.association.tables[spec.table]
        cache_key = (spec.name, table.version, self.association.parties.version, q.cache_key())
        idx = self._queries.get(cache_key)
        if idx is None:
            idx = select(self.association, spec, q)
            self._queries.put(cache_key, idx)
        return idx

    def _get(self, key: str, raw_id: str) -> Response:
        spec = ENTITIES[key]
        assoc = self.association
        with assoc.lock:
            row = spec.find(assoc, raw_id)
            if row is None:
                return _error(404, f"{spec.name} '{raw_id}' was not found.")
            return Response(200, serialize_rows(assoc, spec, np.array([row]))[0])

    def _write(self, handler, entity: str, body: bytes) -> Response:
        self._count("writes", entity)
        try:
            data = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            return _error(400, "The request is invalid. The body is not valid JSON.")
        with self.association.lock:
            try:
                status, out = handler(self.association, data)
            except writes.WriteError as exc:
                if exc.status == 404:
                    return _error(404, exc.message)
                return Response(400, shapes.validation_error(exc.message, exc.errors))
        self._count("writes_applied", entity)
        return Response(status, out)

    # -- control -------------------------------------------------------------------------
    def reset_counters(self) -> None:
        with self._lock:
            self.counters = {
                k: Counter()
                for k in ("requests", "status", "writes", "writes_applied", "writes_lost")
            }

    def _count(self, group: str, key: str) -> None:
        with self._lock:
            self.counters[group][key] += 1

    def _control(self, method: str, action: str, query: str, body: bytes) -> Response:
        """Sandbox-only endpoints (no auth, never faulted)."""
        try:
            data = orjson.loads(body) if body.strip() else {}
        except orjson.JSONDecodeError:
            data = {"spec": body.decode("utf-8", "replace")}
        args = {**dict(parse_qsl(query)), **(data if isinstance(data, dict) else {})}
        assoc = self.association
        try:
            if action == "" and method == "GET":
                return self._json(self.info())
            if action == "advance" and method == "POST":
                changes = assoc.advance(int(args.get("days", 1)))
                return self._json({"now": str(assoc.now), "changes": changes})
            if action == "faults":
                if method in ("PUT", "POST"):
                    self.faults.set(str(args.get("spec", "")))
                elif method == "DELETE":
                    self.faults.clear()
                return self._json(self.faults.describe())
            if action == "faults/next" and method == "POST":
                self._queue_fault(args)
                return self._json(self.faults.describe())
            if action == "adjustments" and method in ("PUT", "POST"):
                mode = str(args.get("mode", "ok"))
                if mode not in write_billing.ADJUSTMENT_MODES:
                    raise ValueError(
                        f"mode must be one of {', '.join(write_billing.ADJUSTMENT_MODES)}"
                    )
                assoc.adjustments = mode
                return self._json({"adjustments": mode})
            if action == "item_shape" and method in ("PUT", "POST"):
                assoc.set_item_shape(str(args.get("shape", "")))
                return self._json({"item_shape": assoc.item_shape})
            if action == "tokens/expire" and method == "POST":
                self.expire_tokens()
                return self._json({"expired": True})
            if action == "counters":
                if method == "DELETE":
                    self.reset_counters()
                return self._json({k: dict(v) for k, v in self.counters.items()})
            if action == "malformed":
                if method == "DELETE":
                    assoc.clear_malformed()
                    return self._json({"malformed": 0})
                done = assoc.malform(
                    str(args["entity"]),
                    list(args.get("ids", [])),
                    str(args.get("kind", "bad_date")),
                )
                return self._json({"malformed": done})
        except (FaultSpecError, ValueError, KeyError, TypeError) as exc:
            return _error(400, f"Sandbox control: {exc}")
        return _error(404, f"Unknown sandbox control '{method} {action}'.")

    def _queue_fault(self, args: dict) -> None:
        kind = str(args.get("kind", "fail"))
        n = int(args.get("count", 1))
        path = args.get("path")
        if kind == "fail":
            self.faults.fail_next(
                n, int(args.get("status", 503)), path=path, retry_after=args.get("retry_after")
            )
        elif kind == "reset":
            self.faults.reset_next(n, path=path)
        elif kind == "mutate":
            self.faults.mutate_next(n, path=path)
        elif kind == "commit_timeout":
            self.faults.commit_timeout_next(n, path=path, seconds=float(args.get("seconds", 2.0)))
        elif kind == "commit_drop":
            self.faults.commit_drop_next(n, path=path)
        elif kind == "delay":
            self.faults.delay_next(n, float(args.get("seconds", 1.0)), path=path)
        else:
            raise ValueError(f"unknown fault kind {kind!r}")

    def info(self) -> dict:
        a = self.association
        return {
            "members": a.members,
            "seed": a.seed,
            "as_of": a.as_of.isoformat(),
            "now": str(a.now),
            "days_advanced": a.days_advanced,
            "rows": a.counts(),
            "root_path": self.root_path,
            "username": self.username,
            "token_ttl": self.token_ttl,
            "max_page_size": self.max_page_size,
            "faults": self.faults.describe(),
            "item_shape": a.item_shape,
            "adjustments": a.adjustments,
        }

    @staticmethod
    def _json(payload) -> Response:
        return Response(200, orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS))
