"""Writing an import: the bulk writer of customers, contacts, groups, tags and history, and
``import_apply``, which analyses the file again and writes it in one transaction."""

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.models import DataJob, User
from crm_site.text import search_key
from customers.imports import fields
from customers.imports.checks import Analysis, Summary, set_progress
from customers.imports.fields import ImportMode
from customers.imports.reader import ParsedRow, compose_name
from customers.imports.workbook import batched
from customers.models import Customer, CustomerEmail, CustomerPhone, Tag
from customers.services import apply_derived_fields, build_search_text


def _update_rows(customers: Sequence[Customer], names: Sequence[str]) -> None:
    """Write the fields ``names`` of many customers: one UPDATE statement, executed once per row.

    Django's ``bulk_update`` builds one CASE branch per row and field, which grows with the
    square of the batch and takes over a minute for 10,000 rows on SQLite; this takes a second.
    """
    if not customers or not names:
        return
    connection = connections[Customer.objects.db]
    quote = connection.ops.quote_name
    columns = [Customer._meta.get_field(name) for name in names]
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    # Table and column names come from the model, values go as parameters.
    sql = f"UPDATE {quote(Customer._meta.db_table)} SET {assignments} WHERE {quote(Customer._meta.pk.column)} = %s"  # noqa: S608
    params = [
        [column.get_db_prep_save(getattr(customer, column.attname), connection) for column in columns] + [customer.pk]
        for customer in customers
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


class _Writer:
    """Writes analysed rows with bulk queries, batch by batch: new customers (with their codes),
    updates of the mapped fields, contacts, groups and tags, and one history entry per customer.

    The derived columns (primary phone and email, ``name_key``, ``search_text``) are computed
    here with the rules of ``customers_refresh_derived`` rather than by calling it afterwards:
    its ``bulk_update`` is what made a 10,000-row import take minutes.
    """

    def __init__(self, *, user: User, file_codes: set[str]):
        self.user = user
        self.now = timezone.now()
        self.file_codes = file_codes  # codes the file gives; a generated code must not take one
        self.created = self.updated = 0
        self.tag_ids = {search_key(name): pk for pk, name in Tag.objects.values_list("pk", "name")}
        self.reason = _("Excel import")

    def write(self, rows: list[ParsedRow]) -> None:
        customer_of: dict[int, int] = {}
        phones: list[CustomerPhone] = []
        emails: list[CustomerEmail] = []
        created = self._create([row for row in rows if not row.match_id], customer_of, phones, emails)
        updated = self._update([row for row in rows if row.match_id], customer_of, phones, emails)
        CustomerPhone.objects.bulk_create(phones, batch_size=fields.IMPORT_BATCH_SIZE)
        CustomerEmail.objects.bulk_create(emails, batch_size=fields.IMPORT_BATCH_SIZE)
        self._add_links(rows, customer_of)
        for customers, is_update in ((created, False), (updated, True)):
            Customer.history.bulk_history_create(
                customers,
                update=is_update,
                default_user=self.user,
                default_change_reason=self.reason,
                default_date=self.now,
                batch_size=fields.IMPORT_BATCH_SIZE,
            )
        self.created += len(created)
        self.updated += len(updated)

    def _create(self, rows: list[ParsedRow], customer_of: dict, phones: list, emails: list) -> list[Customer]:
        customers = [self._new_customer(row) for row in rows]
        Customer.objects.bulk_create(customers, batch_size=fields.IMPORT_BATCH_SIZE)
        needs_code = [customer for customer, row in zip(customers, rows, strict=True) if not row.values.get("code")]
        self._assign_codes(needs_code)
        for customer, row in zip(customers, rows, strict=True):
            customer_of[row.number] = customer.pk
            customer.search_text = build_search_text(
                name=customer.name, code=customer.code, phones=row.phones, emails=row.emails
            )
            phones += [CustomerPhone(customer=customer, number=n, is_primary=i == 0) for i, n in enumerate(row.phones)]
            emails += [CustomerEmail(customer=customer, address=a, is_primary=i == 0) for i, a in enumerate(row.emails)]
        _update_rows(needs_code, ["code", "search_text"])
        given_code = [customer for customer, row in zip(customers, rows, strict=True) if row.values.get("code")]
        _update_rows(given_code, ["search_text"])
        return customers

    def _new_customer(self, row: ParsedRow) -> Customer:
        values = dict(row.values)
        code = values.pop("code", "") or f"tmp-{uuid.uuid4().hex[:24]}"
        customer = Customer(
            **values,
            code=code,
            owner=self.user,
            team_id=self.user.team_id,
            created_by=self.user,
            phone=row.phones[0] if row.phones else "",
            email=row.emails[0] if row.emails else "",
            name_key=search_key(values["name"]),
        )
        for channel in ("sms", "email"):
            if values.get(f"{channel}_consent"):
                setattr(customer, f"{channel}_consent_at", self.now)
                setattr(customer, f"{channel}_consent_method", Customer.ConsentMethod.IMPORT)
        return customer

    def _assign_codes(self, customers: list[Customer]) -> None:
        """C000042 from the primary key, as the services make codes; a code already taken (by
        another customer or by a row of this file) gets a random suffix."""
        wanted = {customer.pk: f"C{customer.pk:06d}" for customer in customers}
        taken = self.file_codes | set(Customer.objects.filter(code__in=wanted.values()).values_list("code", flat=True))
        for customer in customers:
            code = wanted[customer.pk]
            customer.code = code if code not in taken else f"{code}-{uuid.uuid4().hex[:4]}"

    def _update(self, rows: list[ParsedRow], customer_of: dict, phones: list, emails: list) -> list[Customer]:
        if not rows:
            return []
        customers = Customer.objects.in_bulk([row.match_id for row in rows])
        own_phones: dict[int, list[str]] = {pk: [] for pk in customers}
        own_emails: dict[int, list[str]] = {pk: [] for pk in customers}
        # In the order customers_refresh_derived reads them: the primary first.
        primary_first = ("customer_id", "-is_primary", "id")
        for pk, number in (
            CustomerPhone.objects.filter(customer_id__in=customers)
            .order_by(*primary_first)
            .values_list("customer_id", "number")
        ):
            own_phones[pk].append(number)
        for pk, address in (
            CustomerEmail.objects.filter(customer_id__in=customers)
            .order_by(*primary_first)
            .values_list("customer_id", "address")
        ):
            own_emails[pk].append(address)
        changed = {"updated_at", "phone", "email", "name_key", "search_text"}
        for row in rows:
            customer = customers[row.match_id]
            customer_of[row.number] = customer.pk
            values = self._changes(customer, row)
            for name, value in values.items():
                setattr(customer, name, value)
            changed.update(values)
            if values.keys() & {"kind", "first_name", "last_name", "name"}:
                customer.name = (
                    compose_name(customer.kind, customer.first_name, customer.last_name, customer.name) or customer.name
                )
                changed.add("name")
            for number in row.phones:
                if number not in own_phones[customer.pk]:
                    phones.append(
                        CustomerPhone(customer=customer, number=number, is_primary=not own_phones[customer.pk])
                    )
                    own_phones[customer.pk].append(number)
            for address in row.emails:
                if address not in own_emails[customer.pk]:
                    emails.append(
                        CustomerEmail(customer=customer, address=address, is_primary=not own_emails[customer.pk])
                    )
                    own_emails[customer.pk].append(address)
            apply_derived_fields(customer, phones=own_phones[customer.pk], emails=own_emails[customer.pk])
            customer.updated_at = self.now
        _update_rows(list(customers.values()), sorted(changed))
        return list(customers.values())

    def _changes(self, customer: Customer, row: ParsedRow) -> dict[str, Any]:
        """The row's values for an existing customer: never its code (it identifies the
        customer), and consent stamped when given and cleared when withdrawn."""
        values = {name: value for name, value in row.values.items() if name != "code"}
        for channel in ("sms", "email"):
            given = values.get(f"{channel}_consent")
            if given is True and not getattr(customer, f"{channel}_consent"):
                values[f"{channel}_consent_at"] = self.now
                values[f"{channel}_consent_method"] = Customer.ConsentMethod.IMPORT
            elif given is False:
                values[f"{channel}_consent_at"] = None
                values[f"{channel}_consent_method"] = ""
        return values

    def _add_links(self, rows: list[ParsedRow], customer_of: dict[int, int]) -> None:
        """Groups and tags, added to those the customers have (tags created when missing)."""
        group_link = Customer.groups.through
        links = [
            group_link(customer_id=customer_of[row.number], customergroup_id=group_id)
            for row in rows
            for group_id in row.group_ids
        ]
        group_link.objects.bulk_create(links, batch_size=fields.IMPORT_BATCH_SIZE, ignore_conflicts=True)
        wanted = {search_key(name): name for row in rows for name in row.tag_names}
        missing = {key: name for key, name in wanted.items() if key not in self.tag_ids}
        if missing:
            Tag.objects.bulk_create([Tag(name=name) for name in missing.values()], ignore_conflicts=True)
            for pk, name in Tag.objects.filter(name__in=missing.values()).values_list("pk", "name"):
                self.tag_ids[search_key(name)] = pk
        tag_link = Customer.tags.through
        links = [
            tag_link(customer_id=customer_of[row.number], tag_id=self.tag_ids[search_key(name)])
            for row in rows
            for name in row.tag_names
            if search_key(name) in self.tag_ids
        ]
        tag_link.objects.bulk_create(links, batch_size=fields.IMPORT_BATCH_SIZE, ignore_conflicts=True)


def import_apply(job: DataJob, mode: str) -> DataJob:
    """Write a validated import in one transaction: every row in mode "all" (refused when any
    row is invalid), or only the valid rows in mode "valid". The job becomes DONE."""
    rows_total = job.params["rows"]
    # Half the bar reads and checks the rows, half writes them.
    total = 2 * rows_total
    set_progress(job, done=0, total=total)
    summary = Summary()
    valid: list[ParsedRow] = []
    done = 0
    for rows in Analysis(job, preview=False).batches():
        summary.add(rows)
        valid.extend(row for row in rows if row.is_valid)
        done += len(rows)
        set_progress(job, done=done)
    if mode == ImportMode.ALL and summary.invalid:
        # Customers changed since the preview: show the new errors and ask again.
        job.result = {
            **job.result,
            **summary.counts(),
            "notice": _("Some rows became invalid since the preview, so nothing was imported. Review them below."),
        }
        job.status = DataJob.Status.READY
        job.save(update_fields=["result", "status"])
        return job
    with transaction.atomic():
        writer = _Writer(user=job.user, file_codes={row.values["code"] for row in valid if row.values.get("code")})
        for rows in batched(valid, fields.IMPORT_BATCH_SIZE):
            writer.write(rows)
            done += len(rows)
            set_progress(job, done=done)
        job.result = {
            **job.result,
            **summary.counts(),
            "mode": mode,
            "created": writer.created,
            "updated": writer.updated,
            "skipped": summary.invalid,
        }
        job.result.pop("notice", None)
        job.status = DataJob.Status.DONE
        job.progress_done = job.progress_total = total
        job.finished_at = timezone.now()
        job.save(update_fields=["result", "status", "progress_done", "progress_total", "finished_at"])
    return job
