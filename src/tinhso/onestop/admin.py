"""Django admin for the one-stop catalog (dossiers are read-only here: they change only
through the services, which check permissions and write the audit trail)."""

from django.contrib import admin

from tinhso.onestop.models import (
    Dossier,
    DossierEvent,
    Field,
    Payment,
    Procedure,
    ProcessStep,
    ProcessTemplate,
    RequiredPaper,
)


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name", "name_folded"]


class RequiredPaperInline(admin.TabularInline):
    model = RequiredPaper
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "field", "agency", "processing_days", "fee_vnd", "online_type"]
    list_filter = ["online_type", "is_active", "field"]
    search_fields = ["code", "name_folded"]
    inlines = [RequiredPaperInline]
    raw_id_fields = ["agency", "receiving_agency"]


class ProcessStepInline(admin.TabularInline):
    model = ProcessStep
    extra = 0
    raw_id_fields = ["agency", "org_unit"]


@admin.register(ProcessTemplate)
class ProcessTemplateAdmin(admin.ModelAdmin):
    list_display = ["procedure", "name", "is_active"]
    inlines = [ProcessStepInline]
    raw_id_fields = ["procedure"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = ["code", "procedure", "state", "receiving_agency", "received_at", "due_at"]
    list_filter = ["state", "channel", "timeliness"]
    search_fields = ["code", "applicant_name"]
    date_hierarchy = "received_at"
    list_select_related = ["procedure", "receiving_agency"]


@admin.register(DossierEvent)
class DossierEventAdmin(ReadOnlyAdmin):
    list_display = ["dossier", "action", "at", "step_name", "from_name", "to_name", "on_time"]
    list_select_related = ["dossier"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "dossier", "amount_vnd", "status", "receipt_number", "paid_at"]
    list_filter = ["status", "provider"]
