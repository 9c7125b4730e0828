"""Pages of the security monitoring centre (thin: read through selectors, write through
services, show a domain error's message)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tinhso.accounts.rules import can, is_platform_admin, require
from tinhso.core.errors import DomainError, PermissionDenied
from tinhso.core.files import attachment_response
from tinhso.core.pagination import paginate
from tinhso.directory.models import Agency
from tinhso.security import forms, national, selectors, services
from tinhso.security.models import (
    Alert,
    AssetRange,
    DossierDocument,
    Event,
    Incident,
    InformationSystem,
    RejectedInput,
    Rule,
    Severity,
    Source,
)
from tinhso.security.rules import is_viewer
from tinhso.security.workflow import TRANSITIONS, allowed

PER_PAGE = 25


def _viewer(request: HttpRequest) -> None:
    if not is_viewer(request.user):
        raise Http404  # the centre is not shown to people outside it


def _error_page(request: HttpRequest, err: DomainError) -> HttpResponse:
    return render(
        request,
        "security/error.html",
        {"message": err.message, "code": err.code},
        status=err.status,
    )


def _user(pk: Any):
    from tinhso.accounts.models import User

    try:
        return User.objects.filter(pk=int(pk), is_active=True).first()
    except (TypeError, ValueError):
        return None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    data = selectors.dashboard(request.user, days=7)
    recent = (
        selectors.alerts_for(request.user)
        .filter(status__in=[Alert.Status.NEW, Alert.Status.ACKNOWLEDGED])
        .order_by("-last_seen")[:10]
    )
    overdue = selectors.overdue_incidents(request.user).order_by("deadline")[:10]
    return render(
        request,
        "security/home.html",
        {
            "d": data,
            "recent": recent,
            "overdue": overdue,
            "is_admin": is_platform_admin(request.user),
        },
    )


# ---------------------------------------------------------------------------------------
# Alerts and events


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    f = selectors.AlertFilter(
        status=str(request.GET.get("status", "open"))[:20],
        severity=str(request.GET.get("severity", ""))[:20],
        q=str(request.GET.get("q", ""))[:100],
    )
    qs = selectors.filter_alerts(selectors.alerts_for(request.user), f).order_by(
        "-last_seen", "-id"
    )
    return render(
        request,
        "security/alerts.html",
        {
            "page": paginate(request, qs, PER_PAGE),
            "f": f,
            "statuses": [("open", _("Đang mở"))] + list(Alert.Status.choices),
            "severities": Severity.choices,
        },
    )


def _alert(request: HttpRequest, uid: Any) -> Alert:
    alert = selectors.alerts_for(request.user).filter(uid=uid).first()
    if alert is None:
        raise Http404
    return alert


@login_required
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, uid: Any) -> HttpResponse:
    _viewer(request)
    alert = _alert(request, uid)
    analysts = selectors.analysts_for(alert.agency)
    form = forms.OpenIncidentForm(
        initial={"title": alert.title, "severity": alert.severity}, analysts=analysts
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("acknowledged", "dismissed", "new"):
                services.set_alert_status(actor=request.user, alert=alert, status=action)
                messages.success(request, _("Đã cập nhật cảnh báo."))
                return redirect("security:alert", uid=alert.uid)
            if action == "open_incident":
                form = forms.OpenIncidentForm(request.POST, analysts=analysts)
                if form.is_valid():
                    incident = services.open_incident(
                        actor=request.user,
                        title=form.cleaned_data["title"],
                        severity=form.cleaned_data["severity"],
                        description=form.cleaned_data["description"],
                        alerts=[alert],
                        assignee=_user(form.cleaned_data["assignee"])
                        if form.cleaned_data["assignee"]
                        else None,
                    )
                    messages.success(request, _("Đã mở sự cố %(code)s.") % {"code": incident.code})
                    return redirect("security:incident", code=incident.code)
        except DomainError as err:
            messages.error(request, err.message)
    events = []
    if alert.first_event_id:
        first = Event.objects.filter(pk=alert.first_event_id).select_related("source").first()
        events = [first] if first else []
    return render(
        request,
        "security/alert.html",
        {
            "alert": alert,
            "events": events,
            "form": form,
            "can_handle": can(request.user, "security.handle_incident", alert.agency),
        },
    )


@login_required
def events(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    qs = selectors.events_for(request.user).order_by("-received_at", "-id")
    severity = str(request.GET.get("severity", ""))[:20]
    if severity in Severity.values:
        qs = qs.filter(severity=severity)
    q = str(request.GET.get("q", ""))[:100]
    if q:
        qs = qs.filter(description__icontains=q)
    return render(
        request,
        "security/events.html",
        {
            "page": paginate(request, qs, PER_PAGE),
            "severity": severity,
            "q": q,
            "severities": Severity.choices,
        },
    )


@login_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer(request)
    event = selectors.events_for(request.user).filter(pk=pk).first()
    if event is None:
        raise Http404
    return render(request, "security/event.html", {"event": event})


# ---------------------------------------------------------------------------------------
# Incidents


@login_required
def incidents(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    qs = selectors.incidents_for(request.user)
    status = str(request.GET.get("status", ""))[:20]
    if status == "open":
        qs = qs.exclude(status__in=[Incident.Status.RESOLVED, Incident.Status.CLOSED])
    elif status == "to_report":
        qs = qs.filter(must_report=True, reported_at__isnull=True)
    elif status in Incident.Status.values:
        qs = qs.filter(status=status)
    qs = qs.order_by("-created_at", "-id")
    return render(
        request,
        "security/incidents.html",
        {
            "page": paginate(request, qs, PER_PAGE),
            "status": status,
            "statuses": [("open", _("Đang mở")), ("to_report", _("Phải báo cáo"))]
            + list(Incident.Status.choices),
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_detail(request: HttpRequest, code: str) -> HttpResponse:
    _viewer(request)
    incident = selectors.incidents_for(request.user).filter(code=code[:20]).first()
    if incident is None:
        raise Http404
    analysts = selectors.analysts_for(incident.agency)
    assign_form = forms.AssignForm(initial={"assignee": incident.assignee_id}, analysts=analysts)
    note_form = forms.NoteForm()
    evidence_form = forms.EvidenceForm()
    transition_form = forms.TransitionForm(initial={"resolution": incident.resolution})
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "assign":
                assign_form = forms.AssignForm(request.POST, analysts=analysts)
                if assign_form.is_valid():
                    services.assign_incident(
                        actor=request.user,
                        incident=incident,
                        assignee=_user(assign_form.cleaned_data["assignee"]),
                    )
                    messages.success(request, _("Đã phân công."))
                    return redirect("security:incident", code=incident.code)
            elif action == "note":
                note_form = forms.NoteForm(request.POST)
                if note_form.is_valid():
                    services.add_note(
                        actor=request.user, incident=incident, text=note_form.cleaned_data["text"]
                    )
                    return redirect("security:incident", code=incident.code)
            elif action == "evidence":
                evidence_form = forms.EvidenceForm(request.POST, request.FILES)
                if evidence_form.is_valid():
                    upload = evidence_form.cleaned_data["file"]
                    if upload.size > services.MAX_EVIDENCE_BYTES:
                        raise services.SecurityError(
                            _("Tệp bằng chứng quá lớn."),
                            code=services.SecurityErrorCode.FILE_TOO_LARGE,
                        )
                    services.add_evidence(
                        actor=request.user,
                        incident=incident,
                        name=upload.name,
                        data=upload.read(),
                        description=evidence_form.cleaned_data["description"],
                    )
                    messages.success(request, _("Đã thêm bằng chứng."))
                    return redirect("security:incident", code=incident.code)
            elif action in TRANSITIONS:
                transition_form = forms.TransitionForm(request.POST, request.FILES)
                if transition_form.is_valid():
                    upload = transition_form.cleaned_data.get("file")
                    evidence = None
                    if upload:
                        if upload.size > services.MAX_EVIDENCE_BYTES:
                            raise services.SecurityError(
                                _("Tệp bằng chứng quá lớn."),
                                code=services.SecurityErrorCode.FILE_TOO_LARGE,
                            )
                        evidence = (upload.name, upload.read())
                    services.transition_incident(
                        actor=request.user,
                        incident=incident,
                        action=action,
                        resolution=transition_form.cleaned_data["resolution"],
                        evidence=evidence,
                    )
                    messages.success(request, _("Đã cập nhật sự cố."))
                    return redirect("security:incident", code=incident.code)
        except DomainError as err:
            messages.error(request, err.message)
        incident.refresh_from_db()
    return render(
        request,
        "security/incident.html",
        {
            "incident": incident,
            "entries": incident.entries.select_related("actor").order_by("at", "id"),
            "evidence": incident.evidence.all(),
            "alerts": incident.alerts.order_by("-last_seen")[:50],
            "transitions": allowed(incident),
            "assign_form": assign_form,
            "note_form": note_form,
            "evidence_form": evidence_form,
            "transition_form": transition_form,
            "can_handle": can(request.user, "security.handle_incident", incident.agency),
            "now": timezone.now(),
        },
    )


@login_required
def evidence_file(request: HttpRequest, uid: Any) -> HttpResponseBase:
    _viewer(request)
    from tinhso.security.models import Evidence

    item = Evidence.objects.select_related("incident").filter(uid=uid).first()
    if (
        item is None
        or not selectors.incidents_for(request.user).filter(pk=item.incident_id).exists()
    ):
        raise Http404
    return attachment_response(item.file.open("rb"), filename=item.name)


# ---------------------------------------------------------------------------------------
# Registry


@login_required
def systems(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    qs = selectors.systems_for(request.user)
    level = str(request.GET.get("level", ""))[:2]
    if level in {"1", "2", "3", "4", "5"}:
        qs = qs.filter(approved_level=int(level))
    q = str(request.GET.get("q", ""))[:100]
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(code__icontains=q)
    rows = selectors.sort_systems(list(qs))
    return render(
        request,
        "security/systems.html",
        {
            "page": paginate(request, rows, PER_PAGE),
            "level": level,
            "q": q,
            "can_add": can(request.user, "security.manage_registry", None),
            "today": timezone.localdate(),
        },
    )


def _agencies_for_registry(user):
    from tinhso.accounts.models import Role
    from tinhso.accounts.rules import visible_agency_filter

    qs = Agency.objects.filter(status=Agency.Status.ACTIVE)
    if not is_platform_admin(user):
        qs = qs.filter(visible_agency_filter(user, roles={Role.AGENCY_ADMIN}))
    return qs.order_by("path")


def _system_values(form: forms.SystemForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("code")
    data.pop("owner")
    return data


@login_required
@require_http_methods(["GET", "POST"])
def system_edit(request: HttpRequest, uid: Any = None) -> HttpResponse:
    _viewer(request)
    system = None
    if uid is not None:
        system = selectors.systems_for(request.user).filter(uid=uid).first()
        if system is None:
            raise Http404
    agencies = _agencies_for_registry(request.user)
    if not can(request.user, "security.manage_registry", system.owner if system else None):
        return _error_page(request, PermissionDenied())
    if request.method == "POST":
        form = forms.SystemForm(request.POST, agencies=agencies)
        if form.is_valid():
            owner = agencies.filter(code=form.cleaned_data["owner"]).first()
            try:
                if owner is None:
                    raise PermissionDenied()
                saved = services.save_system(
                    actor=request.user,
                    owner=owner,
                    code=form.cleaned_data["code"],
                    system=system,
                    **_system_values(form),
                )
            except DomainError as err:
                form.add_error(None, err.message)
            else:
                messages.success(request, _("Đã lưu hệ thống thông tin."))
                return redirect("security:system", uid=saved.uid)
    else:
        form = forms.SystemForm(
            initial=forms.system_initial(system) if system else {}, agencies=agencies
        )
    return render(request, "security/system_form.html", {"form": form, "system": system})


@login_required
@require_http_methods(["GET", "POST"])
def system_detail(request: HttpRequest, uid: Any) -> HttpResponse:
    _viewer(request)
    system = selectors.systems_for(request.user).filter(uid=uid).first()
    if system is None:
        raise Http404
    level_form = forms.LevelForm(initial={"level": system.proposed_level or 1})
    approve_form = forms.ApproveForm(
        initial={"level": system.proposed_level or 1, "decision_date": timezone.localdate()}
    )
    assessment_form = forms.AssessmentForm(initial={"assessed_on": timezone.localdate()})
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in ("docx", "pdf"):
                services.generate_dossier(actor=request.user, system=system, fmt=action)
                messages.success(request, _("Đã lập dự thảo hồ sơ đề xuất cấp độ."))
                return redirect("security:system", uid=system.uid)
            if action == "propose":
                level_form = forms.LevelForm(request.POST)
                if level_form.is_valid():
                    services.propose_level(
                        actor=request.user, system=system, level=level_form.cleaned_data["level"]
                    )
                    return redirect("security:system", uid=system.uid)
            if action == "approve":
                approve_form = forms.ApproveForm(request.POST, request.FILES)
                if approve_form.is_valid():
                    upload = approve_form.cleaned_data.get("decision_file")
                    services.approve_level(
                        actor=request.user,
                        system=system,
                        level=approve_form.cleaned_data["level"],
                        decision_number=approve_form.cleaned_data["decision_number"],
                        decision_date=approve_form.cleaned_data["decision_date"],
                        decision_pdf=upload.read() if upload else None,
                    )
                    messages.success(request, _("Đã ghi nhận quyết định phê duyệt cấp độ."))
                    return redirect("security:system", uid=system.uid)
            if action == "assessment":
                assessment_form = forms.AssessmentForm(request.POST)
                if assessment_form.is_valid():
                    services.record_assessment(
                        actor=request.user, system=system, **assessment_form.cleaned_data
                    )
                    messages.success(request, _("Đã ghi nhận kết quả đánh giá."))
                    return redirect("security:system", uid=system.uid)
        except DomainError as err:
            messages.error(request, err.message)
    suggested, held = services.suggested_level(
        criteria=system.criteria,
        holds_personal_data=system.holds_personal_data,
        personal_data_subjects=system.personal_data_subjects,
    )
    docs = system.documents.order_by("kind", "-created_at")
    latest: dict[tuple[str, str], DossierDocument] = {}
    for doc in docs:
        latest.setdefault((doc.kind, doc.fmt), doc)
    return render(
        request,
        "security/system.html",
        {
            "system": system,
            "suggested": suggested,
            "held": held,
            "documents": sorted(latest.values(), key=lambda d: (d.kind, d.fmt)),
            "assessments": system.assessments.all()[:10],
            "open_incidents": system.incidents.exclude(
                status__in=[Incident.Status.RESOLVED, Incident.Status.CLOSED]
            ).count(),
            "level_form": level_form,
            "approve_form": approve_form,
            "assessment_form": assessment_form,
            "can_manage": can(request.user, "security.manage_registry", system.owner),
            "can_approve": can(request.user, "security.approve_level", system.owner),
        },
    )


@login_required
def document(request: HttpRequest, uid: Any) -> HttpResponseBase:
    _viewer(request)
    doc = DossierDocument.objects.select_related("system").filter(uid=uid).first()
    if doc is None or not selectors.systems_for(request.user).filter(pk=doc.system_id).exists():
        raise Http404
    from django.utils.text import slugify

    name = f"{slugify(doc.system.code)}-{doc.kind}.{doc.fmt}"
    return attachment_response(doc.file.open("rb"), filename=name)


# ---------------------------------------------------------------------------------------
# Reports


@login_required
@require_http_methods(["GET", "POST"])
def reports(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    today = timezone.localdate()
    first = today.replace(day=1)
    by = str(request.GET.get("by", "agency"))[:10]
    if by not in ("agency", "system", "category", "severity"):
        by = "agency"
    period = forms.PeriodForm(request.GET or None, initial={"start": first, "end": today})
    start, end = first, today
    if request.GET and period.is_valid():
        start, end = period.cleaned_data["start"], period.cleaned_data["end"]
    elif not request.GET:
        period = forms.PeriodForm(initial={"start": first, "end": today})
    export_form = forms.PeriodForm(
        initial={
            "start": (first - dt.timedelta(days=1)).replace(day=1),
            "end": first - dt.timedelta(days=1),
        }
    )
    if request.method == "POST":
        export_form = forms.PeriodForm(request.POST)
        if export_form.is_valid():
            try:
                report = services.export_national_report(
                    actor=request.user,
                    period_start=export_form.cleaned_data["start"],
                    period_end=export_form.cleaned_data["end"],
                    adapter=str(request.POST.get("adapter", "ncsc-json"))[:30],
                )
            except DomainError as err:
                messages.error(request, err.message)
            else:
                messages.success(request, _("Đã lập báo cáo %(name)s.") % {"name": report.filename})
                return redirect("security:reports")
    from tinhso.security.models import NationalReport

    return render(
        request,
        "security/reports.html",
        {
            "rows": selectors.statistics(request.user, start=start, end=end, by=by),
            "by": by,
            "period": period,
            "start": start,
            "end": end,
            "export_form": export_form,
            "adapters": list(national.ADAPTERS),
            "exports": NationalReport.objects.all()[:20] if is_platform_admin(request.user) else [],
            "to_report": selectors.to_report(request.user).order_by("created_at")[:50],
            "can_export": can(request.user, "security.report_national"),
        },
    )


@login_required
def national_report(request: HttpRequest, uid: Any) -> HttpResponse:
    from tinhso.security.models import NationalReport

    require(request.user, "security.report_national")
    report = NationalReport.objects.filter(uid=uid).first()
    if report is None:
        raise Http404
    response = attachment_response(report.content.encode(), filename=report.filename)
    return response


# ---------------------------------------------------------------------------------------
# Configuration (the centre's: sensors, rules, attribution ranges, refused input)


@login_required
@require_http_methods(["GET", "POST"])
def config(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    if not can(request.user, "security.configure"):
        return _error_page(request, PermissionDenied())
    agencies = Agency.objects.filter(status=Agency.Status.ACTIVE).order_by("path")
    systems_qs = InformationSystem.objects.order_by("code")
    source_form = forms.SourceForm()
    range_form = forms.RangeForm(agencies=agencies, systems=systems_qs)
    new_token = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "source":
                source_form = forms.SourceForm(request.POST)
                if source_form.is_valid():
                    source, new_token = services.create_source(
                        actor=request.user, **source_form.cleaned_data
                    )
                    messages.success(request, _("Đã tạo nguồn %(name)s.") % {"name": source.name})
            elif action == "rotate":
                try:
                    source_uid = uuid.UUID(str(request.POST.get("source", ""))[:40])
                except ValueError as exc:
                    raise Http404 from exc
                found = Source.objects.filter(uid=source_uid).first()
                if found is None:
                    raise Http404
                new_token = services.rotate_token(actor=request.user, source=found)
            elif action == "range":
                range_form = forms.RangeForm(request.POST, agencies=agencies, systems=systems_qs)
                if range_form.is_valid():
                    services.save_range(
                        actor=request.user,
                        kind=range_form.cleaned_data["kind"],
                        value=range_form.cleaned_data["value"],
                        agency=agencies.get(code=range_form.cleaned_data["agency"]),
                        system=systems_qs.filter(code=range_form.cleaned_data["system"]).first()
                        if range_form.cleaned_data["system"]
                        else None,
                    )
                    messages.success(request, _("Đã lưu phạm vi."))
                    return redirect("security:config")
        except DomainError as err:
            messages.error(request, err.message)
    from django.conf import settings

    return render(
        request,
        "security/config.html",
        {
            "sources": Source.objects.order_by("name"),
            "rules": selectors.rules().order_by("code"),
            "ranges": paginate(
                request,
                AssetRange.objects.select_related("agency", "system").order_by("kind", "value"),
                50,
                param="ranges",
            ),
            "rejected": RejectedInput.objects.order_by("-received_at")[:20],
            "source_form": source_form,
            "range_form": range_form,
            "new_token": new_token,
            "intake_url": settings.TINHSO_SITE_URL.rstrip("/") + "/api/v1/security/intake/wazuh",
        },
    )


@login_required
@require_POST
def toggle_rule(request: HttpRequest, code: str) -> HttpResponse:
    rule = Rule.objects.filter(code=code[:60]).first()
    if rule is None:
        raise Http404
    try:
        services.save_rule(
            actor=request.user,
            code=rule.code,
            name=rule.name,
            conditions=rule.conditions,
            threshold=rule.threshold,
            window_seconds=rule.window_seconds,
            group_by=rule.group_by,
            severity=rule.severity,
            category=rule.category,
            dedup_seconds=rule.dedup_seconds,
            description=rule.description,
            is_active=not rule.is_active,
        )
    except DomainError as err:
        return _error_page(request, err)
    return redirect("security:config")
