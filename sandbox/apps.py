"""App configuration for sandbox: demo and test tooling, never installed in production."""

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    label = "sandbox"
    verbose_name = "Sandbox (demo and tests)"
