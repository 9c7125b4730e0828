"""Yearly exceptions on top of the `holidays` package (e.g. make-up working Saturdays)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarException(models.Model):
    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Ngày nghỉ bổ sung")
        WORKING_DAY = "working_day", _("Ngày làm việc bù")

    date = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices)
    reason = models.CharField(_("lý do"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("ngày ngoại lệ")
        verbose_name_plural = _("ngày ngoại lệ trong năm")

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {self.get_kind_display()}: {self.reason}"
