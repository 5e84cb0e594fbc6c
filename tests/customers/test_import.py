"""Excel import of customers: upload, mapping (remembered), validation and preview, all-or-nothing
or valid rows only, re-import as update, background jobs with progress, the template file, access."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from crm_site.models import DataJob
from customers import imports
from customers.imports import IMPORT_FIELDS, IMPORT_KIND, ImportMode, import_run
from customers.imports import fields as import_fields
from customers.imports import writer as import_writer
from customers.models import Customer, CustomerGroup, ImportMapping, Tag
from customers.services import group_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HEADERS = ["Customer code", "First name", "Last name", "Phone numbers", "Email addresses", "City", "Groups",
           "Tags", "Birth date"]  # fmt: skip


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def vip(db):
    return group_create(name="VIP")


def xlsx(rows, headers=HEADERS, name="customers.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=imports.XLSX_CONTENT_TYPE)


def upload(client, file):
    response = client.post(reverse("customers:import"), {"file": file})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return DataJob.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[-1]))


def map_columns(client, job, overrides=None):
    """Post the mapping the page offers (its guesses or the remembered one), with overrides."""
    page = client.get(reverse("customers:import_job", args=[job.pk]))
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(overrides or {})
    response = client.post(reverse("customers:import_job", args=[job.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    job.refresh_from_db()
    return job


def confirm(client, job, mode):
    response = client.post(reverse("customers:import_job", args=[job.pk]), {"action": "confirm", "mode": mode})
    job.refresh_from_db()
    return response


def import_file(client, rows, headers=HEADERS, mode=ImportMode.ALL):
    job = map_columns(client, upload(client, xlsx(rows, headers)))
    assert job.status == DataJob.Status.READY
    confirm(client, job, mode)
    return job


GOOD_ROWS = [
    ["", "Ali", "Rezaei", "0912 345 6789", "ali@example.com", "Tehran", "VIP", "wholesale; new", "1990-05-12"],
    ["K-2", "Sara", "Karimi", "+98 912 000 0002", "", "Shiraz", "", "", date(1985, 1, 2)],
    ["", "Omid", "Nouri", "", "omid@example.com; o.nouri@example.com", "Tabriz", "", "new", ""],
]
BAD_ROWS = [
    ["", "Reza", "Bad-phone", "12345", "", "Tehran", "", "", ""],  # row 5
    ["", "Mina", "Bad-email", "", "not-an-email", "Tehran", "", "", ""],  # row 6
    ["", "Nima", "Bad-group", "", "", "Tehran", "Nobody's group", "", ""],  # row 7
    ["", "Leila", "Bad-date", "", "", "Tehran", "", "", "1990-13-45"],  # row 8
    ["", "", "", "09121111112", "", "Tehran", "", "", ""],  # row 9: no name
]


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["rep", "manager", "admin"])
def test_those_who_change_customers_may_import(persona, personas, client_for):
    client = client_for(personas[persona])
    assert client.get(reverse("customers:import")).status_code == 200
    assert client.get(reverse("customers:import_template")).status_code == 200


@pytest.mark.parametrize("persona", ["marketer", "agent", "contractor"])
def test_those_who_only_see_customers_may_not_import(persona, personas, rep, client_for):
    job = DataJob.objects.create(kind=IMPORT_KIND, user=personas[persona], params={"rows": 1, "headers": ["a"]})
    client = client_for(personas[persona])
    for url in (
        reverse("customers:import"),
        reverse("customers:import_template"),
        reverse("customers:import_job", args=[job.pk]),
        reverse("customers:import_status", args=[job.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("customers:import"), {"file": xlsx(GOOD_ROWS)}).status_code == 403
    assert not DataJob.objects.exclude(pk=job.pk).exists()


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("customers:import"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_an_import_is_visible_only_to_whoever_uploaded_it(rep, rep2, manager, client_for):
    job = upload(client_for(rep), xlsx(GOOD_ROWS))
    for other in (rep2, manager):
        client = client_for(other)
        assert client.get(reverse("customers:import_job", args=[job.pk])).status_code == 404
        assert client.get(reverse("customers:import_status", args=[job.pk])).status_code == 404
        assert client.post(reverse("customers:import_job", args=[job.pk]), {"col_0": "code"}).status_code == 404
    job.refresh_from_db()
    assert job.status == DataJob.Status.PENDING


# --- the upload ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (SimpleUploadedFile("customers.csv", b"name,phone\nAli,0912"), "Upload an Excel workbook (.xlsx)"),
        (SimpleUploadedFile("customers.xlsx", b"this is not a zip file"), "could not be read as an Excel workbook"),
        (xlsx([], headers=["Name"]), "no rows below"),
    ],
)
def test_a_file_that_is_not_a_usable_workbook_is_refused(file, message, rep, client_for):
    response = client_for(rep).post(reverse("customers:import"), {"file": file})
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors["file"])
    assert not DataJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused(rep, client_for, monkeypatch):
    monkeypatch.setattr(import_fields, "IMPORT_MAX_BYTES", 1024)
    response = client_for(rep).post(reverse("customers:import"), {"file": xlsx(GOOD_ROWS)})
    assert "larger than" in response.context["form"].errors["file"][0]
    assert not DataJob.objects.exists()


def test_columns_are_guessed_from_their_headings(rep, client_for):
    client = client_for(rep)
    job = upload(client, xlsx(GOOD_ROWS, headers=["CODE", "first_name", "Surname", "Mobile", "E-mail", "city", "?"]))
    form = client.get(reverse("customers:import_job", args=[job.pk])).context["form"]
    assert [form[name].value() for name in form.fields] == [
        "code", "first_name", "last_name", "phone", "email", "city", "",
    ]  # fmt: skip
    assert job.params["rows"] == 3 and job.params["headers"][0] == "CODE"


def test_a_mapping_that_names_one_field_twice_is_refused(rep, client_for):
    client = client_for(rep)
    job = upload(client, xlsx(GOOD_ROWS))
    response = client.post(reverse("customers:import_job", args=[job.pk]), {"col_0": "city", "col_5": "city"})
    assert response.status_code == 200
    assert "already taken" in str(response.context["form"].errors)
    job.refresh_from_db()
    assert job.status == DataJob.Status.PENDING


# --- validation, preview, all or nothing ------------------------------------------------------


def test_a_file_with_bad_rows_writes_nothing_and_reports_each_bad_row(rep, vip, client_for):
    client = client_for(rep)
    job = map_columns(client, upload(client, xlsx(GOOD_ROWS + BAD_ROWS)))

    assert job.status == DataJob.Status.READY
    assert (job.result["new"], job.result["update"], job.result["invalid"]) == (3, 0, 5)
    problems = {(error["row"], error["field"]): error["message"] for error in job.result["errors"]}
    assert "not a valid phone number" in problems[(5, "phone")]
    assert "not a valid email address" in problems[(6, "email")]
    assert "no customer group named" in problems[(7, "groups")]
    assert "not a date" in problems[(8, "birth_date")]
    assert "Enter a name" in problems[(9, "name")]

    page = client.get(reverse("customers:import_job", args=[job.pk])).content.decode()
    for row in ("5", "6", "7", "8", "9"):
        assert f'<td class="text-end font-monospace">{row}</td>' in page
    assert "“12345” is not a valid phone number." in page

    response = confirm(client, job, ImportMode.ALL)
    assert response.status_code == 200
    assert "5 rows have errors, so nothing can be imported in this mode" in response.content.decode()
    assert job.status == DataJob.Status.READY
    assert not Customer.objects.exists()


def test_importing_only_the_valid_rows_skips_the_bad_ones(rep, vip, client_for):
    client = client_for(rep)
    job = import_file(client, GOOD_ROWS + BAD_ROWS, mode=ImportMode.VALID)

    assert job.status == DataJob.Status.DONE
    assert (job.result["created"], job.result["updated"], job.result["skipped"]) == (3, 0, 5)
    assert Customer.objects.count() == 3
    ali = Customer.objects.get(last_name="Rezaei")
    assert ali.name == "Ali Rezaei" and ali.owner == rep and ali.team == rep.team and ali.created_by == rep
    assert ali.code == f"C{ali.pk:06d}"
    assert ali.phone == "+989123456789" and ali.email == "ali@example.com"
    assert list(ali.groups.all()) == [vip]
    assert set(ali.tags.values_list("name", flat=True)) == {"wholesale", "new"}
    assert ali.birth_date == date(1990, 5, 12)
    assert "09123456789" in ali.search_text and ali.name_key == "ali rezaei"
    assert ali.history.count() == 1 and ali.history.first().history_user == rep
    sara = Customer.objects.get(code="K-2")
    assert sara.birth_date == date(1985, 1, 2) and sara.phone == "+989120000002"
    omid = Customer.objects.get(last_name="Nouri")
    assert omid.email == "omid@example.com"
    assert list(omid.emails.values_list("address", "is_primary")) == [
        ("omid@example.com", True),
        ("o.nouri@example.com", False),
    ]
    assert Tag.objects.filter(name="new").count() == 1

    page = client.get(reverse("customers:import_job", args=[job.pk])).content.decode()
    assert 'data-count="created">3<' in page and 'data-count="skipped">5<' in page


def test_reimporting_the_same_file_updates_instead_of_duplicating(rep, vip, client_for):
    client = client_for(rep)
    import_file(client, GOOD_ROWS)
    assert Customer.objects.count() == 3

    changed = [[*row[:5], "Isfahan", *row[6:]] for row in GOOD_ROWS]
    job = map_columns(client, upload(client, xlsx(changed)))
    assert (job.result["new"], job.result["update"], job.result["invalid"]) == (0, 3, 0)
    assert {update["by"] for update in job.result["updates"]} == {"phone", "code", "email"}
    confirm(client, job, ImportMode.ALL)

    assert job.status == DataJob.Status.DONE
    assert (job.result["created"], job.result["updated"]) == (0, 3)
    assert Customer.objects.count() == 3
    assert set(Customer.objects.values_list("city", flat=True)) == {"Isfahan"}
    ali = Customer.objects.get(last_name="Rezaei")
    assert ali.phones.count() == 1 and ali.groups.count() == 1 and ali.tags.count() == 2
    assert ali.history.first().history_type == "~"


def test_blank_cells_leave_existing_values_alone(rep, client_for):
    customer = CustomerFactory(code="K-9", name="Old Name", city="Qom", owner=rep, occupation="Baker")
    client = client_for(rep)
    import_file(client, [["K-9", "", "", "", "", "", "", "", ""]], headers=HEADERS)
    customer.refresh_from_db()
    assert (customer.name, customer.city, customer.occupation) == ("Old Name", "Qom", "Baker")


def test_a_customer_someone_else_owns_is_not_updated(rep, outsider_rep, client_for):
    theirs = CustomerFactory(
        name="Their Customer", owner=outsider_rep, team=outsider_rep.team, phones=["+989125550000"]
    )
    client = client_for(rep)
    job = map_columns(client, upload(client, xlsx([["", "New", "Person", "09125550000", "", "", "", "", ""]])))
    assert job.result["invalid"] == 1
    assert "belongs to someone else" in job.result["errors"][0]["message"]
    confirm(client, job, ImportMode.VALID)
    assert Customer.objects.get().pk == theirs.pk


def test_the_same_customer_twice_in_a_file_is_an_error(rep, client_for):
    client = client_for(rep)
    rows = [
        ["", "Ali", "Rezaei", "09123456789", "", "", "", "", ""],
        ["", "Ali", "R.", "+989123456789", "", "", "", "", ""],
    ]
    job = map_columns(client, upload(client, xlsx(rows)))
    assert (job.result["new"], job.result["invalid"]) == (1, 1)
    assert job.result["errors"][0]["row"] == 3
    assert "same customer as row 2" in job.result["errors"][0]["message"]


def test_a_new_row_like_an_existing_customer_gets_a_duplicate_warning(rep, rep2, client_for):
    existing = CustomerFactory(name="Hossein Mohammadi", city="Tehran", owner=rep2)
    client = client_for(rep)
    job = map_columns(client, upload(client, xlsx([["", "Hossein", "Mohamadi", "", "", "Tehran", "", "", ""]])))
    assert (job.result["new"], job.result["warned"]) == (1, 1)
    page = client.get(reverse("customers:import_job", args=[job.pk])).content.decode()
    assert "Hossein Mohammadi" in page and "similar name in the same city" in page
    assert reverse("customers:detail", args=[existing.pk]) not in page  # rep may not open rep2's customer


def test_the_similar_name_check_is_bounded_on_large_files(rep, client_for, monkeypatch):
    monkeypatch.setattr(import_fields, "IMPORT_DUPLICATE_CHECKS", 1)
    CustomerFactory(name="Hossein Mohammadi", city="Tehran", owner=rep)
    CustomerFactory(name="Hassan Mohammadi", city="Tehran", owner=rep)
    rows = [["", "Hossein", "Mohamadi", "", "", "Tehran", "", "", ""], ["", "Hasan", "Mohammadi", "", "", "Tehran"]]
    client = client_for(rep)
    job = map_columns(client, upload(client, xlsx(rows)))
    assert (job.result["new"], job.result["warned"], job.result["duplicates_unchecked"]) == (2, 1, 1)
    page = client.get(reverse("customers:import_job", args=[job.pk])).content.decode()
    assert "1 more new row was not compared with existing names" in page


def test_persian_digits_are_accepted_in_phones_dates_and_numbers(rep, client_for):
    client = client_for(rep)
    headers = ["First name", "Last name", "Phone numbers", "Birth date", "Acquisition cost", "Postal code"]
    import_file(client, [["Zahra", "Ahmadi", "۰۹۱۲ ۳۴۵ ۶۷۸۹", "۱۹۹۰-۰۵-۱۲", "۱٬۲۵۰٬۰۰۰", "۱۲۳۴۵۶۷۸۹۰"]], headers)
    zahra = Customer.objects.get()
    assert zahra.phone == "+989123456789"
    assert zahra.birth_date == date(1990, 5, 12)
    assert zahra.acquisition_cost == Decimal("1250000.00")
    assert zahra.postal_code == "1234567890"


def test_choices_consent_and_organisations(rep, client_for):
    client = client_for(rep)
    headers = ["Kind", "Name (organisation)", "Status", "Province", "SMS consent", "Email consent", "Gender"]
    rows = [
        ["Organisation", "Acme Trading", "Active", "Isfahan", "yes", "0", ""],
        ["person", "", "lost", "tehran", "", "", ""],
        ["company", "Beta Co", "Sleeping", "Atlantis", "maybe", "", "female"],
    ]
    job = map_columns(client, upload(client, xlsx(rows, headers)))
    problems = {(error["row"], error["field"]) for error in job.result["errors"]}
    assert problems == {(3, "name"), (4, "status"), (4, "province"), (4, "sms_consent")}
    confirm(client, job, ImportMode.VALID)
    acme = Customer.objects.get()
    assert (acme.kind, acme.status, acme.province) == ("organisation", "active", "isfahan")
    assert acme.sms_consent and acme.sms_consent_method == Customer.ConsentMethod.IMPORT and acme.sms_consent_at
    assert not acme.email_consent


# --- the remembered mapping ------------------------------------------------------------------


def test_the_mapping_is_remembered_for_the_next_file_with_the_same_headings(rep, rep2, client_for):
    headers = ["Nom", "Famille", "Mob"]
    rows = [["Ali", "Rezaei", "09123456789"]]
    client = client_for(rep)
    first = upload(client, xlsx(rows, headers))
    page = client.get(reverse("customers:import_job", args=[first.pk]))
    assert not page.context["remembered"]
    map_columns(client, first, {"col_0": "first_name", "col_1": "last_name", "col_2": "phone"})
    assert ImportMapping.objects.get(user=rep).columns == ["first_name", "last_name", "phone"]

    second = upload(client, xlsx([["Sara", "Karimi", "09120000002"]], headers))
    page = client.get(reverse("customers:import_job", args=[second.pk]))
    assert page.context["remembered"]
    assert [page.context["form"][f"col_{i}"].value() for i in range(3)] == ["first_name", "last_name", "phone"]
    assert "your mapping from then is filled in" in page.content.decode()

    other = client_for(rep2)
    third = upload(other, xlsx(rows, headers))
    assert not other.get(reverse("customers:import_job", args=[third.pk])).context["remembered"]


# --- large files in the background -------------------------------------------------------------


def test_a_large_file_is_validated_and_imported_by_the_worker(
    rep, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(import_fields, "IMPORT_SYNC_MAX_ROWS", 5)
    from customers import tasks

    queued = []
    original_delay = tasks.run_customer_import.delay
    monkeypatch.setattr(
        tasks.run_customer_import, "delay", lambda job_id: queued.append(job_id) or original_delay(job_id)
    )
    rows = [["", f"Person{i}", "Test", f"0912{i:07d}", "", "Tehran", "", "", ""] for i in range(12)]
    rows[4:4] = [[], [], []]  # blank rows are skipped, not counted
    client = client_for(rep)
    job = upload(client, xlsx(rows))
    assert job.params["rows"] == 15  # the sheet's recorded size, for now: a large file is not read twice

    with django_capture_on_commit_callbacks(execute=True):
        job = map_columns(client, job)
        assert job.status == DataJob.Status.QUEUED  # the worker takes it once the request commits
    job.refresh_from_db()
    assert queued == [job.pk]
    assert job.status == DataJob.Status.READY and job.result["new"] == 12 and job.params["rows"] == 12

    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job, ImportMode.ALL)
    job.refresh_from_db()
    assert queued == [job.pk, job.pk]
    assert job.status == DataJob.Status.DONE
    assert job.percent == 100 and job.progress_done == job.progress_total == 24
    assert Customer.objects.count() == 12

    # Asked again (a retried task), the finished job does nothing.
    import_run(job_id=job.pk)
    assert Customer.objects.count() == 12

    status = client.get(reverse("customers:import_status", args=[job.pk]))
    assert status["HX-Refresh"] == "true"


def test_the_job_page_polls_its_progress_while_the_job_runs(rep, client_for):
    job = DataJob.objects.create(
        kind=IMPORT_KIND,
        user=rep,
        status=DataJob.Status.RUNNING,
        input_name="big.xlsx",
        params={"rows": 20000, "headers": ["a"], "step": "validate"},
        progress_done=5000,
        progress_total=20000,
    )
    client = client_for(rep)
    page = client.get(reverse("customers:import_job", args=[job.pk])).content.decode()
    assert f'hx-get="{reverse("customers:import_status", args=[job.pk])}"' in page
    assert 'hx-trigger="every 2s"' in page and "25%" in page
    fragment = client.get(reverse("customers:import_status", args=[job.pk]))
    assert "HX-Refresh" not in fragment and 'aria-valuenow="25"' in fragment.content.decode()


def test_an_unexpected_error_fails_the_job_and_writes_nothing(rep, client_for, monkeypatch):
    def explode(self, rows, customer_of):
        assert Customer.objects.exists()  # the customers of the batch are written by now...
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(import_writer._Writer, "_add_links", explode)
    client = client_for(rep)
    job = import_file(client, GOOD_ROWS[1:])
    assert job.status == DataJob.Status.FAILED and "disk on fire" in job.error
    assert not Customer.objects.exists() and not Tag.objects.exists()  # ...and rolled back
    assert "Nothing was imported" in client.get(reverse("customers:import_job", args=[job.pk])).content.decode()


# --- the template file and the preview's cost ------------------------------------------------


def test_the_template_is_a_workbook_whose_headings_the_import_understands(rep, client_for):
    client = client_for(rep)
    response = client.get(reverse("customers:import_template"))
    assert response["Content-Type"] == imports.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.content), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == [str(f.label) for f in IMPORT_FIELDS]
    assert len(rows) == 2

    # Uploaded back as it is, every column is recognised and the example row imports.
    job = upload(client, SimpleUploadedFile("template.xlsx", response.content))
    form = client.get(reverse("customers:import_job", args=[job.pk])).context["form"]
    assert [form[name].value() for name in form.fields] == [f.name for f in IMPORT_FIELDS]
    job = map_columns(client, job)
    assert (job.result["new"], job.result["invalid"]) == (1, 0)


@pytest.mark.parametrize("count", [5, 60])
def test_the_preview_costs_the_same_queries_whatever_the_number_of_rows(
    count, rep, vip, client_for, django_assert_max_num_queries
):
    CustomerFactory(name="Person Test", city="Tehran")
    rows = [["", "Person", f"Test{i}", "09123" if i % 2 else "", "", "Tehran", "VIP", "", ""] for i in range(count)]
    client = client_for(rep)
    job = map_columns(client, upload(client, xlsx(rows)))
    assert job.result["invalid"] and job.result["warned"]
    with django_assert_max_num_queries(9):
        response = client.get(reverse("customers:import_job", args=[job.pk]))
    assert response.status_code == 200


def test_going_back_to_the_mapping_keeps_the_file(rep, client_for):
    client = client_for(rep)
    job = map_columns(client, upload(client, xlsx(GOOD_ROWS)))
    client.post(reverse("customers:import_job", args=[job.pk]), {"action": "remap"})
    job.refresh_from_db()
    assert job.status == DataJob.Status.PENDING
    assert client.get(reverse("customers:import_job", args=[job.pk])).context["remembered"]
    assert CustomerGroup.objects.count() == 0 and not Customer.objects.exists()
