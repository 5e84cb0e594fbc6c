"""The steps of an import as the pages and the worker call them: upload, mapping (remembered per
header row), confirm, run (in the request or by Celery), and the reads for the pages."""

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from crm_site.models import DataJob, User
from crm_site.text import search_key
from customers.imports import fields
from customers.imports.checks import import_validate
from customers.imports.fields import IDENTIFYING_FIELDS, IMPORT_FIELDS, IMPORT_FIELDS_BY_NAME, IMPORT_KIND, ImportMode
from customers.imports.workbook import inspect_workbook
from customers.imports.writer import import_apply
from customers.models import ImportMapping

logger = logging.getLogger(__name__)


@transaction.atomic
def import_upload(*, user: User, file) -> DataJob:
    """Check an uploaded workbook and keep it as a pending import job, or raise ValidationError."""
    name = PurePath(getattr(file, "name", "") or "").name
    if not name.lower().endswith(".xlsx"):
        raise ValidationError(
            _("Upload an Excel workbook (.xlsx). Older .xls files and CSV files must first be saved as .xlsx."),
            code="extension",
        )
    if file.size > fields.IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(max)s MB; split it into smaller files.")
            % {"max": fields.IMPORT_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    file.seek(0)
    headers, rows, samples = inspect_workbook(file)
    file.seek(0)
    job = DataJob(
        kind=IMPORT_KIND,
        user=user,
        status=DataJob.Status.PENDING,
        input_name=name[:255],
        # The language of the upload: a worker writes the row errors in it too.
        params={"headers": headers, "rows": rows, "samples": samples, "step": "map", "language": get_language()},
        progress_total=rows,
    )
    job.input_file.save(name, file, save=False)
    job.save()
    return job


def import_headers_hash(headers: Sequence[str]) -> str:
    """The key of a remembered mapping: the header row, normalised (case, Persian letters)."""
    normalised = json.dumps([search_key(header) for header in headers], ensure_ascii=False)
    return hashlib.sha256(normalised.encode()).hexdigest()


def _header_lookup() -> dict[str, str]:
    """Header text (normalised) -> field name: names, labels in every language, aliases."""
    lookup: dict[str, str] = {}
    for import_field in IMPORT_FIELDS:
        keys = {import_field.name, import_field.name.replace("_", " "), *import_field.aliases}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                keys.add(str(import_field.label))
        for key in keys:
            lookup.setdefault(search_key(key).strip(" *:"), import_field.name)
    return lookup


def import_guess_mapping(headers: Sequence[str]) -> list[str]:
    """Guess each column's field from its heading; each field is given to one column at most."""
    lookup = _header_lookup()
    used: set[str] = set()
    columns = []
    for header in headers:
        name = lookup.get(search_key(header).strip(" *:"), "")
        if name in used:
            name = ""
        used.add(name)
        columns.append(name)
    return columns


def import_initial_mapping(*, user: User, headers: Sequence[str]) -> tuple[list[str], bool]:
    """The mapping to offer: the user's remembered one for this header row, else a guess.
    Returns the columns and whether they were remembered."""
    remembered = (
        ImportMapping.objects.filter(user=user, headers_hash=import_headers_hash(headers))
        .values_list("columns", flat=True)
        .first()
    )
    if remembered is not None and len(remembered) == len(headers):
        return [name if name in IMPORT_FIELDS_BY_NAME else "" for name in remembered], True
    return import_guess_mapping(headers), False


@transaction.atomic
def import_set_mapping(*, job: DataJob, columns: Sequence[str]) -> DataJob:
    """Remember the mapping for this header row and start validating every row."""
    headers = job.params["headers"]
    columns = [name or "" for name in columns]
    chosen = [name for name in columns if name]
    if (
        len(columns) != len(headers)
        or any(name not in IMPORT_FIELDS_BY_NAME for name in chosen)
        or len(chosen) != len(set(chosen))
    ):
        raise ValidationError(_("Map each column to a different field, or leave it out."), code="invalid_mapping")
    if not IDENTIFYING_FIELDS & set(chosen):
        raise ValidationError(
            _("Map a name column, or a code, phone or email column to update existing customers."),
            code="no_identifier",
        )
    ImportMapping.objects.update_or_create(
        user=job.user, headers_hash=import_headers_hash(headers), defaults={"columns": columns}
    )
    params = {**job.params, "mapping": columns, "step": "validate"}
    claimed = DataJob.objects.filter(pk=job.pk, status=DataJob.Status.PENDING).update(
        status=DataJob.Status.QUEUED, params=params, result={}, progress_done=0, progress_total=job.params["rows"]
    )
    if not claimed:
        raise ValidationError(_("This import has already moved past the mapping step."), code="state")
    _start(job)
    job.refresh_from_db()
    return job


@transaction.atomic
def import_remap(*, job: DataJob) -> DataJob:
    """Go back from the preview to the mapping step."""
    DataJob.objects.filter(pk=job.pk, status=DataJob.Status.READY).update(
        status=DataJob.Status.PENDING, params={**job.params, "step": "map"}, result={}
    )
    job.refresh_from_db()
    return job


@transaction.atomic
def import_confirm(*, job: DataJob, mode: str) -> DataJob:
    """Apply a validated import. In mode "all" a file with any invalid row is refused."""
    if mode not in ImportMode.values:
        raise ValidationError({"mode": _("Choose how to import.")})
    if job.status != DataJob.Status.READY:
        raise ValidationError(_("This import is not waiting for confirmation."), code="state")
    invalid = job.result.get("invalid", 0)
    if mode == ImportMode.ALL and invalid:
        raise ValidationError(
            {
                "mode": _(
                    "%(count)s rows have errors, so nothing can be imported in this mode. Fix the file and "
                    "upload it again, or choose to import only the valid rows."
                )
                % {"count": invalid}
            }
        )
    if not job.result.get("new", 0) + job.result.get("update", 0):
        raise ValidationError(_("No row is valid, so there is nothing to import."), code="nothing")
    params = {**job.params, "step": "apply", "mode": mode}
    claimed = DataJob.objects.filter(pk=job.pk, status=DataJob.Status.READY).update(
        status=DataJob.Status.QUEUED, params=params, progress_done=0
    )
    if not claimed:
        raise ValidationError(_("This import has already been confirmed."), code="state")
    _start(job)
    job.refresh_from_db()
    return job


def _start(job: DataJob) -> None:
    """Run the queued step now for a small file, or hand it to a worker once the caller commits."""
    if job.params.get("rows", 0) > fields.IMPORT_SYNC_MAX_ROWS:
        transaction.on_commit(lambda: _enqueue(job.pk))
    else:
        import_run(job_id=job.pk)


def _enqueue(job_id: int) -> None:
    from customers.tasks import run_customer_import

    try:
        run_customer_import.delay(job_id)
    except Exception:
        logger.exception("Could not enqueue customer import %s", job_id)
        DataJob.objects.filter(pk=job_id, status=DataJob.Status.QUEUED).update(
            status=DataJob.Status.FAILED,
            error=_("The background worker could not be reached; upload the file again later."),
            finished_at=timezone.now(),
        )


def import_run(*, job_id: int) -> None:
    """Run the queued step of an import (the Celery entry point). Safe to call twice: only the
    caller whose conditional update moves the job from QUEUED to RUNNING does the work."""
    claimed = DataJob.objects.filter(pk=job_id, kind=IMPORT_KIND, status=DataJob.Status.QUEUED).update(
        status=DataJob.Status.RUNNING
    )
    if not claimed:
        return
    job = DataJob.objects.select_related("user").get(pk=job_id)
    try:
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            if job.params.get("step") == "apply":
                import_apply(job, job.params.get("mode", ImportMode.ALL))
            else:
                import_validate(job)
    except Exception as error:
        logger.exception("Customer import %s failed", job_id)
        DataJob.objects.filter(pk=job_id).update(
            status=DataJob.Status.FAILED,
            error=_("The import stopped on an unexpected error and nothing was written: %(error)s")
            % {"error": str(error)[:500]},
            finished_at=timezone.now(),
        )


# --- reads for the pages ----------------------------------------------------------------------


def import_jobs_for(*, user: User):
    """The user's own imports, newest first (nobody sees another user's files)."""
    return DataJob.objects.filter(user=user, kind=IMPORT_KIND).order_by("-created_at", "-id")


def import_job_get(*, user: User, job_id: int) -> DataJob:
    """One of the user's imports, or 404 (another user's job is not even acknowledged)."""
    return get_object_or_404(import_jobs_for(user=user), pk=job_id)
