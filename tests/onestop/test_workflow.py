"""The transition table (`onestop.workflow`) is the one source of what may happen to a
dossier: the page offers exactly what the services accept, for every state and person,
and every action it lists leaves an audit entry."""

from __future__ import annotations

import copy
import io

import pytest
from django.db import transaction

from tinhso.audit.models import AuditEntry
from tinhso.core.errors import DomainError
from tinhso.onestop import services, workflow
from tinhso.onestop.errors import INPUT_ERRORS
from tinhso.onestop.models import Dossier, DossierState
from tinhso.onestop.services.clock import frozen
from tinhso.workdays.services import VN, Calendar

from .conftest import accepted, at_last_step, submit, vn

S = DossierState
BUILD = vn(2026, 3, 2, 9, 0)  # a Monday
ACT = vn(2026, 3, 2, 14, 0)  # the same working day: every time window is still open


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def result_pdf(text: str = "Kết quả giải quyết") -> io.BytesIO:
    """A real one-page PDF (the leader signs it)."""
    from reportlab.pdfgen import canvas

    from tinhso.core.pdf import register_reportlab_fonts

    register_reportlab_fonts()
    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.setFont("Serif", 12)
    page.drawString(72, 760, text)
    page.showPage()
    page.save()
    stream = io.BytesIO(buf.getvalue())
    stream.name = "ket-qua.pdf"
    return stream


def _processing(w):
    dossier = accepted(w)
    services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    return dossier


def _to_sign(w):
    """At the leader's step with the result draft the specialist attached."""
    dossier = _processing(w)
    services.attach_result(official=w.specialist, dossier=dossier, file=result_pdf())
    services.forward_to_next_step(official=w.specialist, dossier=dossier, to_user=w.leader)
    return dossier


def _approved(w):
    dossier = _to_sign(w)
    return workflow.get("approve").execute(
        user=w.leader, dossier=dossier, values=sample_values("approve", dossier, w)
    )


def scenarios(w) -> dict[str, Dossier]:
    """One dossier in every state (and at every kind of step)."""
    with frozen(BUILD):
        built = {
            "submitted": submit(w),
            "accepted": accepted(w),
            "processing": _processing(w),
            "last_step": at_last_step(w),
            "to_sign": _to_sign(w),
        }
        d = submit(w)
        services.request_supplement(official=w.officer, dossier=d, items=["Tờ khai"])
        built["reception_supplement"] = d
        d = submit(w)
        services.refuse_reception(officer=w.officer, dossier=d, reasons="Không thuộc thẩm quyền")
        built["refused"] = d
        d = _processing(w)
        services.request_supplement(official=w.specialist, dossier=d, items=["Bản sao"])
        built["supplement"] = d
        d = _processing(w)
        services.request_financial_obligation(official=w.specialist, dossier=d, amount_vnd=50000)
        built["financial"] = d
        d = _processing(w)
        services.pause(official=w.specialist, dossier=d, reason="Chờ xác minh")
        built["paused"] = d
        d = submit(w)
        services.withdraw(user=w.citizen, dossier=d, reason="Nộp nhầm")
        built["withdrawn"] = d
        d = at_last_step(w)
        services.reject(official=w.leader, dossier=d, reasons="Không đủ điều kiện")
        built["stopped"] = d
        built["approved"] = _approved(w)
        d = _approved(w)
        services.return_result(officer=w.officer, dossier=d, method="counter")
        built["returned"] = d
    assert {d.state for d in built.values()} == set(S.values)
    return built


def people(w) -> dict[str, object]:
    return {
        "citizen": w.citizen,
        "other citizen": w.citizen2,
        "officer": w.officer,
        "specialist": w.specialist,
        "specialist2": w.specialist2,
        "leader": w.leader,
        "outsider": w.outsider,
        "outsider officer": w.outsider_officer,
        "admin": w.admin,
    }


def sample_values(name: str, dossier: Dossier, w) -> dict:
    """A valid input of each action (what a careful person would type)."""
    if name == "extend":
        cal = Calendar()
        day = (dossier.due_at or BUILD).astimezone(VN).date()
        for _ in range(3):
            day = cal.next_working_day(day)
        return {"new_due_date": day, "reason": "Cần xác minh thêm", "apology": "Xin lỗi"}
    return {
        "accept": {"note": ""},
        "reception_supplement": {"items": ["Bản sao giấy khai sinh"], "note": ""},
        "supplement": {"items": ["Bản sao giấy khai sinh"], "note": ""},
        "refuse": {"reasons": "Không thuộc thẩm quyền"},
        "start": {},
        "forward": {"to_user": None, "note": "Đề nghị xử lý"},
        "assign": {"assignee": w.specialist2, "note": ""},
        "send_back": {"note": "Bổ sung ý kiến thẩm định", "to_step": None},
        "financial": {"amount_vnd": 100000, "note": "Lệ phí"},
        "pause": {"reason": "Chờ ý kiến cơ quan liên quan"},
        "resume": {"note": ""},
        "attach_result": {"file": None, "name": "Bản sao trích lục"},
        "approve": {"result_summary": "Cấp 01 bản sao", "note": "", "signing": "certificate"},
        "prepare_signature": {},
        "reject": {"reasons": "Không đủ điều kiện"},
        "return_result": {"method": "counter", "note": ""},
        "answer_supplement": {"attachments": [], "note": "Đã bổ sung đầy đủ"},
        "withdraw": {"reason": "Không còn nhu cầu"},
        "rate": {"score": 5, "comment": ""},
    }[name] | ({"file": result_pdf()} if name == "attach_result" else {})


class _Undo(Exception):
    pass


def attempt(
    action: workflow.Action, user, dossier: Dossier, values: dict, *, reload: bool = True
) -> DomainError | None:
    """Run the action on a fresh copy of the dossier and undo it; the error, if any."""
    fresh = services.get_dossier(uid=dossier.uid) if reload else copy.copy(dossier)
    try:
        with transaction.atomic():
            action.execute(user=user, dossier=fresh, values=values, version=fresh.version)
            raise _Undo
    except _Undo:
        return None
    except DomainError as error:
        return error


@pytest.fixture
def signer(world):
    """Besides the certificate on the server (the `world`), the leader has a USB token."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from tinhso.signing.models import Certificate
    from tinhso.signing.services import ensure_demo_ca, issue_certificate

    _root, issuing = ensure_demo_ca()
    issue_certificate(
        ca=issuing,
        kind="personal",
        owner_user=world.leader,
        owner_agency=world.dept,
        public_key=ec.generate_private_key(ec.SECP256R1()).public_key(),
        storage=Certificate.Storage.REMOTE,
    )
    return world.leader


def test_the_page_offers_exactly_what_the_services_accept_in_every_state(world, signer):
    w = world
    dossiers = scenarios(w)
    checked = 0
    with frozen(ACT):
        for state_name, dossier in dossiers.items():
            for who, user in people(w).items():
                offered = {a.name for a in workflow.available(user, dossier)}
                for action in workflow.TABLE:
                    values = sample_values(action.name, dossier, w)
                    error = attempt(action, user, dossier, values, reload=action.name in offered)
                    where = f"{action.name} by {who} on a {state_name} dossier"
                    if action.name in offered:
                        assert error is None or error.code in INPUT_ERRORS, (
                            f"offered but refused: {where}: {error.code} {error.message}"
                        )
                        checked += 1
                    else:
                        assert error is not None, f"not offered but the service ran: {where}"
    assert checked > 40


def test_every_offered_action_fails_only_on_its_input_when_the_input_is_empty(world, signer):
    """Empty forms: an offered action may refuse the input, never the action itself."""
    w = world
    dossiers = scenarios(w)
    with frozen(ACT):
        for state_name, dossier in dossiers.items():
            for who, user in people(w).items():
                for action in workflow.available(user, dossier):
                    error = attempt(action, user, dossier, {})
                    assert error is None or error.code in INPUT_ERRORS, (
                        f"{action.name} by {who} on a {state_name} dossier: {error.code}"
                    )


def _performer(action, dossiers, w):
    return next(
        (
            (user, dossier)
            for dossier in dossiers.values()
            for user in people(w).values()
            if action.allowed(user, services.get_dossier(uid=dossier.uid))
        ),
        None,
    )


def test_every_write_is_audited(world, signer):
    """Each action of the table, performed once, leaves an audit entry by its actor."""
    w = world
    dossiers = scenarios(w)
    done = set()
    with frozen(ACT):
        for action in workflow.TABLE:
            performer = _performer(action, dossiers, w)
            if performer is None:  # an earlier action used it up: fresh dossiers
                dossiers = scenarios(w)
                performer = _performer(action, dossiers, w)
            assert performer is not None, f"no dossier lets anyone {action.name}"
            user, dossier = performer
            dossier = services.get_dossier(uid=dossier.uid)
            before = set(AuditEntry.objects.values_list("pk", flat=True))
            action.execute(
                user=user, dossier=dossier, values=sample_values(action.name, dossier, w)
            )
            dossier.refresh_from_db()
            new = AuditEntry.objects.exclude(pk__in=before).filter(
                actor=user,
                object_type="onestop.dossier",
                object_id__in=[dossier.code or "", str(dossier.uid)],
                action__startswith="onestop.",
            )
            assert new.exists(), f"{action.name} wrote no audit entry"
            done.add(action.name)
    assert done == set(workflow.ACTIONS)


def test_api_action_names_route_to_the_table(world):
    from tinhso.onestop import api

    # the names clients already use keep working (new ones may be added)
    assert {
        "accept", "request-supplement", "answer-supplement", "refuse", "assign", "start",
        "forward", "send-back", "request-obligation", "pause", "resume", "extend",
        "approve", "reject", "attach-result", "return", "withdraw", "rate",
    } <= set(api.ACTIONS)  # fmt: skip
    assert set(api.ACTIONS) == {a.api_name for a in workflow.TABLE}
    w = world
    with frozen(BUILD):
        at_reception = submit(w)
        in_processing = _processing(w)
    assert workflow.for_api("request-supplement", at_reception).name == "reception_supplement"
    assert workflow.for_api("request-supplement", in_processing).name == "supplement"


def test_a_wrong_state_is_refused_with_the_tables_message(world):
    from tinhso.core.errors import InvalidTransition

    w = world
    with frozen(BUILD):
        dossier = submit(w)
        with pytest.raises(InvalidTransition) as err:
            services.return_result(officer=w.officer, dossier=dossier)
    assert err.value.code == "invalid_transition"
    assert "Không thể trả kết quả" in err.value.message


def test_the_error_codes_are_published_in_the_api_schema():
    from drf_spectacular.generators import SchemaGenerator

    from tinhso.onestop.errors import OnestopError

    schema = SchemaGenerator().get_schema(request=None, public=True)
    published = set(schema["components"]["schemas"]["ErrorCode"]["enum"])
    assert {code.value for code in OnestopError} <= published
    approve = schema["paths"]["/api/v1/onestop/dossiers/{uid}/approve/"]["post"]["responses"]
    assert {"400", "403", "404", "409"} <= set(approve)
