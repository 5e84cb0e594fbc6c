"""Excel export of the customer list: exactly the rows the user's filters show, as .xlsx.

The rows come from the list's own queryset and filters (``export_queryset``), so an export never
shows a row the list would hide. Small exports are written at once and answered by the view;
large ones run as a tracked ``DataJob`` in Celery (``export_run``, via
``customers.tasks.run_customer_export``) that ends with a download link and a notification.

Rows are read in batches with ``values_list(...).iterator()`` and streamed into the file by
``crm_site.xlsx.XlsxWriter``: memory stays flat however many customers there are.
"""

import logging
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import IO

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm_site.models import DataJob, User
from crm_site.services import notification_create
from crm_site.xlsx import XlsxWriter
from customers.filters import CustomerFilter
from customers.geography import Province
from customers.models import Customer, CustomerGroup, Tag
from customers.selectors import customer_list_queryset

logger = logging.getLogger(__name__)

EXPORT_KIND = "customers.export"
# Up to this many rows the view answers with the file; above it a background job writes it.
EXPORT_SYNC_MAX_ROWS = 5000
# Rows read per database round trip (and per progress update of a job).
BATCH_SIZE = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# List parameters that choose a page of rows, not which rows: an export has them all.
_NOT_FILTERS = ("page",)
# An identical export asked for again within this time joins the job already under way.
_REUSE_WITHIN = timedelta(minutes=10)


@dataclass(frozen=True)
class Column:
    header: Promise  # translated when the file is written, in the requester's language
    width: int


COLUMNS = [
    Column(gettext_lazy("Code"), 11),
    Column(gettext_lazy("Name"), 28),
    Column(gettext_lazy("Kind"), 13),
    Column(gettext_lazy("Status"), 10),
    Column(gettext_lazy("Phone"), 16),
    Column(gettext_lazy("Email"), 28),
    Column(gettext_lazy("Province"), 16),
    Column(gettext_lazy("City"), 14),
    Column(gettext_lazy("Region"), 14),
    Column(gettext_lazy("Address"), 36),
    Column(gettext_lazy("Owner"), 18),
    Column(gettext_lazy("Team"), 12),
    Column(gettext_lazy("Source"), 18),
    Column(gettext_lazy("Acquisition cost"), 16),
    Column(gettext_lazy("Groups"), 30),
    Column(gettext_lazy("Tags"), 24),
    Column(gettext_lazy("SMS consent"), 12),
    Column(gettext_lazy("Email consent"), 13),
    Column(gettext_lazy("Birth date"), 12),
    Column(gettext_lazy("Gender"), 9),
    Column(gettext_lazy("Occupation"), 18),
    Column(gettext_lazy("Education"), 20),
    Column(gettext_lazy("Income band"), 13),
    Column(gettext_lazy("Created at"), 17),
]

# What is read from the database for each row, in this order (see _RowWriter.row).
_VALUES = (
    "pk",
    "code",
    "name",
    "kind",
    "status",
    "phone",
    "email",
    "province",
    "city",
    "region",
    "address",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "team__name",
    "source__name",
    "acquisition_cost",
    "sms_consent",
    "email_consent",
    "birth_date",
    "gender",
    "occupation",
    "education",
    "income_band",
    "created_at",
)


# --- choosing the rows ----------------------------------------------------------------------------


def export_query(params: QueryDict) -> str:
    """The list's query string without what only pages through it."""
    query = params.copy()
    for name in _NOT_FILTERS:
        query.pop(name, None)
    return query.urlencode()


def export_queryset(*, user: User, query: str) -> QuerySet[Customer]:
    """The rows the customer list shows ``user`` for ``query``: same scope, filters, search, order."""
    customer_filter = CustomerFilter(QueryDict(query) or None, queryset=customer_list_queryset(user=user))
    rows = customer_filter.qs if customer_filter.is_bound else customer_filter.queryset
    # The export reads plain values and loads groups and tags per batch itself.
    return rows.prefetch_related(None)


# --- writing the workbook -------------------------------------------------------------------------


def _batches(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _group_labels() -> dict[int, str]:
    """Every group as its full path ("Wholesale › Tehran › Key accounts"): a group's own name
    can repeat under different parents. The table is a short managed list, read once."""
    groups = list(CustomerGroup.objects.values_list("pk", "name", "path"))
    names = {pk: name for pk, name, _path in groups}
    labels = {}
    for pk, name, path in groups:
        ancestors = [int(part) for part in path.split("/") if part.isdigit()]
        labels[pk] = " › ".join(names.get(ancestor, "?") for ancestor in ancestors) or name
    return labels


class _RowWriter:
    """Turns one ``_VALUES`` tuple into a row of readable cells, in the active language."""

    def __init__(self) -> None:
        self.kinds = _labels(Customer.Kind.choices)
        self.statuses = _labels(Customer.Status.choices)
        self.provinces = _labels(Province.choices)
        self.genders = _labels(Customer.Gender.choices)
        self.educations = _labels(Customer.Education.choices)
        self.income_bands = _labels(Customer.IncomeBand.choices)
        self.yes, self.no = _("Yes"), _("No")
        self.groups = _group_labels()
        self.tags = dict(Tag.objects.values_list("pk", "name"))

    def memberships(self, ids: list[int]) -> tuple[dict[int, str], dict[int, str]]:
        """The groups and tags of a batch of customers, joined into one cell each (two queries)."""
        groups: dict[int, list[str]] = defaultdict(list)
        tags: dict[int, list[str]] = defaultdict(list)
        group_rows = Customer.groups.through.objects.filter(customer_id__in=ids)
        for customer_id, group_id in group_rows.values_list("customer_id", "customergroup_id"):
            groups[customer_id].append(self.groups.get(group_id, ""))
        for customer_id, tag_id in Customer.tags.through.objects.filter(customer_id__in=ids).values_list(
            "customer_id", "tag_id"
        ):
            tags[customer_id].append(self.tags.get(tag_id, ""))
        return (
            {pk: ", ".join(sorted(names)) for pk, names in groups.items()},
            {pk: ", ".join(sorted(names)) for pk, names in tags.items()},
        )

    def row(self, values: tuple, groups: dict[int, str], tags: dict[int, str]) -> list:
        (
            pk,
            code,
            name,
            kind,
            status,
            phone,
            email,
            province,
            city,
            region,
            address,
            owner_first,
            owner_last,
            owner_username,
            team,
            source,
            acquisition_cost,
            sms_consent,
            email_consent,
            birth_date,
            gender,
            occupation,
            education,
            income_band,
            created_at,
        ) = values
        owner = f"{owner_first or ''} {owner_last or ''}".strip() or owner_username
        # Excel has no time zones: the wall-clock time where the CRM is used.
        created = timezone.localtime(created_at).replace(tzinfo=None) if created_at else None
        # None leaves a cell empty. Text is written as inline strings, which Excel shows as typed
        # and never runs as a formula, and the writer drops characters XML cannot hold.
        return [
            code,
            name,
            self.kinds.get(kind),
            self.statuses.get(status),
            phone or None,
            email or None,
            self.provinces.get(province),
            city,
            region,
            address,
            owner,
            team,
            source,
            acquisition_cost,
            groups.get(pk),
            tags.get(pk),
            self.yes if sms_consent else self.no,
            self.yes if email_consent else self.no,
            birth_date,
            self.genders.get(gender),
            occupation,
            self.educations.get(education),
            self.income_bands.get(income_band),
            created,
        ]


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def write_workbook(
    rows: QuerySet[Customer], target: IO[bytes], *, on_progress: Callable[[int], None] | None = None
) -> int:
    """Write ``rows`` as an .xlsx workbook to the binary file ``target``; returns the row count.

    A query per batch of rows plus two for its groups and tags: the number of queries grows
    with the batches, never with the rows inside them.
    """
    writer = _RowWriter()
    count = 0
    with XlsxWriter(
        target,
        sheet_name=_("Customers"),
        headers=[str(column.header) for column in COLUMNS],
        widths=[column.width for column in COLUMNS],
        right_to_left=translation.get_language_bidi(),
    ) as sheet:
        values = rows.values_list(*_VALUES).iterator(chunk_size=BATCH_SIZE)
        for batch in _batches(values, BATCH_SIZE):
            groups, tags = writer.memberships([values[0] for values in batch])
            for values in batch:
                sheet.write_row(writer.row(values, groups, tags))
            count += len(batch)
            if on_progress is not None:
                on_progress(count)
    return count


def export_filename() -> str:
    return f"customers-{timezone.localtime():%Y%m%d-%H%M}.xlsx"


def export_write(*, user: User, query: str) -> IO[bytes]:
    """Write the export at once (the small case): an open temporary file, positioned at its
    start, which disappears when closed."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    try:
        write_workbook(export_queryset(user=user, query=query), target)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target


# --- the background job ---------------------------------------------------------------------------


def export_job_create(*, user: User, query: str) -> DataJob:
    """Queue an export job and start it once the transaction commits. Asking again for the same
    export while it is still waiting or running (a double click) returns that job."""
    with transaction.atomic():
        pending = (
            DataJob.objects.filter(
                user=user,
                kind=EXPORT_KIND,
                status__in=[DataJob.Status.QUEUED, DataJob.Status.RUNNING],
                created_at__gte=timezone.now() - _REUSE_WITHIN,
            )
            .order_by("-created_at", "-id")
            .only("pk", "params")
        )
        for job in pending[:5]:
            if job.params.get("query") == query:
                return job
        job = DataJob(
            kind=EXPORT_KIND,
            user=user,
            status=DataJob.Status.QUEUED,
            params={"query": query, "language": translation.get_language() or settings.LANGUAGE_CODE},
        )
        job.full_clean()
        job.save()
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from customers.tasks import run_customer_export

    run_customer_export.delay(job_id)


def export_job_get(*, user: User, job_id: int) -> DataJob:
    """One of the user's own export jobs, or 404: jobs are private to whoever asked for them."""
    try:
        return DataJob.objects.get(pk=job_id, user=user, kind=EXPORT_KIND)
    except DataJob.DoesNotExist:
        raise Http404 from None


def export_run(*, job_id: int) -> None:
    """Write the export of a queued job. Safe to run twice: only the run that moves the job from
    queued to running does the work; a running, done or failed job is left alone."""
    claimed = DataJob.objects.filter(pk=job_id, kind=EXPORT_KIND, status=DataJob.Status.QUEUED).update(
        status=DataJob.Status.RUNNING, progress_done=0, error=""
    )
    if not claimed:
        return
    job = DataJob.objects.select_related("user").get(pk=job_id)
    language = job.params.get("language") or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            count = _export_to_job_file(job)
        except Exception as error:
            logger.exception("Customer export job %s failed", job.pk)
            DataJob.objects.filter(pk=job.pk, status=DataJob.Status.RUNNING).update(
                status=DataJob.Status.FAILED,
                error=str(error)[:2000] or error.__class__.__name__,
                finished_at=timezone.now(),
            )
            notification_create(
                recipient=job.user,
                title=_("Your customer export failed"),
                url=reverse("customers:export_job", args=[job.pk]),
                dedupe_key=f"{EXPORT_KIND}:{job.pk}:failed",
            )
            return
        notification_create(
            recipient=job.user,
            title=_("Your customer export is ready (%(count)s rows)") % {"count": f"{count:,}"},
            url=reverse("customers:export_job", args=[job.pk]),
            dedupe_key=f"{EXPORT_KIND}:{job.pk}:done",
        )


def _export_to_job_file(job: DataJob) -> int:
    rows = export_queryset(user=job.user, query=job.params.get("query", ""))
    jobs = DataJob.objects.filter(pk=job.pk)
    jobs.update(progress_total=rows.count())
    filename = export_filename()
    with tempfile.TemporaryFile() as target:
        count = write_workbook(rows, target, on_progress=lambda done: jobs.update(progress_done=done))
        target.seek(0)
        job.output_file.save(filename, File(target), save=False)
    jobs.update(
        status=DataJob.Status.DONE,
        output_file=job.output_file.name,
        progress_done=count,
        progress_total=count,
        result={"rows": count, "filename": filename},
        finished_at=timezone.now(),
    )
    return count
