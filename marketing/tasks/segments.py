"""Jobs of segments: the nightly recount of every active segment's size."""

from celery import shared_task

from marketing.services.segments import segments_recount


@shared_task(name="marketing.segments_recount")
def recount_segments() -> int:
    """Recount every active segment; running it twice only counts twice."""
    return segments_recount()
