"""Django admin for users and role grants (platform administrators)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from tinhso.accounts import services
from tinhso.accounts.models import ApiToken, RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    raw_id_fields = ["agency", "org_unit"]
    readonly_fields = ["granted_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "kind", "email", "is_active", "second_factor"]
    list_filter = ["kind", "is_active", "is_staff", "is_superuser"]
    search_fields = ["username", "full_name", "email", "citizen_id", "tax_code"]
    ordering = ["username"]
    inlines = [RoleGrantInline]
    readonly_fields = [
        "uid",
        "last_login",
        "date_joined",
        "totp_confirmed_at",
        "otp_failure_count",
        "otp_blocked_until",
    ]
    fieldsets = (
        (None, {"fields": ("uid", "username", "password", "kind")}),
        (
            _("Thông tin cá nhân"),
            {"fields": ("full_name", "email", "phone", "citizen_id", "tax_code")},
        ),
        (
            _("Bảo mật"),
            {
                "fields": (
                    "totp_confirmed_at",
                    "otp_failure_count",
                    "otp_blocked_until",
                )
            },
        ),
        (
            _("Quyền"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups")},
        ),
        (_("Thời điểm"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "kind", "full_name", "email", "password1", "password2"),
            },
        ),
    )
    actions = ["issue_api_token", "reset_second_factor", "unlock"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "full_name" in form.changed_data:
            # people search in the directory keeps a folded copy of the name
            from tinhso.directory.services import refresh_person_name

            refresh_person_name(user=obj)

    @admin.display(boolean=True, description=_("xác thực hai lớp"))
    def second_factor(self, obj: User) -> bool:
        return obj.totp_confirmed_at is not None

    @admin.action(description=_("Cấp mã truy cập API (token) mới"))
    def issue_api_token(self, request, queryset):
        for user in queryset:
            key = services.issue_token(user=user, actor=request.user)
            messages.info(request, f"{user.username}: {key}")

    @admin.action(description=_("Đặt lại xác thực hai lớp (người dùng đăng ký lại)"))
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            services.reset_totp(user=user, actor=request.user)
        messages.success(request, _("Đã đặt lại xác thực hai lớp."))

    @admin.action(description=_("Mở khóa tài khoản"))
    def unlock(self, request, queryset):
        from tinhso.accounts import throttle

        queryset.update(otp_failure_count=0, otp_blocked_until=None)
        for user in queryset:
            throttle.clear("account", throttle.account_name(user.username))
        messages.success(request, _("Đã mở khóa."))


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency", "org_unit", "granted_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name", "agency__code", "agency__name"]
    raw_id_fields = ["user", "agency", "org_unit"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `tinhso issue-token` or the user action; here they are
    seen and revoked (never edited: only the hash of a key is stored)."""

    _columns = (
        "user",
        "name",
        "key_prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_display = _columns
    search_fields = ["user__username", "name", "key_prefix"]
    readonly_fields = _columns
    fields = _columns
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Thu hồi mã truy cập"))
    def revoke(self, request, queryset):
        for token in queryset:
            services.revoke_token(actor=request.user, token_uid=token.uid)
        messages.success(request, _("Đã thu hồi."))
