"""Read-only REST endpoints of the portal's structured content."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.core.api import query
from tinhso.core.pagination import BoundedLimitOffsetPagination
from tinhso.portal import selectors
from tinhso.portal.models import ArticlePage, PortalHomePage


class PortalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    agency_code = serializers.CharField()
    url = serializers.CharField()
    share_with_main = serializers.BooleanField()


class ArticleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    portal_id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    date = serializers.DateField()
    summary = serializers.CharField()
    url = serializers.CharField()


class DocumentSerializer(serializers.Serializer):
    uid = serializers.UUIDField()
    number_notation = serializers.CharField()
    doc_type = serializers.CharField()
    doc_type_label = serializers.CharField()
    issuer_name = serializers.CharField()
    issued_on = serializers.DateField()
    effective_on = serializers.DateField(allow_null=True)
    subject = serializers.CharField()
    file_url = serializers.CharField()


class ArticleQuerySerializer(serializers.Serializer):
    portal = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class DocumentQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    doc_type = serializers.CharField(required=False, allow_blank=True, max_length=8)


class PortalListView(APIView):
    permission_classes = [AllowAny]
    pagination_class = BoundedLimitOffsetPagination

    @extend_schema(
        operation_id="portal_portals",
        summary="Các cổng thông tin (cổng chính, cổng thành phần)",
        responses={200: PortalSerializer(many=True)},
        tags=["portal"],
    )
    def get(self, request: Request) -> Response:
        portals = PortalHomePage.objects.live().select_related("agency").order_by("title")
        paginator = BoundedLimitOffsetPagination()
        rows = paginator.paginate_queryset(portals, request, view=self)
        data = [
            {
                "id": p.pk,
                "title": p.title,
                "kind": p.kind,
                "agency_code": p.agency.code,
                "url": p.get_full_url(request) or "",
                "share_with_main": p.share_with_main,
            }
            for p in rows
        ]
        return paginator.get_paginated_response(PortalSerializer(data, many=True).data)


class ArticleListView(APIView):
    permission_classes = [AllowAny]
    pagination_class = BoundedLimitOffsetPagination

    @extend_schema(
        operation_id="portal_articles",
        summary="Tin bài đã xuất bản, mới nhất trước",
        parameters=[ArticleQuerySerializer],
        responses={200: ArticleSerializer(many=True)},
        tags=["portal"],
    )
    def get(self, request: Request) -> Response:
        params = query(ArticleQuerySerializer, request)
        articles = ArticlePage.objects.live().public().order_by("-date", "-id")
        if params.get("portal"):
            portal = PortalHomePage.objects.filter(pk=params["portal"]).first()
            articles = articles.descendant_of(portal) if portal else articles.none()
        paginator = BoundedLimitOffsetPagination()
        rows = paginator.paginate_queryset(articles, request, view=self)
        data = []
        for article in rows:
            home = article.portal
            data.append(
                {
                    "id": article.pk,
                    "portal_id": home.pk if home else 0,
                    "kind": article.kind,
                    "title": article.title,
                    "date": article.date,
                    "summary": article.summary,
                    "url": article.get_full_url(request) or "",
                }
            )
        return paginator.get_paginated_response(ArticleSerializer(data, many=True).data)


class DocumentListView(APIView):
    permission_classes = [AllowAny]
    pagination_class = BoundedLimitOffsetPagination

    @extend_schema(
        operation_id="portal_documents",
        summary="Văn bản đã đăng trên cổng (chưa bị gỡ)",
        parameters=[DocumentQuerySerializer],
        responses={200: DocumentSerializer(many=True)},
        tags=["portal"],
    )
    def get(self, request: Request) -> Response:
        from django.urls import reverse

        params = query(DocumentQuerySerializer, request)
        found = selectors.search_published_documents(
            q=params.get("q", ""), doc_type=params.get("doc_type", "")
        )
        paginator = BoundedLimitOffsetPagination()
        rows = paginator.paginate_queryset(found, request, view=self)
        data = [
            {
                "uid": d.uid,
                "number_notation": d.number_notation,
                "doc_type": d.doc_type,
                "doc_type_label": d.doc_type_label,
                "issuer_name": d.issuer_name,
                "issued_on": d.issued_on,
                "effective_on": d.effective_on,
                "subject": d.subject,
                "file_url": request.build_absolute_uri(
                    reverse("portal:document_file", args=[d.uid])
                ),
            }
            for d in rows
        ]
        return paginator.get_paginated_response(DocumentSerializer(data, many=True).data)
