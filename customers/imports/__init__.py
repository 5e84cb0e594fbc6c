"""Excel import of customers: upload, map columns, validate every row, preview, then apply.

One ``DataJob`` (kind ``customers.import``) carries an import through its steps:

* PENDING: uploaded and inspected (``params``: headers, row count, sample rows); waiting for the
  column mapping.
* QUEUED / RUNNING: validating or applying (``params["step"]``). Files of more than
  ``IMPORT_SYNC_MAX_ROWS`` rows go through Celery; smaller ones run in the request.
* READY: validated; ``result`` holds the preview (counts, the first errors and warnings).
* DONE: applied; ``result`` also holds what was created, updated and skipped.
* FAILED: something unexpected happened; ``error`` says what, and nothing was written.

Validation and apply run the same row analysis, so the import does what the preview showed. Apply
analyses the file again rather than trusting the preview, because customers may have changed in
between, and writes everything in one transaction with bulk queries in batches.

Imports only add: a blank cell leaves the customer's value as it is, and phones, emails, groups
and tags are added to those a customer already has.

The package, by step:

* ``fields``: the columns the import understands, the modes and the limits.
* ``workbook``: inspecting and reading the .xlsx, batching, and the template file.
* ``reader``: one row parsed into a ``ParsedRow``.
* ``checks``: the analysis of every row, the preview's summary and ``import_validate``.
* ``writer``: the bulk writer and ``import_apply``.
* ``services``: upload, mapping, confirm, run, and the reads for the pages.

The limits are read through the ``fields`` module (``fields.IMPORT_SYNC_MAX_ROWS``), so change them
there, not on this package.
"""

from customers.imports.checks import import_validate
from customers.imports.fields import (
    IDENTIFYING_FIELDS,
    IMPORT_FIELDS,
    IMPORT_FIELDS_BY_NAME,
    IMPORT_KIND,
    IMPORT_MAX_BYTES,
    XLSX_CONTENT_TYPE,
    ImportField,
    ImportMode,
)
from customers.imports.reader import ParsedRow
from customers.imports.services import (
    import_confirm,
    import_guess_mapping,
    import_headers_hash,
    import_initial_mapping,
    import_job_get,
    import_jobs_for,
    import_remap,
    import_run,
    import_set_mapping,
    import_upload,
)
from customers.imports.workbook import import_template_workbook
from customers.imports.writer import import_apply

__all__ = [
    "IDENTIFYING_FIELDS",
    "IMPORT_FIELDS",
    "IMPORT_FIELDS_BY_NAME",
    "IMPORT_KIND",
    "IMPORT_MAX_BYTES",
    "XLSX_CONTENT_TYPE",
    "ImportField",
    "ImportMode",
    "ParsedRow",
    "import_apply",
    "import_confirm",
    "import_guess_mapping",
    "import_headers_hash",
    "import_initial_mapping",
    "import_job_get",
    "import_jobs_for",
    "import_remap",
    "import_run",
    "import_set_mapping",
    "import_template_workbook",
    "import_upload",
    "import_validate",
]
