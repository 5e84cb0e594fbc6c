"""python manage.py clv_fit FILE [--end YYYY-MM-DD] [--unit weeks|days] [--format auto|csv|cdnow]

Fits the predictive CLV models (BG/NBD and Gamma-Gamma) to any purchase log and prints the
parameters, so that a user can check the models on their own export, and anyone can check them
on the CDNOW data set against the published figures:

    python manage.py clv_fit ../shared/data/cdnow/CDNOW_sample.txt --format cdnow --end 1997-09-30

It reads the file, summarises it with the same code that summarises the CRM's own orders, and
never touches the database.
"""

from __future__ import annotations

from pathlib import Path
from time import perf_counter

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from analytics.clv import (
    NotEnoughDataError,
    PurchaseLogError,
    fit_bgnbd,
    fit_gamma_gamma,
    read_purchase_log,
    summarise,
)
from analytics.clv.purchase_log import parse_day

UNITS = {"weeks": 7.0, "days": 1.0}
SHOWN_SKIPPED_LINES = 10
FIGURE_WIDTH = 16


def _translated(error: PurchaseLogError | NotEnoughDataError) -> str:
    return _(error.template) % error.params


class Command(BaseCommand):
    help = _(
        "Fit the BG/NBD and Gamma-Gamma customer-value models to a purchase log (customer, date and amount "
        "columns) and print their parameters."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The purchase log: a CSV file, or a CDNOW text file."))
        parser.add_argument(
            "--end",
            help=_("Last day of the calibration period, YYYY-MM-DD (default: the last purchase date in the file)."),
        )
        parser.add_argument(
            "--unit", choices=sorted(UNITS), default="weeks", help=_("Time unit of the parameters (default weeks).")
        )
        parser.add_argument(
            "--format",
            choices=["auto", "csv", "cdnow"],
            default="auto",
            help=_("File format (default: auto-detect)."),
        )

    def handle(self, *args, file: str, end: str | None, unit: str, format: str, **options):
        started = perf_counter()
        try:
            log = read_purchase_log(Path(file), format=format)
        except PurchaseLogError as error:
            raise CommandError(_translated(error)) from None
        read_seconds = perf_counter() - started

        if end is None:
            end_day = log.days.max()
        else:
            end_day = parse_day(end)
            if end_day is None:
                raise CommandError(_("--end must be a date such as 1997-09-30, not %(value)r.") % {"value": end})

        summary = summarise(log.customers, log.days, log.amounts, end=end_day, unit_days=UNITS[unit])
        if not len(summary):
            raise CommandError(_("No purchase in the file is on or before %(end)s.") % {"end": end_day})
        fit_started = perf_counter()
        try:
            bg = fit_bgnbd(summary.frequency, summary.recency, summary.age)
        except NotEnoughDataError as error:
            raise CommandError(_translated(error)) from None
        try:
            gg = fit_gamma_gamma(summary.frequency, summary.monetary)
        except NotEnoughDataError as error:
            gg, gg_error = None, _translated(error)
        fit_seconds = perf_counter() - fit_started

        sections: list[tuple[str | None, list[tuple[str, str]]]] = [
            (
                _("Purchase log: %(name)s (%(format)s)") % {"name": Path(file).name, "format": log.format},
                [
                    (_("Purchases read"), f"{len(log):,}"),
                    (_("Rows skipped"), self._skipped(log.skipped_lines)),
                    (_("Calibration end"), str(end_day)),
                    (_("Time unit"), _("weeks") if unit == "weeks" else _("days")),
                    (_("Customers"), f"{len(summary):,}"),
                    (_("Repeat buyers"), f"{summary.repeat_buyers:,}"),
                    (_("Repeat purchases"), f"{int(summary.frequency.sum()):,}"),
                ],
            ),
            (
                _("BG/NBD: purchase rate and drop-out"),
                [
                    ("r", f"{bg.params.r:.6f}"),
                    ("alpha", f"{bg.params.alpha:.6f}"),
                    ("a", f"{bg.params.a:.6f}"),
                    ("b", f"{bg.params.b:.6f}"),
                    (_("Log-likelihood"), f"{bg.log_likelihood:.4f}"),
                    (_("Converged"), self._yes_no(bg.converged)),
                ],
            ),
        ]
        gg_heading = _("Gamma-Gamma: spend per purchase")
        if gg is None:
            sections.append((gg_heading, [(_("Not fitted"), gg_error)]))
        else:
            mean = gg.params.mean_spend
            sections.append(
                (
                    gg_heading,
                    [
                        ("p", f"{gg.params.p:.6f}"),
                        ("q", f"{gg.params.q:.6f}"),
                        ("gamma", f"{gg.params.gamma:.6f}"),
                        (_("Log-likelihood"), f"{gg.log_likelihood:.4f}"),
                        (_("Customers fitted"), f"{gg.customers:,}"),
                        (_("Mean spend"), f"{mean:,.2f}" if np.isfinite(mean) else "-"),
                        (_("Converged"), self._yes_no(gg.converged)),
                    ],
                )
            )
        elapsed = _("%(total).3f s (reading %(read).3f s, fitting %(fit).3f s)") % {
            "total": perf_counter() - started,
            "read": read_seconds,
            "fit": fit_seconds,
        }
        sections.append((None, [(_("Elapsed"), elapsed)]))
        self._print(sections)
        if not bg.converged or (gg is not None and not gg.converged):
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "A fit did not converge: the log has too few customers or repeat purchases for the model "
                        "to be estimated, so its figures mean little."
                    )
                )
            )

    def _print(self, sections: list[tuple[str | None, list[tuple[str, str]]]]) -> None:
        """One column of labels and one of right-aligned figures across all the sections, so the
        figures line up; a longer value (a message, a list of lines) just runs on to the right."""
        rows = [row for _heading, section in sections for row in section]
        label_width = max(len(label) for label, _value in rows)
        value_width = max((len(value) for _label, value in rows if len(value) <= FIGURE_WIDTH), default=0)
        for number, (heading, section) in enumerate(sections):
            if number:
                self.stdout.write("")
            if heading:
                self.stdout.write(self.style.MIGRATE_HEADING(heading))
            for label, value in section:
                self.stdout.write(f"  {label.ljust(label_width)}  {value.rjust(value_width)}")

    @staticmethod
    def _yes_no(flag: bool) -> str:
        return _("yes") if flag else _("no")

    @staticmethod
    def _skipped(lines: tuple[int, ...]) -> str:
        if not lines:
            return "0"
        shown = ", ".join(str(line) for line in lines[:SHOWN_SKIPPED_LINES])
        more = ", …" if len(lines) > SHOWN_SKIPPED_LINES else ""
        return _("%(count)s (lines %(lines)s)") % {"count": f"{len(lines):,}", "lines": shown + more}
