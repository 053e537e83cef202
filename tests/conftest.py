"""Shared fixtures: role users, a real worker, a sandbox iMIS over HTTP, Chromium via Playwright."""

import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from common import roles
from tests.support import flush

flush.install()

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "correct-horse-battery-staple"

ROLE_USERNAMES = {
    roles.MEMBERSHIP: "maya",
    roles.FINANCE: "frank",
    roles.MANAGER: "grace",
    roles.ADMINISTRATOR: "arjun",
}


def pytest_collection_modifyitems(config, items):
    """Mark tests by what they start: a real browser, a real worker cluster (see pyproject).

    Slow tests (the soak) go first: run in parallel, the process that takes one works on it
    while the others share out everything else, instead of the soak starting last.
    """
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & {"page", "browser"}:
            item.add_marker(pytest.mark.browser)
        if "worker" in fixtures:
            item.add_marker(pytest.mark.worker)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def association_time(iso: str) -> datetime:
    """A wall-clock time in the association's time zone (settings.TIME_ZONE), as an aware value."""
    return datetime.fromisoformat(iso).replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


@pytest.fixture(scope="session", autouse=True)
def moved_clock():
    """TEST_CLOCK=2028-02-29T09:00 runs the whole suite as if it were then (association time).

    It finds tests that pass or fail by the calendar: a test that depends on the date must freeze
    its own clock (the ``clock`` fixture), and then passes whatever TEST_CLOCK says.
    """
    when = os.environ.get("TEST_CLOCK")
    if not when:
        yield None
        return
    with time_machine.travel(association_time(when), tick=True):
        yield when


@pytest.fixture
def clock():
    """Freeze the test's clock: ``clock("2026-11-10T12:00")`` (association time), ticking on."""
    travels = []

    def move_to(iso: str, tick: bool = True):
        travel = time_machine.travel(association_time(iso), tick=tick)
        travel.start()
        travels.append(travel)

    yield move_to
    for travel in reversed(travels):
        travel.stop()


@pytest.fixture(autouse=True)
def audit_anchor_dir(settings, tmp_path):
    """Each test anchors its own audit trail (ids differ between test databases)."""
    settings.AUDIT_ANCHOR_DIR = str(tmp_path / "audit-anchors")
    return Path(settings.AUDIT_ANCHOR_DIR)


@pytest.fixture
def make_user(db):
    def make(role: str | None, username: str | None = None, **extra):
        username = username or (ROLE_USERNAMES.get(role) if role else "norole")
        user = get_user_model().objects.create_user(
            username=username,
            password=PASSWORD,
            first_name=username.title(),
            **{"is_staff": role == roles.ADMINISTRATOR, **extra},
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


def database_url_for_tests() -> str:
    """The URL of the test database, for processes the tests start (workers, servers)."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def subprocess_env(**overrides) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url_for_tests(),
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


@pytest.fixture
def worker_env() -> dict:
    """Extra environment for the worker process; a test module overrides it (e.g. IMIS_*)."""
    return {}


@pytest.fixture
def worker(transactional_db, worker_env):
    """A real django-q2 cluster (`manage.py qcluster`) working on the test database."""
    log = ARTIFACTS / "worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=subprocess_env(**worker_env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    # A stopped cluster must not leave connections that block dropping the test database.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def at_once(work, times: int = 2) -> list:
    """Run ``work()`` on ``times`` threads, each on its own database connection, let go together
    by a barrier; returns what each returned or raised, in the order they finished."""
    barrier = threading.Barrier(times)
    outcomes: list = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(work())
        except Exception as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def association():
    """A generated association of 300 members as of the sandbox's default date."""
    from sandbox.imis import generate
    from sandbox.imis.generator import DEFAULT_AS_OF

    return generate(300, seed=11, as_of=DEFAULT_AS_OF)


@pytest.fixture
def sandbox(association):
    """The association served as iMIS over real HTTP on 127.0.0.1 (``sandbox.base_url``)."""
    from sandbox.imis import SandboxApp, SandboxServer

    app = SandboxApp(association, token_ttl=600)
    with SandboxServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: ./scripts/test.sh installs it")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


# The page's own securitypolicyviolation events, logged with a prefix of ours: Chromium's console
# wording changes between versions ("Refused to apply ..." before, "Applying inline style
# violates ..." now), the event does not.
CSP_EVENT_LOGGER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.effectiveDirective} refused ${e.blockedURI || "inline"}` +
    ` at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
});
"""


def csp_refusals(tab) -> list[str]:
    """What the Content-Security-Policy refused on this tab, as the browser reported it."""
    refused: list[str] = []

    def on_console(message) -> None:
        text = message.text
        if message.type == "error" and (
            text.startswith(("Refused to", "CSP violation:")) or "Content Security Policy" in text
        ):
            refused.append(f"{tab.url}: {text}")

    tab.add_init_script(CSP_EVENT_LOGGER)
    tab.on("console", on_console)
    return refused


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    refused = csp_refusals(tab)
    yield tab
    context.close()
    # every browser test is also a CSP test: nothing it did may need more than the policy allows
    assert refused == [], "the Content-Security-Policy refused:\n" + "\n".join(refused)


def screenshot(tab, name: str) -> Path:
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(path), full_page=True)
    return path


def browser_login(tab, username: str, password: str = PASSWORD) -> None:
    tab.goto("/accounts/login/")
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(lambda url: "/accounts/login/" not in url)


assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on a free local port; Django's SMTP backend delivers to it."""
    from common.mailsink import MailSink

    sink = MailSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    sink.stop()
