"""Excel export of the customer list: the rows the filters show, within the user's access, as a
file at once when small and as a private background job with a download link when large."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_site.models import DataJob, Notification
from customers import exports
from customers.services import group_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HEADERS = [
    "Code",
    "Name",
    "Kind",
    "Status",
    "Phone",
    "Email",
    "Province",
    "City",
    "Region",
    "Address",
    "Owner",
    "Team",
    "Source",
    "Acquisition cost",
    "Groups",
    "Tags",
    "SMS consent",
    "Email consent",
    "Birth date",
    "Gender",
    "Occupation",
    "Education",
    "Income band",
    "Created at",
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def book(personas):
    """Customers across owners and teams: two of rep's, one of rep2's, one of the outsider's."""
    rep, rep2, outsider = personas["rep"], personas["rep2"], personas["outsider_rep"]
    return {
        "ali": CustomerFactory(name="Ali Rezaei", owner=rep, team=rep.team, status="active", phones=["+989121111111"]),
        "mina": CustomerFactory(
            name="Mina Jafari", owner=rep, team=rep.team, status="lost", province="fars", city="Shiraz"
        ),
        "sara": CustomerFactory(name="Sara Karimi", owner=rep2, team=rep2.team, status="active"),
        "omid": CustomerFactory(name="Omid Nouri", owner=outsider, team=outsider.team, status="active"),
    }


def workbook_rows(response) -> list[tuple]:
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(BytesIO(content), read_only=True).active
    return list(sheet.iter_rows(values_only=True))


def exported_names(client, query: str = "") -> set[str]:
    response = client.get(reverse("customers:export") + (f"?{query}" if query else ""))
    assert response.status_code == 200
    rows = workbook_rows(response)
    assert list(rows[0]) == HEADERS
    return {row[1] for row in rows[1:]}


def listed_names(client, query: str = "") -> set[str]:
    response = client.get(reverse("customers:index") + (f"?{query}" if query else ""))
    assert response.status_code == 200
    return {customer.name for customer in response.context["page_obj"]}


# --- the small case: the file at once -----------------------------------------------------------


@time_machine.travel(datetime(2025, 3, 1, 8, 30, tzinfo=UTC), tick=False)
def test_a_small_export_is_an_xlsx_file_with_readable_headers_and_values(personas, client_for):
    rep = personas["rep"]
    wholesale = group_create(name="Wholesale")
    tehran = group_create(name="Tehran", parent=wholesale)
    customer = CustomerFactory(
        name="Ali Rezaei",
        owner=rep,
        team=rep.team,
        status="active",
        kind="person",
        phones=["+989121111111"],
        emails=["ali@example.com"],
        acquisition_cost=Decimal("1250000.50"),
        sms_consent=True,
        birth_date=datetime(1985, 6, 1, tzinfo=UTC).date(),
        gender="male",
        education="bachelor",
        income_band="upper_middle",
    )
    customer.groups.set([tehran])
    customer.tags.create(name="VIP")
    customer.tags.create(name="Newsletter")

    response = client_for(rep).get(reverse("customers:export"))

    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    # The local time in Tehran (UTC+03:30) names the file.
    assert re.search(r'attachment; filename="customers-20250301-1200\.xlsx"', response["Content-Disposition"])
    header, row = workbook_rows(response)
    assert list(header) == HEADERS
    values = dict(zip(HEADERS, row, strict=True))
    assert values["Code"] == customer.code
    assert values["Kind"] == "Person"
    assert values["Status"] == "Active"
    assert values["Phone"] == "+989121111111"
    assert values["Email"] == "ali@example.com"
    assert values["Province"] == "Tehran"
    assert values["Owner"] == rep.get_full_name()
    assert values["Team"] == "Sales"
    assert values["Acquisition cost"] == pytest.approx(1250000.50)
    assert values["Groups"] == "Wholesale › Tehran"
    assert values["Tags"] == "Newsletter, VIP"
    assert (values["SMS consent"], values["Email consent"]) == ("Yes", "No")
    assert values["Birth date"].date() == datetime(1985, 6, 1).date()  # noqa: DTZ001 (Excel has no zones)
    assert (values["Gender"], values["Education"], values["Income band"]) == (
        "Male",
        "Bachelor's degree",
        "Upper middle",
    )
    # Created at 08:30 UTC: written as Tehran's wall-clock time, without a zone (Excel has none).
    assert values["Created at"] == datetime(2025, 3, 1, 12, 0)  # noqa: DTZ001
    assert values["Region"] is None  # blank fields stay empty cells


def test_typed_text_never_becomes_a_formula_or_breaks_the_file(personas, client_for):
    CustomerFactory(name='=HYPERLINK("http://evil.example")', address="Line one\x0bline two", owner=personas["rep"])

    response = client_for(personas["rep"]).get(reverse("customers:export"))

    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(BytesIO(content)).active
    assert sheet["B2"].data_type == "s"
    assert sheet["B2"].value == '=HYPERLINK("http://evil.example")'
    assert sheet["J2"].value == "Line oneline two"


@pytest.mark.parametrize(
    "query",
    [
        "status=active",
        "status=active&province=tehran",
        "province=fars",
        "q=rezaei",
        "q=0912 111 1111",
        "q=sara&status=active",
        "q=nobody-has-this-name",
        "sort=name&status=active&page=2",  # a page number does not narrow an export
    ],
)
def test_the_export_has_exactly_the_rows_the_list_shows(query, personas, book, client_for):
    client = client_for(personas["admin"])
    list_query = query.replace("&page=2", "")
    assert exported_names(client, query) == listed_names(client, list_query)


def test_the_export_follows_the_lists_sort_order(personas, book, client_for):
    response = client_for(personas["admin"]).get(reverse("customers:export"), {"sort": "name"})
    names = [row[1] for row in workbook_rows(response)[1:]]
    assert names == sorted(names)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("rep", {"Ali Rezaei", "Mina Jafari"}),
        ("rep2", {"Sara Karimi"}),
        ("outsider_rep", {"Omid Nouri"}),
        ("manager", {"Ali Rezaei", "Mina Jafari", "Sara Karimi"}),
        ("admin", {"Ali Rezaei", "Mina Jafari", "Sara Karimi", "Omid Nouri"}),
        ("marketer", {"Ali Rezaei", "Mina Jafari", "Sara Karimi", "Omid Nouri"}),
        ("agent", {"Ali Rezaei", "Mina Jafari", "Sara Karimi", "Omid Nouri"}),
    ],
)
def test_each_role_exports_only_the_rows_it_may_see(persona, expected, personas, book, client_for):
    assert exported_names(client_for(personas[persona])) == expected


def test_a_filter_cannot_widen_access(personas, book, client_for):
    # Asking for another rep's customers by owner or by search still finds none of them.
    client = client_for(personas["outsider_rep"])
    assert exported_names(client, f"owner={personas['rep'].pk}") == set()
    assert exported_names(client, "q=rezaei") == set()


def test_contractors_and_anonymous_visitors_cannot_export(personas, book, client_for, client):
    assert client.get(reverse("customers:export")).status_code == 302
    assert client_for(personas["contractor"]).get(reverse("customers:export")).status_code == 403


def test_only_get_is_allowed(personas, client_for):
    assert client_for(personas["admin"]).post(reverse("customers:export")).status_code == 405


def test_query_count_does_not_grow_with_rows(personas, client_for, django_assert_max_num_queries):
    manager = personas["manager"]
    client = client_for(manager)
    tag = CustomerFactory(owner=personas["rep"]).tags.create(name="VIP")
    group = group_create(name="Retail")

    def export_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("customers:export"), {"status": "active"})
            assert response.status_code == 200
            b"".join(response.streaming_content)
        return len(captured)

    for _ in range(3):
        customer = CustomerFactory(owner=personas["rep"], team=manager.team)
        customer.tags.add(tag)
        customer.groups.add(group)
    few = export_queries()
    for _ in range(30):
        customer = CustomerFactory(owner=personas["rep2"], team=manager.team)
        customer.tags.add(tag)
        customer.groups.add(group)
    assert export_queries() == few
    with django_assert_max_num_queries(15):
        client.get(reverse("customers:export"), {"status": "active"})


# --- the large case: a private background job ------------------------------------------------------


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_SYNC_MAX_ROWS", 1)


def start_job(client, django_capture_on_commit_callbacks, query: str = "") -> DataJob:
    """Ask for a large export; the task runs eagerly once the request's transaction commits."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("customers:export") + (f"?{query}" if query else ""))
    job = DataJob.objects.get(kind=exports.EXPORT_KIND)
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:export_job", args=[job.pk])
    return job


def test_a_large_export_becomes_a_job_with_a_download_link(
    personas, book, client_for, small_limit, django_capture_on_commit_callbacks
):
    client = client_for(personas["manager"])

    job = start_job(client, django_capture_on_commit_callbacks, "status=active&page=3")

    job.refresh_from_db()
    assert job.user == personas["manager"]
    assert job.params["query"] == "status=active"
    assert job.status == DataJob.Status.DONE
    assert (job.progress_done, job.progress_total, job.result["rows"]) == (2, 2, 2)
    page = client.get(reverse("customers:export_job", args=[job.pk]))
    download_url = reverse("customers:export_download", args=[job.pk])
    assert page.status_code == 200
    assert download_url in page.content.decode()
    assert "hx-trigger" not in page.content.decode()  # finished: no more polling

    download = client.get(download_url)

    assert download.status_code == 200
    assert download["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert job.result["filename"] in download["Content-Disposition"]
    # The manager's active customers: rep's and rep2's, not the outsider's.
    assert {row[1] for row in workbook_rows(download)[1:]} == {"Ali Rezaei", "Sara Karimi"}


def test_the_owner_is_notified_when_the_export_is_ready(
    personas, book, client_for, small_limit, django_capture_on_commit_callbacks
):
    job = start_job(client_for(personas["rep"]), django_capture_on_commit_callbacks)

    notification = Notification.objects.get(recipient=personas["rep"])
    assert notification.url == reverse("customers:export_job", args=[job.pk])
    assert "ready" in notification.title


def test_a_job_exports_only_what_its_owner_may_see(
    personas, book, client_for, small_limit, django_capture_on_commit_callbacks
):
    job = start_job(client_for(personas["rep"]), django_capture_on_commit_callbacks)

    download = client_for(personas["rep"]).get(reverse("customers:export_download", args=[job.pk]))
    assert {row[1] for row in workbook_rows(download)[1:]} == {"Ali Rezaei", "Mina Jafari"}


@pytest.mark.parametrize("other", ["rep2", "manager", "admin"])
def test_a_job_is_private_to_the_user_who_asked(
    other, personas, book, client_for, small_limit, django_capture_on_commit_callbacks
):
    job = start_job(client_for(personas["rep"]), django_capture_on_commit_callbacks)

    client = client_for(personas[other])
    assert client.get(reverse("customers:export_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("customers:export_download", args=[job.pk])).status_code == 404


def test_running_a_job_twice_changes_nothing(
    personas, book, client_for, small_limit, django_capture_on_commit_callbacks
):
    job = start_job(client_for(personas["admin"]), django_capture_on_commit_callbacks)
    job.refresh_from_db()
    first = (job.output_file.name, job.finished_at, job.result)

    exports.export_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.output_file.name, job.finished_at, job.result) == first
    assert Notification.objects.filter(recipient=personas["admin"]).count() == 1
    assert DataJob.objects.count() == 1


def test_a_running_job_is_not_claimed_again(personas, book):
    job = DataJob.objects.create(
        kind=exports.EXPORT_KIND, user=personas["admin"], status=DataJob.Status.RUNNING, params={"query": ""}
    )

    exports.export_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == DataJob.Status.RUNNING
    assert not job.output_file


def test_asking_twice_for_the_same_export_joins_the_waiting_job(personas, book, small_limit):
    first = exports.export_job_create(user=personas["admin"], query="status=active")
    again = exports.export_job_create(user=personas["admin"], query="status=active")
    other = exports.export_job_create(user=personas["admin"], query="status=lost")

    assert again.pk == first.pk
    assert other.pk != first.pk


def test_the_job_page_polls_while_the_job_runs(personas, book, client_for):
    job = DataJob.objects.create(
        kind=exports.EXPORT_KIND,
        user=personas["rep"],
        status=DataJob.Status.RUNNING,
        params={"query": ""},
        progress_done=2000,
        progress_total=8000,
    )
    client = client_for(personas["rep"])
    url = reverse("customers:export_job", args=[job.pk])

    page = client.get(url).content.decode()
    fragment = client.get(url, headers={"HX-Request": "true", "HX-Target": "export-job-status"}).content.decode()

    assert 'hx-trigger="every 2s"' in page
    assert "<html" in page
    assert "<html" not in fragment
    assert 'id="export-job-status"' in fragment
    assert "25%" in fragment
    assert reverse("customers:export_download", args=[job.pk]) not in fragment
    assert client.get(reverse("customers:export_download", args=[job.pk])).status_code == 404


def test_a_failed_job_says_so(personas, book, client_for, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "write_workbook", broken)
    job = DataJob.objects.create(
        kind=exports.EXPORT_KIND, user=personas["rep"], status=DataJob.Status.QUEUED, params={"query": ""}
    )

    exports.export_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == DataJob.Status.FAILED
    assert job.error == "disk full"
    page = client_for(personas["rep"]).get(reverse("customers:export_job", args=[job.pk])).content.decode()
    assert "The export failed." in page
    assert "hx-trigger" not in page


def test_other_kinds_of_job_are_not_export_jobs(personas, client_for):
    job = DataJob.objects.create(kind="customers.import", user=personas["rep"], status=DataJob.Status.DONE)

    assert client_for(personas["rep"]).get(reverse("customers:export_job", args=[job.pk])).status_code == 404
    exports.export_run(job_id=job.pk)  # not an export: left alone
    job.refresh_from_db()
    assert job.status == DataJob.Status.DONE


# --- the benchmark's part -----------------------------------------------------------------------------


def test_the_bench_export_job_writes_every_customer(personas, book):
    from crm_site.bench import BenchContext, measure_job
    from customers import bench

    (job,) = bench.JOBS
    result = measure_job(job, BenchContext(customers=4, seed=1))

    assert result.seconds > 0
    exported = DataJob.objects.get(kind=exports.EXPORT_KIND)  # the earlier run's job was cleared
    assert exported.status == DataJob.Status.DONE
    assert exported.result["rows"] == 4


def test_the_bench_pages_answer(personas, book, settings):
    from crm_site.bench import BenchContext, measure_page
    from customers import bench
    from customers.services import interaction_record

    interaction_record(customer=book["ali"], kind="note", body="Called back.")
    settings.DEBUG = False
    for page in bench.PAGES:
        result = measure_page(page, BenchContext(customers=4, seed=1), requests=1)
        assert result.ok, (page.name, result.status)
