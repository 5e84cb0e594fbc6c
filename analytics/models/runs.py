"""Runs of the nightly computation: one at a time, with progress and the time each step took."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ComputeRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    # True while queued or running, NULL afterwards: the unique constraint lets one run at a time
    # exist (NULLs never collide), so "recompute now" twice cannot start two runs.
    active = models.BooleanField(null=True, default=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("current step"), max_length=100, blank=True)
    # [{"name": "...", "seconds": 1.23, "rows": 100000}, ...] in the order the steps ran.
    steps = models.JSONField(_("steps"), default=list, blank=True)
    # The fitted parameters and counts, for the report pages and the run page.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("analytics run")
        verbose_name_plural = _("analytics runs")
        constraints = [models.UniqueConstraint(fields=["active"], name="compute_run_one_active")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
