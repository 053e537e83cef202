"""Sections other apps add to the review metrics page (reviews imports no app, so they arrive by
registration). ``context()`` returns what the panel's own template receives as ``panel``."""

from collections.abc import Callable
from dataclasses import dataclass

from common.registry import Registry


@dataclass(frozen=True)
class MetricPanel:
    name: str
    template: str
    context: Callable[[], dict]
    script: str = ""  # a static file drawing its charts, if any


metric_panels: Registry[MetricPanel] = Registry("review-metrics panel")


def register_metric_panel(panel: MetricPanel) -> MetricPanel:
    return metric_panels.register(panel.name, panel)


def panels() -> list[dict]:
    return [
        {"template": p.template, "panel": p.context(), "script": p.script}
        for p in metric_panels.all()
    ]
