"""The Excel import pages: upload, map columns, preview, confirm, progress and result.

Every page needs the customers area and the right to change customers; a job is visible only
to the user who uploaded it. The work itself is in customers.imports.
"""

from functools import wraps

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm_site.access import Action, Scope, area_required, record_scope
from crm_site.models import DataJob
from customers.imports import (
    IMPORT_FIELDS,
    IMPORT_MAX_BYTES,
    XLSX_CONTENT_TYPE,
    ImportMode,
    import_confirm,
    import_initial_mapping,
    import_job_get,
    import_jobs_for,
    import_remap,
    import_set_mapping,
    import_template_workbook,
    import_upload,
)

RECENT_JOBS = 10
ERRORS_PAGE_SIZE = 50
RUNNING = {DataJob.Status.QUEUED, DataJob.Status.RUNNING}


def importer_required(view):
    """The customers area, and a change scope on customers (marketing and service agents only
    look at customers, so they cannot import them)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if record_scope(request.user, "customers", Action.CHANGE) == Scope.NONE:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return area_required("customers")(wrapped)


# --- forms ------------------------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel file"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "An .xlsx workbook of at most %(size)s MB; the first row of the first sheet holds the column headings."
        ) % {"size": IMPORT_MAX_BYTES // (1024 * 1024)}
        self.helper = FormHelper()
        self.helper.form_tag = False


class MappingForm(forms.Form):
    """One choice per column of the file: the field it feeds, or nothing."""

    def __init__(self, *args, headers: list[str], samples: list[list[str]], initial_columns: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— Do not import —"))] + [(f.name, f.label) for f in IMPORT_FIELDS]
        self.rows = []
        for index, header in enumerate(headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=initial_columns[index]
            )
            examples = [sample[index] for sample in samples if index < len(sample) and sample[index]]
            self.rows.append((header, examples, name))

    def clean(self):
        data = super().clean()
        seen: dict[str, str] = {}
        for header, _examples, name in self.rows:
            value = data.get(name)
            if not value:
                continue
            if value in seen:
                self.add_error(
                    name,
                    _("“%(field)s” is already taken by the column “%(column)s”.")
                    % {"field": dict(self.fields[name].choices)[value], "column": seen[value]},
                )
            seen[value] = header
        return data

    def columns(self) -> list[str]:
        return [self.cleaned_data.get(name) or "" for _header, _examples, name in self.rows]

    def bound_rows(self):
        return [(header, examples, self[name]) for header, examples, name in self.rows]


class ConfirmForm(forms.Form):
    mode = forms.ChoiceField(label=gettext_lazy("What to import"), choices=ImportMode.choices, widget=forms.RadioSelect)

    def __init__(self, *args, invalid: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.invalid = invalid
        self.fields["mode"].initial = ImportMode.VALID if invalid else ImportMode.ALL
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_mode(self):
        mode = self.cleaned_data["mode"]
        if mode == ImportMode.ALL and self.invalid:
            raise ValidationError(
                _(
                    "%(count)s rows have errors, so nothing can be imported in this mode. Fix the file and upload "
                    "it again, or choose to import only the valid rows."
                )
                % {"count": self.invalid}
            )
        return mode


def _add_errors(form: forms.Form, error: ValidationError, field: str | None = None) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(field, error)


# --- views ------------------------------------------------------------------------------------


@importer_required
def import_start(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_upload(user=request.user, file=form.cleaned_data["file"])
        except ValidationError as error:
            _add_errors(form, error, "file")
        else:
            return redirect("customers:import_job", job_id=job.pk)
    context = {"form": form, "jobs": import_jobs_for(user=request.user)[:RECENT_JOBS], "fields": IMPORT_FIELDS}
    return render(request, "customers/import/start.html", context)


@importer_required
def import_template(request):
    response = HttpResponse(import_template_workbook(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="customers-import-template.xlsx"'
    return response


@importer_required
def import_job(request, job_id: int):
    job = import_job_get(user=request.user, job_id=job_id)
    if job.status == DataJob.Status.PENDING:
        return _mapping(request, job)
    if job.status == DataJob.Status.READY:
        return _preview(request, job)
    template = "customers/import/progress.html" if job.status in RUNNING else "customers/import/result.html"
    return render(request, template, {"job": job})


def _mapping(request, job: DataJob):
    headers = job.params["headers"]
    initial, remembered = import_initial_mapping(user=request.user, headers=headers)
    form = MappingForm(
        request.POST or None, headers=headers, samples=job.params.get("samples", []), initial_columns=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = import_set_mapping(job=job, columns=form.columns())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return redirect("customers:import_job", job_id=job.pk)
    return render(request, "customers/import/mapping.html", {"job": job, "form": form, "remembered": remembered})


def _preview(request, job: DataJob):
    summary = job.result
    form = ConfirmForm(request.POST or None, invalid=summary.get("invalid", 0))
    if request.method == "POST":
        if request.POST.get("action") == "remap":
            import_remap(job=job)
            return redirect("customers:import_job", job_id=job.pk)
        if form.is_valid():
            try:
                job = import_confirm(job=job, mode=form.cleaned_data["mode"])
            except ValidationError as error:
                _add_errors(form, error)
            else:
                if job.status == DataJob.Status.DONE:
                    messages.success(request, _("The import is done."))
                return redirect("customers:import_job", job_id=job.pk)
    errors_page = Paginator(summary.get("errors", []), ERRORS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"job": job, "summary": summary, "form": form, "page_obj": errors_page}
    return render(request, "customers/import/preview.html", context)


@importer_required
def import_status(request, job_id: int):
    """The progress fragment htmx polls; once the job has moved on, the page reloads itself."""
    job = import_job_get(user=request.user, job_id=job_id)
    response = render(request, "customers/import/_progress.html", {"job": job})
    if job.status not in RUNNING:
        response["HX-Refresh"] = "true"
    return response


urlpatterns = [
    path("", import_start, name="import"),
    path("template.xlsx", import_template, name="import_template"),
    path("<int:job_id>/", import_job, name="import_job"),
    path("<int:job_id>/status/", import_status, name="import_status"),
]
