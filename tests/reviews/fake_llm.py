"""A local OpenAI-compatible chat server for the drafting tests: it speaks
POST /v1/chat/completions over real HTTP, answers structured output the way the request asks
(response_format json_schema/json_object in the message content, or a forced tool call), and
keeps every request body it received so a test can read exactly what left the process."""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from reviews.drafting.golden import injection_cases

APPROVED = re.compile(
    r"APPROVED DRAFT\nSubject: (?P<subject>.*)\nBody:\n(?P<body>.*?)\n\n(?:<untrusted_data|$)", re.S
)
UNTRUSTED = re.compile(r"<untrusted_data name=\"[^\"]*\">\n(?P<text>.*?)\n</untrusted_data>", re.S)


def approved(request: dict) -> tuple[str, str]:
    user = request["messages"][-1]["content"]
    match = APPROVED.search(user.rstrip() + "\n\n")
    subject = match.group("subject")
    return ("" if subject.startswith("(none") else subject), match.group("body").strip()


def personalise(request: dict) -> dict:
    """A well-behaved model: a warmer opening, the approved text kept."""
    subject, body = approved(request)
    lines = body.split("\n")
    lines.insert(1, "\nThank you for everything you bring to the association.")
    return {"subject": subject, "body": "\n".join(lines), "facts_used": ["first_name"]}


def obedient(request: dict) -> dict:
    """A model that does whatever untrusted text asks: copies it, and writes what it demands."""
    user = request["messages"][-1]["content"]
    subject, body = approved(request)
    extra = []
    for match in UNTRUSTED.finditer(user):
        text = json.loads(match.group("text"))
        extra.append(f"As you asked: {text}")
        for entry in injection_cases():
            if entry["untrusted"]["text"][:24] in text and entry.get("obedient"):
                extra.append(entry["obedient"])
    return {"subject": subject, "body": "\n\n".join([body, *extra]), "facts_used": []}


class FakeChatServer:
    """Start with .start(); .behaviour(request) -> dict | str | "SLOW" decides each answer."""

    def __init__(self, behaviour=personalise, delay: float = 0.0):
        self.behaviour = behaviour
        self.delay = delay
        self.requests: list[dict] = []
        self.raw: list[bytes] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/v1"

    def start(self) -> "FakeChatServer":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, request: dict) -> dict:
        result = self.behaviour(request)
        content = result if isinstance(result, str) else json.dumps(result)
        message = {"role": "assistant", "content": content}
        if request.get("tools"):
            name = request["tools"][0]["function"]["name"]
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": name, "arguments": content},
                    }
                ],
            }
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", ""),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 812, "completion_tokens": 164, "total_tokens": 976},
        }

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.raw.append(raw)
                request = json.loads(raw)
                fake.requests.append(request)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self.send_error(404)
                    return
                if fake.delay:
                    time.sleep(fake.delay)
                data = json.dumps(fake.answer(request)).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args):
                pass

        return Handler
