"""Serialisers of the directory API: public fields only (no personal contacts)."""

from __future__ import annotations

from rest_framework import serializers

from tinhso.directory.models import AdministrativeUnit, Agency, AgencyEvent


class AgencyRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    legacy_code = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class AdminUnitSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", allow_null=True, default=None)
    successor_code = serializers.CharField(source="successor.code", allow_null=True, default=None)

    class Meta:
        model = AdministrativeUnit
        fields = ["code", "name", "level", "parent_code", "is_active", "valid_to", "successor_code"]


class AgencySerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    status_display = serializers.CharField(source="get_status_display")
    parent_code = serializers.CharField(source="parent.code", allow_null=True, default=None)
    admin_unit_code = serializers.CharField(source="admin_unit.code", allow_null=True, default=None)
    successor_code = serializers.CharField(source="successor.code", allow_null=True, default=None)

    class Meta:
        model = Agency
        fields = [
            "code",
            "legacy_code",
            "name",
            "short_name",
            "kind",
            "kind_display",
            "status",
            "status_display",
            "parent_code",
            "admin_unit_code",
            "depth",
            "address",
            "phone",
            "email",
            "website",
            "established_on",
            "closed_on",
            "successor_code",
        ]


class AgencyEventSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="created, renamed, moved, merged, closed, updated")
    kind_display = serializers.CharField(source="get_kind_display")
    successor_code = serializers.CharField(source="successor.code", allow_null=True, default=None)

    class Meta:
        model = AgencyEvent
        fields = [
            "kind",
            "kind_display",
            "effective_on",
            "before",
            "after",
            "successor_code",
            "note",
        ]


class OrgUnitSerializer(serializers.Serializer):
    name = serializers.CharField()
    short_name = serializers.CharField()


class AgencyDetailSerializer(AgencySerializer):
    ancestors = AgencyRefSerializer(many=True)
    predecessors = AgencyRefSerializer(many=True)
    org_units = OrgUnitSerializer(many=True)
    events = AgencyEventSerializer(many=True)

    class Meta(AgencySerializer.Meta):
        fields = [*AgencySerializer.Meta.fields, "ancestors", "predecessors", "org_units", "events"]


class TreeNodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    legacy_code = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    short_name = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    has_more = serializers.BooleanField(help_text="có cơ quan trực thuộc ở dưới độ sâu đã tải")


TreeNodeSerializer._declared_fields["children"] = TreeNodeSerializer(many=True)


class TreeQuerySerializer(serializers.Serializer):
    root = serializers.CharField(required=False, help_text="mã định danh (một trong hai dạng)")
    depth = serializers.IntegerField(required=False, min_value=0, max_value=10, default=2)
    include_closed = serializers.BooleanField(required=False, default=False)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="tên (không dấu cũng được) hoặc mã định danh",
    )
    include_closed = serializers.BooleanField(required=False, default=True)


class AdminUnitQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=AdministrativeUnit.Level.choices, required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class PersonPostSerializer(serializers.Serializer):
    uid = serializers.UUIDField(source="user.uid")
    full_name = serializers.CharField(source="user.full_name")
    email = serializers.CharField(source="user.email")
    agency_code = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    position = serializers.CharField(source="position.name", allow_null=True, default=None)
    org_unit = serializers.CharField(source="org_unit.name", allow_null=True, default=None)
    is_primary = serializers.BooleanField()


class PeopleQuerySerializer(serializers.Serializer):
    q = serializers.CharField(min_length=2, max_length=100, help_text="họ tên, không cần dấu")
