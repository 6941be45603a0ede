"""Extension points for pages estates owns (the project and customer pages).

Feature apps register panels in their ``AppConfig.ready()`` so that estates never imports
them: ``register("customer", order=20, template="complaints/_customer_panel.html",
context=lambda request, customer: {...})``. Each context function must run a fixed number of
queries and use the apps' own scoped selectors.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    page: str
    order: int
    template: str
    context: Callable


_PANELS: dict[str, list[Panel]] = {}


def register(page: str, *, template: str, context: Callable, order: int = 50) -> None:
    panels = _PANELS.setdefault(page, [])
    if any(p.template == template for p in panels):
        return
    panels.append(Panel(page, order, template, context))
    panels.sort(key=lambda p: p.order)


def render_context(page: str, request, obj) -> list[dict]:
    return [{"template": p.template, **p.context(request, obj)} for p in _PANELS.get(page, [])]
