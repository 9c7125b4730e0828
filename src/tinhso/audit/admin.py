"""The trail in Django admin: read-only (the table itself refuses changes on PostgreSQL)."""

from django.contrib import admin

from tinhso.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "seq",
        "created_at",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "ip",
    ]
    list_filter = ["action"]
    search_fields = ["actor_name", "action", "object_id", "object_repr"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
