"""The outbox in Django admin (read-only: messages change only through delivery)."""

from django.contrib import admin

from tinhso.notify.models import Message, SentMessage


class ReadOnly(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnly):
    list_display = ["created_at", "channel", "address", "subject", "status", "attempts"]
    list_filter = ["status", "channel"]
    search_fields = ["address", "subject", "related_object"]


@admin.register(SentMessage)
class SentMessageAdmin(ReadOnly):
    list_display = ["delivered_at", "channel", "address", "subject", "sender"]
    list_filter = ["channel", "sender"]
    search_fields = ["address", "subject"]
