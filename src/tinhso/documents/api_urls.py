"""REST endpoints of this app, mounted under /api/v1/."""

from django.urls import path

import tinhso.core.converters  # noqa: F401  (the <id:…>, <register_format:…> converters)
from tinhso.documents import api

P = "documents/"
urlpatterns = [
    path(f"{P}workspace", api.WorkspaceView.as_view(), name="documents-workspace"),
    path(f"{P}incoming", api.IncomingListView.as_view(), name="documents-incoming"),
    path(
        f"{P}incoming/<uuid:uid>",
        api.IncomingDetailView.as_view(),
        name="documents-incoming-detail",
    ),
    path(
        f"{P}incoming/<uuid:uid>/accept",
        api.IncomingAcceptView.as_view(),
        name="documents-incoming-accept",
    ),
    path(
        f"{P}incoming/<uuid:uid>/assign",
        api.IncomingAssignView.as_view(),
        name="documents-incoming-assign",
    ),
    path(f"{P}assignments", api.MyAssignmentsView.as_view(), name="documents-assignments"),
    path(
        f"{P}assignments/<id:pk>/notes",
        api.AssignmentNoteView.as_view(),
        name="documents-assignment-note",
    ),
    path(
        f"{P}assignments/<id:pk>/forward",
        api.AssignmentForwardView.as_view(),
        name="documents-assignment-forward",
    ),
    path(
        f"{P}assignments/<id:pk>/finish",
        api.AssignmentFinishView.as_view(),
        name="documents-assignment-finish",
    ),
    path(f"{P}outgoing", api.OutgoingListView.as_view(), name="documents-outgoing"),
    path(
        f"{P}outgoing/<uuid:uid>",
        api.OutgoingDetailView.as_view(),
        name="documents-outgoing-detail",
    ),
    path(
        f"{P}outgoing/<uuid:uid>/versions",
        api.OutgoingVersionView.as_view(),
        name="documents-outgoing-versions",
    ),
    path(
        f"{P}outgoing/<uuid:uid>/submit",
        api.OutgoingSubmitView.as_view(),
        name="documents-outgoing-submit",
    ),
    path(
        f"{P}outgoing/<uuid:uid>/review",
        api.OutgoingReviewView.as_view(),
        name="documents-outgoing-review",
    ),
    path(
        f"{P}outgoing/<uuid:uid>/approve",
        api.OutgoingApproveView.as_view(),
        name="documents-outgoing-approve",
    ),
    path(
        f"{P}outgoing/<uuid:uid>/return",
        api.OutgoingReturnView.as_view(),
        name="documents-outgoing-return",
    ),
    path(
        f"{P}outgoing/<uuid:uid>/sign",
        api.OutgoingSignView.as_view(),
        name="documents-outgoing-sign",
    ),
    path(
        f"{P}outgoing/<uuid:uid>/number",
        api.OutgoingNumberView.as_view(),
        name="documents-outgoing-number",
    ),
    path(
        f"{P}outgoing/<uuid:uid>/seal",
        api.OutgoingSealView.as_view(),
        name="documents-outgoing-seal",
    ),
    path(
        f"{P}outgoing/<uuid:uid>/dispatch",
        api.OutgoingDispatchView.as_view(),
        name="documents-outgoing-dispatch",
    ),
    path(f"{P}files/<id:pk>", api.FileDownloadView.as_view(), name="documents-file"),
    path(f"{P}registers", api.RegisterListView.as_view(), name="documents-registers"),
    path(
        f"{P}registers/<id:pk>.<register_format:fmt>",
        api.RegisterExportView.as_view(),
        name="documents-register-export",
    ),
    path(f"{P}statistics", api.StatisticsView.as_view(), name="documents-statistics"),
    path(f"{P}work-records", api.WorkRecordListView.as_view(), name="documents-work-records"),
    path(
        f"{P}work-records/<uuid:uid>/items",
        api.WorkRecordItemView.as_view(),
        name="documents-work-record-items",
    ),
    path(
        f"{P}work-records/<uuid:uid>/close",
        api.WorkRecordCloseView.as_view(),
        name="documents-work-record-close",
    ),
]
