"""Excel export of the customer list: the file at once, or a tracked job with a download link."""

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET

from crm_site.access import area_required
from crm_site.htmx import htmx_target
from crm_site.models import DataJob
from customers import exports

STATUS_FRAGMENT_ID = "export-job-status"


@require_GET
@area_required("customers")
def export_start(request):
    """The rows the list shows for this query string: as a file when few, else as a job."""
    query = exports.export_query(request.GET)
    rows = exports.export_queryset(user=request.user, query=query)
    if rows.count() <= exports.EXPORT_SYNC_MAX_ROWS:
        target = exports.export_write(user=request.user, query=query)
        return FileResponse(
            target, as_attachment=True, filename=exports.export_filename(), content_type=exports.XLSX_CONTENT_TYPE
        )
    job = exports.export_job_create(user=request.user, query=query)
    return redirect("customers:export_job", job_id=job.pk)


@require_GET
@area_required("customers")
def export_job(request, job_id: int):
    """The job's progress; the status fragment refreshes itself (htmx) until the job ends."""
    job = exports.export_job_get(user=request.user, job_id=job_id)
    context = {"job": job, "fragment_id": STATUS_FRAGMENT_ID, "finished": _finished(job)}
    if htmx_target(request) == STATUS_FRAGMENT_ID:
        return render(request, "customers/export/job_status.html", context)
    return render(request, "customers/export/job.html", context)


@require_GET
@area_required("customers")
def export_download(request, job_id: int):
    job = exports.export_job_get(user=request.user, job_id=job_id)
    if job.status != DataJob.Status.DONE or not job.output_file:
        raise Http404
    try:
        handle = job.output_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    filename = job.result.get("filename") or "customers.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=exports.XLSX_CONTENT_TYPE)


def _finished(job: DataJob) -> bool:
    return job.status in (DataJob.Status.DONE, DataJob.Status.FAILED)


urlpatterns = [
    path("", export_start, name="export"),
    path("<int:job_id>/", export_job, name="export_job"),
    path("<int:job_id>/download/", export_download, name="export_download"),
]
