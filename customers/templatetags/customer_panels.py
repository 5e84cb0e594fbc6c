from django import template
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context, rendered) -> SafeString:
    """Render a 360° panel's template with the panel's own context (and the page's request)."""
    panel_template = context.template.engine.get_template(rendered.panel.template)
    return panel_template.render(context.new(rendered.context))
