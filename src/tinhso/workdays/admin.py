"""Django admin for the yearly exceptions; saving goes through the service (audit trail)."""

from django.contrib import admin

from tinhso.workdays import services
from tinhso.workdays.models import CalendarException


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "reason"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["reason"]

    def save_model(self, request, obj, form, change):
        if change and "date" in form.changed_data and form.initial.get("date"):
            services.delete_exception(actor=request.user, day=form.initial["date"])
        saved = services.save_exception(
            actor=request.user, day=obj.date, kind=obj.kind, reason=obj.reason
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.delete_exception(actor=request.user, day=obj.date)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.delete_exception(actor=request.user, day=obj.date)
