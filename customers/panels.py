"""Panels of the 360° page, contributed by any app without editing this one.

An app registers a ``Panel`` in its ``AppConfig.ready()``; the customer page renders every panel
whose area the user may use, in ``order``. A panel's ``context`` callable gets the request and the
customer and returns the template's context: it runs a fixed number of queries, so the page's
query count stays constant however much data the customer has.

    from customers.panels import Panel, register_panel
    register_panel(Panel(key="orders", title=_("Orders"), template="sales/panels/orders.html",
                         context=orders_panel_context, area="sales", order=20))
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from crm_site.access import can_use_area


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    template: str
    context: Callable[[HttpRequest, object], dict]
    area: str = "customers"  # only users who may use this area see the panel
    order: int = 100
    column: str = "side"  # "main" (wide, beside the timeline) or "side"
    # Hidden from users of this area (who get a fuller panel of their own there).
    unless_area: str | None = None


_registry: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    """Add (or replace, by key) a panel; safe to call again when ``ready()`` runs twice."""
    _registry[panel.key] = panel


def registered_panels() -> list[Panel]:
    return sorted(_registry.values(), key=lambda panel: (panel.order, panel.key))


@dataclass(frozen=True)
class RenderedPanel:
    panel: Panel
    context: dict


def panels_for(request: HttpRequest, customer) -> list[RenderedPanel]:
    return [
        RenderedPanel(panel, {**panel.context(request, customer), "customer": customer, "panel": panel})
        for panel in registered_panels()
        if can_use_area(request.user, panel.area)
        and not (panel.unless_area and can_use_area(request.user, panel.unless_area))
    ]
