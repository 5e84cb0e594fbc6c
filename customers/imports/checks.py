"""Checking a file's rows: ``Analysis`` matches each row to an existing customer (or not), finds
repeats and likely duplicates; ``Summary`` counts the outcome; ``import_validate`` stores the preview."""

from collections.abc import Iterator
from typing import Any

from django.db.models.functions import Lower, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.access import Action
from crm_site.models import DataJob
from crm_site.text import search_key
from customers.duplicates import find_duplicates
from customers.imports import fields
from customers.imports.reader import ParsedRow, RowReader, compose_name
from customers.imports.workbook import batched, read_rows
from customers.models import Customer, CustomerEmail, CustomerPhone
from customers.selectors import customers_for


def set_progress(job: DataJob, *, done: int, total: int | None = None) -> None:
    job.progress_done = done
    update = {"progress_done": done}
    if total is not None:
        job.progress_total = update["progress_total"] = total
    DataJob.objects.filter(pk=job.pk).update(**update)


def _city_and_prefix(row: ParsedRow) -> tuple[str, str]:
    return row.values["city"].strip().lower(), search_key(row.values["name"])[:2]


def _name_prefixes_in_cities(rows: list[ParsedRow]) -> set[tuple[str, str]]:
    """Which (city, first two letters of the name) of these rows some customer already has:
    one query per batch, so that find_duplicates runs only for rows that can have a match."""
    if not rows:
        return set()
    wanted = {_city_and_prefix(row) for row in rows}
    return set(
        Customer.objects.annotate(city_key=Lower("city"), prefix=Substr("name_key", 1, 2))
        .filter(city_key__in={city for city, _prefix in wanted}, prefix__in={prefix for _city, prefix in wanted})
        .values_list("city_key", "prefix")
        .distinct()
    )


class Analysis:
    """Reads the job's rows in batches and decides, for each, whether it creates a customer,
    updates one, or is invalid. Keeps what earlier batches saw, to catch a customer twice in
    the same file."""

    def __init__(self, job: DataJob, *, preview: bool):
        self.job = job
        self.user = job.user
        self.preview = preview
        self.reader = RowReader(headers=job.params["headers"], mapping=job.params["mapping"])
        self.seen: dict[tuple[str, Any], int] = {}
        self.duplicate_checks = 0
        self.unchecked = 0  # new rows that might have a similar name but were not compared

    def batches(self) -> Iterator[list[ParsedRow]]:
        for batch in batched(read_rows(self.job), fields.IMPORT_BATCH_SIZE):
            rows = [self.reader.read(number, cells) for number, cells in batch]
            self._match_existing(rows)
            for row in rows:
                self._check_name(row)
                self._check_repeats(row)
            if self.preview:
                self._describe(rows)
            yield rows

    def _match_existing(self, rows: list[ParsedRow]) -> None:
        """Match on code, then any phone, then any email, among customers the user may change."""
        codes = {row.values["code"] for row in rows if row.values.get("code")}
        phones = {number for row in rows for number in row.phones}
        emails = {address for row in rows for address in row.emails}
        by_code = dict(Customer.objects.filter(code__in=codes).values_list("code", "pk")) if codes else {}
        by_phone: dict[str, list[int]] = {}
        by_email: dict[str, list[int]] = {}
        if phones:
            for number, pk in CustomerPhone.objects.filter(number__in=phones).values_list("number", "customer_id"):
                by_phone.setdefault(number, []).append(pk)
        if emails:
            for address, pk in CustomerEmail.objects.filter(address__in=emails).values_list("address", "customer_id"):
                by_email.setdefault(address, []).append(pk)
        found = set(by_code.values()) | {pk for pks in [*by_phone.values(), *by_email.values()] for pk in pks}
        changeable = (
            set(customers_for(user=self.user, action=Action.CHANGE).filter(pk__in=found).values_list("pk", flat=True))
            if found
            else set()
        )
        others_message = _("A customer with this %(what)s already exists but belongs to someone else.")
        for row in rows:
            code = row.values.get("code")
            if code and code in by_code:
                self._match(row, "code", code, [by_code[code]], changeable, others_message % {"what": _("code")})
                continue
            for number in row.phones:
                if number in by_phone:
                    message = others_message % {"what": _("phone number")}
                    self._match(row, "phone", number, by_phone[number], changeable, message)
                    break
            if row.match_id or row.blocked:
                continue
            for address in row.emails:
                if address in by_email:
                    message = others_message % {"what": _("email address")}
                    self._match(row, "email", address, by_email[address], changeable, message)
                    break

    def _match(self, row: ParsedRow, name: str, value: str, pks: list[int], changeable: set, message: str) -> None:
        allowed = [pk for pk in pks if pk in changeable]
        if allowed:
            row.match_id, row.matched_by = min(allowed), name
        else:
            row.blocked = True
            self.reader.error(row, name, value, message)

    def _check_name(self, row: ParsedRow) -> None:
        if row.match_id or row.blocked:
            return
        values = row.values
        kind = values.setdefault("kind", Customer.Kind.PERSON)
        name = compose_name(kind, values.get("first_name", ""), values.get("last_name", ""), values.get("name", ""))
        if not name:
            if kind == Customer.Kind.ORGANISATION:
                self.reader.error(row, "name", "", _("Enter the organisation's name."))
            else:
                self.reader.error(row, "name", "", _("Enter a name: first and last name, or name."))
            return
        values["name"] = name[: Customer._meta.get_field("name").max_length]

    def _check_repeats(self, row: ParsedRow) -> None:
        """The same customer twice in the file: the later row is an error."""
        keys = [("code", row.values["code"])] if row.values.get("code") else []
        keys += [("phone", number) for number in row.phones] + [("email", address) for address in row.emails]
        if row.match_id:
            keys.append(("customer", row.match_id))
        for key in keys:
            if key in self.seen:
                name = key[0] if key[0] != "customer" else row.matched_by
                self.reader.error(
                    row,
                    name,
                    key[1] if key[0] != "customer" else "",
                    _("The same customer as row %(row)s; each customer may appear once in a file.")
                    % {"row": self.seen[key]},
                )
                return
        if row.is_valid:
            for key in keys:
                self.seen[key] = row.number

    def _describe(self, rows: list[ParsedRow]) -> None:
        """For the preview: which customer each update touches, and likely duplicates of new rows."""
        new_rows = [row for row in rows if row.is_valid and not row.match_id and row.values.get("city")]
        present = _name_prefixes_in_cities(new_rows)
        for row in new_rows:
            # Phones and emails that exist already made the row an update (or an error), so only a
            # similar name in the same city is left to find, and only where such names exist.
            if _city_and_prefix(row) not in present:
                continue
            if self.duplicate_checks >= fields.IMPORT_DUPLICATE_CHECKS:
                self.unchecked += 1
                continue
            self.duplicate_checks += 1
            for candidate in find_duplicates(name=row.values["name"], city=row.values["city"], limit=3):
                row.duplicates.append(
                    {
                        "id": candidate.customer.pk,
                        "code": candidate.customer.code,
                        "name": candidate.customer.name,
                        "reasons": [str(reason) for reason in candidate.reasons],
                    }
                )
        ids = {row.match_id for row in rows if row.match_id} | {
            duplicate["id"] for row in rows for duplicate in row.duplicates
        }
        if not ids:
            return
        visible = set(customers_for(user=self.user).filter(pk__in=ids).values_list("pk", flat=True))
        matched = {
            pk: (code, name)
            for pk, code, name in Customer.objects.filter(
                pk__in={row.match_id for row in rows if row.match_id}
            ).values_list("pk", "code", "name")
        }
        for row in rows:
            for duplicate in row.duplicates:
                duplicate["visible"] = duplicate["id"] in visible
            if row.match_id:
                row.match_code, row.match_name = matched.get(row.match_id, ("", ""))


class Summary:
    """Counts of the whole file and the first IMPORT_REPORT_LIMIT errors, warnings and updates."""

    def __init__(self):
        self.rows = self.new = self.update = self.invalid = self.error_count = self.warned = 0
        self.errors: list[dict] = []
        self.duplicates: list[dict] = []
        self.updates: list[dict] = []

    def add(self, rows: list[ParsedRow]) -> None:
        for row in rows:
            self.rows += 1
            if row.errors:
                self.invalid += 1
                self.error_count += len(row.errors)
                self.errors.extend(row.errors[: max(0, fields.IMPORT_REPORT_LIMIT - len(self.errors))])
                continue
            if row.match_id:
                self.update += 1
                if len(self.updates) < fields.IMPORT_REPORT_LIMIT:
                    self.updates.append(
                        {
                            "row": row.number,
                            "id": row.match_id,
                            "code": row.match_code,
                            "name": row.match_name,
                            "by": row.matched_by,
                        }
                    )
            else:
                self.new += 1
            if row.duplicates:
                self.warned += 1
                if len(self.duplicates) < fields.IMPORT_REPORT_LIMIT:
                    self.duplicates.append(
                        {"row": row.number, "name": row.values.get("name", ""), "matches": row.duplicates}
                    )

    def counts(self) -> dict:
        return {
            "rows": self.rows,
            "new": self.new,
            "update": self.update,
            "invalid": self.invalid,
            "error_count": self.error_count,
            "errors": self.errors,
            "errors_truncated": self.error_count > len(self.errors),
        }

    def as_dict(self) -> dict:
        return {
            **self.counts(),
            "warned": self.warned,
            "duplicates": self.duplicates,
            "duplicates_truncated": self.warned > len(self.duplicates),
            "updates": self.updates,
            "updates_truncated": self.update > len(self.updates),
        }


def import_validate(job: DataJob) -> DataJob:
    """Check every row and store the preview in ``job.result``; the job becomes READY."""
    total = job.params["rows"]
    set_progress(job, done=0, total=total)
    analysis = Analysis(job, preview=True)
    summary = Summary()
    done = 0
    for rows in analysis.batches():
        summary.add(rows)
        done += len(rows)
        set_progress(job, done=done)
    job.result = {
        **summary.as_dict(),
        "duplicates_unchecked": analysis.unchecked,
        "validated_at": timezone.now().isoformat(),
    }
    job.params = {**job.params, "rows": summary.rows}  # exact now, whatever the upload estimated
    job.status = DataJob.Status.READY
    job.progress_done = job.progress_total = summary.rows
    job.save(update_fields=["result", "params", "status", "progress_done", "progress_total"])
    return job
