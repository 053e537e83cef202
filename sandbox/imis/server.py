"""A threaded HTTP/1.1 server for the sandbox app, startable in a background thread."""

from __future__ import annotations

import io
import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from .app import DropConnection, SandboxApp
from .association import Association


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so paging clients reuse connections
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""

    def do_GET(self):
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        environ = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path).encode("utf-8").decode("latin-1"),
            "QUERY_STRING": query,
            "CONTENT_LENGTH": str(length),
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "HTTP_AUTHORIZATION": self.headers.get("Authorization", ""),
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        try:
            chunks = self.server.app(environ, start_response)
        except DropConnection:
            self._drop()
            return
        code, _, reason = captured["status"].partition(" ")
        self.send_response(int(code), reason)
        for name, value in captured["headers"]:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            for chunk in chunks:
                self.wfile.write(chunk)

    def _drop(self) -> None:
        """Close with a TCP reset and no response, like a dying gateway."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def log_message(self, format, *args):
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # Clients that time out or reset mid-answer are expected here; stay quiet.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError | ValueError):
            return
        super().handle_error(request, client_address)


class SandboxServer:
    """Serve a sandbox on 127.0.0.1 in a background thread.

    ``with SandboxServer(generate(500, seed=1)) as server: server.base_url`` gives
    ``http://127.0.0.1:<port>/imis``. Pass a SandboxApp to control credentials, faults and
    paging, or an Association plus SandboxApp keyword arguments.
    """

    def __init__(
        self, app: SandboxApp | Association, host: str = "127.0.0.1", port: int = 0, **app_kwargs
    ):
        # A SandboxApp, or another sandbox WSGI app with a root_path (payments' provider APIs).
        wsgi = isinstance(app, SandboxApp) or (callable(app) and hasattr(app, "root_path"))
        self.app = app if wsgi else SandboxApp(app, **app_kwargs)
        self.host, self.port = host, port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def association(self) -> Association:
        return self.app.association

    @property
    def faults(self):
        return self.app.faults

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{self.app.root_path}"

    def bind(self) -> str:
        """Bind the listening socket (port 0 picks a free one) and return the base URL."""
        if self._httpd is None:
            self._httpd = _Server((self.host, self.port), _Handler)
            self._httpd.app = self.app
        return self.base_url

    def start(self) -> str:
        """Bind, start serving in a daemon thread and return the base URL."""
        if self._thread is not None:
            return self.base_url
        self.bind()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"imis-sandbox-{self._httpd.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (used by the management command)."""
        self.bind()
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
