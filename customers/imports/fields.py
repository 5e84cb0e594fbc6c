"""What the customer import understands: the columns (``IMPORT_FIELDS``), the import modes, the
choice lists cells are matched against, and the limits.

The other modules read the limits as ``fields.IMPORT_...`` (through this module), so that a test or
a setting that changes one here takes effect everywhere.
"""

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy

from customers.geography import Province
from customers.models import Customer

IMPORT_KIND = "customers.import"
# Files with more rows than this are validated and applied by a Celery worker, with progress.
IMPORT_SYNC_MAX_ROWS = 2000
IMPORT_MAX_BYTES = 10 * 1024 * 1024
IMPORT_MAX_ROWS = 50_000
IMPORT_MAX_COLUMNS = 100
# Rows analysed and written per round of bulk queries.
IMPORT_BATCH_SIZE = 2000
# How many errors, warnings and updates the preview keeps (the counts are always complete).
IMPORT_REPORT_LIMIT = 500
IMPORT_SAMPLE_ROWS = 3
# find_duplicates costs a query and up to 200 name comparisons per row; past this many rows of a
# file the similar-name check stops (exact matches on code, phone and email are always found).
IMPORT_DUPLICATE_CHECKS = 2000

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportMode(models.TextChoices):
    ALL = "all", gettext_lazy("Import all rows (only possible when no row is invalid)")
    VALID = "valid", gettext_lazy("Import only the valid rows and skip the invalid ones")


@dataclass(frozen=True)
class ImportField:
    """A column the import understands. ``kind`` names the parser that reads its cells."""

    name: str
    label: str
    kind: str
    help_text: str = ""
    example: Any = ""
    aliases: tuple[str, ...] = ()


_l = gettext_lazy
IMPORT_FIELDS: list[ImportField] = [
    ImportField("code", _l("Customer code"), "code", _l("Matches an existing customer; left blank, one is generated."),
                "", ("customer code", "id")),
    ImportField("kind", _l("Kind"), "choice", _l("Person or organisation (a person when left blank)."), "person",
                ("type",)),
    ImportField("first_name", _l("First name"), "text", "", "Ali", ("firstname", "given name")),
    ImportField("last_name", _l("Last name"), "text", "", "Rezaei", ("lastname", "surname", "family name")),
    ImportField("name", _l("Name (organisation)"), "text",
                _l("An organisation's name, or a person's full name when first and last name are not given."), "",
                ("name", "organisation", "organization", "company", "full name")),
    ImportField("phone", _l("Phone numbers"), "phones", _l("One or more, separated by , or ;. Any format."),
                "0912 345 6789", ("phone", "phones", "mobile", "mobile phone", "tel", "telephone", "phone number")),
    ImportField("email", _l("Email addresses"), "emails", _l("One or more, separated by , or ;."),
                "ali.rezaei@example.com", ("email", "emails", "e-mail", "email address")),
    ImportField("status", _l("Status"), "choice", _l("Prospect, active, inactive or lost."), "active"),
    ImportField("province", _l("Province"), "choice", _l("The province's name or code."), "Tehran"),
    ImportField("city", _l("City"), "text", "", "Tehran"),
    ImportField("region", _l("Region"), "text", _l("District or area."), "", ("district", "area")),
    ImportField("address", _l("Address"), "text", "", ""),
    ImportField("postal_code", _l("Postal code"), "digits", "", "", ("postcode", "zip", "zip code")),
    ImportField("source", _l("Source"), "source", _l("The name of an existing source."), ""),
    ImportField("groups", _l("Groups"), "groups",
                _l("Names of existing groups, separated by ;. Write Parent > Child when a name is ambiguous."), "",
                ("group",)),
    ImportField("tags", _l("Tags"), "tags", _l("Separated by ; or ,. Missing tags are created."), "", ("tag",)),
    ImportField("birth_date", _l("Birth date"), "date", _l("yyyy-mm-dd (Gregorian) or an Excel date."),
                "1990-05-12", ("birthday", "date of birth", "dob")),
    ImportField("gender", _l("Gender"), "choice", _l("Female, male or other."), ""),
    ImportField("occupation", _l("Occupation"), "text", "", "", ("job",)),
    ImportField("education", _l("Education"), "choice", "", ""),
    ImportField("income_band", _l("Income band"), "choice", "", "", ("income",)),
    ImportField("sms_consent", _l("SMS consent"), "bool", _l("Agrees to marketing SMS: yes or no."), "no"),
    ImportField("email_consent", _l("Email consent"), "bool", _l("Agrees to marketing email: yes or no."), "no"),
    ImportField("acquisition_cost", _l("Acquisition cost"), "decimal", _l("A number, e.g. 1250000 or 1,250,000."),
                ""),
    ImportField("notes", _l("Notes"), "text", "", "", ("note", "comment", "comments")),
]  # fmt: skip
IMPORT_FIELDS_BY_NAME: dict[str, ImportField] = {f.name: f for f in IMPORT_FIELDS}
# A mapping must include one of these: a name for new customers, or an identifier for updates.
IDENTIFYING_FIELDS = frozenset({"name", "first_name", "last_name", "code", "phone", "email"})

CHOICES: dict[str, type[models.TextChoices]] = {
    "kind": Customer.Kind,
    "status": Customer.Status,
    "province": Province,
    "gender": Customer.Gender,
    "education": Customer.Education,
    "income_band": Customer.IncomeBand,
}
