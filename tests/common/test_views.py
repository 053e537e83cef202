"""Health check, home page state, and the job pages' behaviour."""

import json
import subprocess
import sys
import time

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone

from common import roles, services
from common.models import JobRun, WorkerHeartbeat
from tests.conftest import PASSWORD, ROOT, subprocess_env


@pytest.mark.django_db
def test_healthz_reports_database_and_stale_workers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["workers"]["alive"] is False
    assert client.get("/healthz?require_workers=1").status_code == 503


@pytest.mark.django_db
def test_healthz_counts_a_recent_heartbeat_as_alive(client, make_user):
    WorkerHeartbeat.objects.create(host="w1", last_seen=timezone.now())
    body = client.get("/healthz?require_workers=1").json()
    assert body == {"status": "ok", "database": {"ok": True}, "workers": {"alive": True}}
    make_user(roles.MANAGER)
    client.login(username="grace", password=PASSWORD)
    body = client.get("/healthz?require_workers=1").json()
    assert body["workers"]["alive"] is True
    assert body["workers"]["host"] == "w1"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_unreachable():
    # given the real server started against a database port where nothing listens
    dead_port = _free_port()
    port = _free_port()
    env = subprocess_env(DATABASE_URL=f"postgres://postgres@127.0.0.1:{dead_port}/nowhere")
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # then it answers 503 and says the database is down
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    # and, to a caller not signed in, nothing of the error's text
    assert body == {"status": "unavailable", "database": {"ok": False}, "workers": {"alive": None}}


@pytest.mark.django_db
def test_home_shows_failed_jobs_and_worker_state(client, make_user):
    make_user(roles.ADMINISTRATOR)
    JobRun.objects.create(
        kind="tests.fail", label="Test", status=JobRun.Status.FAILED, finished_at=timezone.now()
    )
    client.login(username="arjun", password=PASSWORD)
    html = client.get(reverse("home")).content.decode()
    assert "Never seen" in html
    assert '<span class="badge badge-danger">1</span>' in html


@pytest.mark.django_db
def test_job_list_filters_and_sorts(client, make_user):
    make_user(roles.MANAGER)
    client.login(username="grace", password=PASSWORD)
    a = JobRun.objects.create(kind="tests.steps", label="Steps", status=JobRun.Status.SUCCEEDED)
    b = JobRun.objects.create(kind="tests.fail", label="Fails", status=JobRun.Status.FAILED)
    html = client.get(reverse("common:job_list"), {"status": "failed"}).content.decode()
    assert f"#{b.pk}" in html and f"#{a.pk}<" not in html
    html = client.get(reverse("common:job_list"), {"sort": "id"}).content.decode()
    assert html.index(f">#{a.pk}<") < html.index(f">#{b.pk}<")
    html = client.get(reverse("common:job_list"), {"sort": "-id"}).content.decode()
    assert html.index(f">#{b.pk}<") < html.index(f">#{a.pk}<")


@pytest.mark.django_db
def test_job_list_pages_with_keyset_cursor(client, make_user):
    make_user(roles.MANAGER)
    client.login(username="grace", password=PASSWORD)
    jobs = [JobRun(kind="tests.steps", label="Steps") for _ in range(120)]
    JobRun.objects.bulk_create(jobs)
    first = client.get(reverse("common:job_list"))
    assert first.context["page"].next_cursor
    ids_1 = [j.pk for j in first.context["page"].items]
    second = client.get(reverse("common:job_list"), {"cursor": first.context["page"].next_cursor})
    ids_2 = [j.pk for j in second.context["page"].items]
    assert len(ids_1) == 50 and len(ids_2) == 50
    assert set(ids_1).isdisjoint(ids_2)
    assert max(ids_2) < min(ids_1)


@pytest.mark.django_db
def test_job_start_view_says_what_it_did(client, make_user):
    make_user(roles.ADMINISTRATOR)
    client.login(username="arjun", password=PASSWORD)
    response = client.post(
        reverse("common:job_start"), {"kind": "common.housekeeping"}, follow=True
    )
    job = JobRun.objects.get()
    assert f"Started “Housekeeping: purge old job records” as job #{job.pk}." in [
        str(m) for m in response.context["messages"]
    ]
    response = client.post(reverse("common:job_start"), {"kind": "bogus"}, follow=True)
    assert "no background job of kind 'bogus' is registered. Choose a job from the list." in [
        str(m) for m in response.context["messages"]
    ]


@pytest.mark.django_db
def test_job_detail_partial_for_htmx_polls_only_while_running(client, make_user):
    make_user(roles.MANAGER)
    client.login(username="grace", password=PASSWORD)
    job = services.job_run_enqueue(kind="tests.steps", params={"steps": 1, "delay": 0})
    url = reverse("common:job_detail", args=[job.pk])
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in partial and "<html" not in partial
    services.job_run_execute(job_run_id=job.pk)
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial


@pytest.mark.django_db
def test_untrusted_text_in_job_message_is_escaped(client, make_user):
    make_user(roles.MANAGER)
    client.login(username="grace", password=PASSWORD)
    job = JobRun.objects.create(
        kind="tests.fail", label="x", status="failed", message="<script>alert(1)</script>"
    )
    html = client.get(reverse("common:job_detail", args=[job.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_check_deploy_with_production_settings_is_clean():
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        SECRET_KEY="k" * 20 + "3f9a!Lw0-p_ZqR8vXy2#mN7cT1uB5dE6hJ4sG0aK",
        DEBUG="false",
        ALLOWED_HOSTS="desk.example.org",
    )
    # production's defaults, not the test settings' (which turn HTTPS off for the test server)
    for name in (
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    ):
        env.pop(name, None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # a test-only switch; production never sets it
    for name in ("STATICFILES_BACKEND", "DEMO_MODE"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_openapi_schema_generates_without_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--fail-on-warn", "--validate"],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "/api/v1/members/" in result.stdout


UNREACHABLE = "connection failed: FATAL:  the database system is shutting down"


@pytest.mark.django_db
def test_a_database_that_does_not_answer_is_a_503_with_retry_after_not_a_500(
    make_user, monkeypatch, settings
):
    from django.db import OperationalError
    from django.test import Client

    from dues.intake import events
    from tests.dues.conftest import STRIPE_SECRET, stripe_charge_event, stripe_headers

    def down(**kwargs):
        raise OperationalError(UNREACHABLE)

    settings.STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
    monkeypatch.setattr(events, "webhook_event_receive", down)
    client = Client(raise_request_exception=False)
    # a provider's webhook, mid-restart: it will retry, nothing was stored
    body = json.dumps(stripe_charge_event()).encode()
    response = client.post(
        "/webhooks/stripe/", data=body, content_type="application/json", **stripe_headers(body)
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "error": "The database did not answer; nothing was stored. Try again in a moment."
    }
    # a page says the same to a person
    client.force_login(make_user(roles.MANAGER))
    monkeypatch.setattr("common.views.HomeView.get_context_data", lambda *a, **k: down())
    page = client.get("/")
    assert page.status_code == 503
    assert "The database did not answer" in page.content.decode()


@pytest.mark.django_db
def test_any_other_error_is_still_a_500(make_user, monkeypatch):
    from django.test import Client

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    client = Client(raise_request_exception=False)
    client.force_login(make_user(roles.MANAGER))
    monkeypatch.setattr("common.views.HomeView.get_context_data", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
