"""Read-only Django admin views of the directory: every write goes through the services
(permission checks, history, audit trail), never through the admin."""

from django.contrib import admin

from tinhso.directory.models import (
    AdministrativeUnit,
    Agency,
    AgencyEvent,
    Membership,
    OrgUnit,
    Position,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Agency)
class AgencyAdmin(ReadOnlyAdmin):
    list_display = ["code", "legacy_code", "name", "kind", "status", "parent"]
    list_filter = ["kind", "status"]
    search_fields = ["code", "legacy_code", "name", "name_folded"]


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "level", "is_active", "valid_to"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name"]


@admin.register(AgencyEvent)
class AgencyEventAdmin(ReadOnlyAdmin):
    list_display = ["agency", "kind", "effective_on", "successor", "actor_name"]
    list_filter = ["kind"]


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdmin):
    list_display = ["name", "agency", "is_active"]
    search_fields = ["name", "agency__code"]


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = ["name", "rank", "is_leader"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "agency", "position", "org_unit", "is_primary", "ended_on"]
    search_fields = ["person_name_folded", "user__username", "agency__code"]
