"""Demo marketing data: ``seed(ctx)``, called by ``manage.py seed_demo`` after customers, sales and
service have theirs.

Segments come first (campaigns and rules target them), then the loyalty programme (its members
earn from the demo's paid orders), past campaigns with their deliveries (dated before demo orders,
so attribution finds conversions), and the automation rules with their past firings. Each part
writes in bulk and draws from its own random generator (``ctx.rng_for("marketing.<part>")``).
"""

from crm_site.demo import DemoContext
from marketing.demo import automation, campaigns, loyalty, segments
from marketing.models import Segment
from marketing.services.segments import segment_count


def seed(ctx: DemoContext) -> None:
    segments.seed(ctx)
    loyalty.seed(ctx)
    campaigns.seed(ctx)
    automation.seed(ctx)
    # Campaigns and rules add segments of their own: their sizes are counted too.
    for segment in Segment.objects.filter(last_count__isnull=True):
        segment_count(segment=segment)
