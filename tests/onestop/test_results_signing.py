"""Results are signed in the real flow: the specialist attaches the draft, the leader who
approves signs it (server key or USB token) and the agency's seal follows where the
procedure's result carries it; the citizen gets the signed file only when it is returned,
and the page says only what verifying the stored file finds."""

from __future__ import annotations

import base64
import io

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from django.core.files.storage import default_storage
from django.urls import reverse
from rest_framework.test import APIClient

from tinhso.audit.models import AuditEntry
from tinhso.core.errors import InvalidTransition, ValidationFailed
from tinhso.onestop import selectors, services, workflow
from tinhso.onestop.models import DossierFile, DossierState
from tinhso.onestop.services import results
from tinhso.signing.models import Certificate
from tinhso.signing.selectors import verify_pdf
from tinhso.signing.services import complete_remote_signing, ensure_demo_ca, issue_certificate

from .conftest import PDF, accepted, pdf_file, submit
from .test_web_pages import login

S = DossierState


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def sealed(world):
    """The procedure's result carries the department's seal; the department holds one."""
    _root, issuing = ensure_demo_ca()
    world.seal = issue_certificate(ca=issuing, kind="agency", owner_agency=world.dept)
    world.procedure.result_needs_seal = True
    world.procedure.save(update_fields=["result_needs_seal"])
    return world


def _read(item: DossierFile) -> bytes:
    with default_storage.open(item.file.name, "rb") as handle:
        return handle.read()


def to_sign(w, **kwargs):
    """At the leader's step, with the result draft the specialist attached."""
    dossier = accepted(w, **kwargs)
    services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    draft = services.attach_result(
        official=w.specialist,
        dossier=dossier,
        file=pdf_file("trich-luc.pdf"),
        name="Bản sao trích lục hộ tịch",
    )
    services.forward_to_next_step(official=w.specialist, dossier=dossier, to_user=w.leader)
    return dossier, draft


def test_the_leader_who_approves_signs_the_draft_and_the_seal_follows(sealed):
    w = sealed
    dossier, draft = to_sign(w)
    assert draft.kind == DossierFile.Kind.RESULT_DRAFT
    services.approve(official=w.leader, dossier=dossier, signing="certificate")
    assert dossier.state == S.APPROVED
    result = dossier.files.get(kind=DossierFile.Kind.RESULT)
    signed = _read(result)
    assert signed.startswith(_read(draft))  # the draft, with signatures appended
    leader, seal = verify_pdf(signed)
    assert leader.status == "valid" and leader.signer_name == w.leader.full_name
    assert seal.status == "valid" and seal.field_name.startswith("Sig-seal")
    assert seal.serial.lower().lstrip("0") == w.seal.serial_hex.lower().lstrip("0")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"signing.sign_personal", "signing.sign_seal", "onestop.approve"} <= actions
    assert dossier.events.filter(action="sign_result").exists()


def test_without_the_seal_setting_only_the_leader_signs(world):
    w = world  # the procedure's result goes without the agency's seal
    dossier, _draft = to_sign(w)
    services.approve(official=w.leader, dossier=dossier)
    [report] = verify_pdf(_read(dossier.files.get(kind=DossierFile.Kind.RESULT)))
    assert report.status == "valid" and report.signer_name == w.leader.full_name


def test_the_citizen_gets_the_signed_result_only_when_it_is_returned(sealed, client):
    w = sealed
    dossier, draft = to_sign(w)
    client.force_login(w.citizen)
    page = reverse("onestop:dossier", args=[dossier.uid])
    draft_url = reverse("onestop:dossier_file", args=[dossier.uid, draft.uid])
    assert draft_url not in client.get(page).content.decode()
    assert client.get(draft_url).status_code == 404  # even knowing the address
    services.approve(official=w.leader, dossier=dossier)
    result = dossier.files.get(kind=DossierFile.Kind.RESULT)
    result_url = reverse("onestop:dossier_file", args=[dossier.uid, result.uid])
    assert client.get(result_url).status_code == 404  # approved, not yet returned
    api = APIClient()
    api.force_authenticate(w.citizen)
    files = api.get(f"/api/v1/onestop/dossiers/{dossier.uid}/").json()["files"]
    assert {f["kind"] for f in files} == {"paper"}
    services.return_result(officer=w.officer, dossier=dossier, method="online")
    body = client.get(page).content.decode()
    assert result_url in body and draft_url not in body
    assert client.get(result_url).status_code == 200
    assert client.get(draft_url).status_code == 404
    files = api.get(f"/api/v1/onestop/dossiers/{dossier.uid}/").json()["files"]
    assert {f["kind"] for f in files} == {"paper", "result"}


def test_the_sentence_about_signatures_comes_from_verifying_the_file(sealed, client):
    w = sealed
    dossier, _draft = to_sign(w)
    services.approve(official=w.leader, dossier=dossier)
    services.return_result(officer=w.officer, dossier=dossier, method="online")
    result = dossier.files.get(kind=DossierFile.Kind.RESULT)
    statement = selectors.signature_statement(result)
    assert statement.status == "valid"
    assert w.leader.full_name in statement.text and "hợp lệ" in statement.text
    client.force_login(w.citizen)
    body = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    assert statement.text in body
    # a result file without a signature (e.g. from before) is never called signed
    unsigned = DossierFile.objects.create(
        dossier=dossier,
        kind=DossierFile.Kind.RESULT,
        name="Kết quả cũ",
        file=default_storage.save("onestop/results/cu.pdf", io.BytesIO(PDF)),
        sha256="0" * 64,
    )
    said = selectors.signature_statement(unsigned)
    assert said.status == "unsigned" and "không có chữ ký số" in said.text
    body = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    assert "Kết quả được ký số." not in body  # the old constant sentence is gone


def test_approval_is_not_offered_to_a_leader_without_a_certificate(world):
    w = world
    dossier, _draft = to_sign(w)
    Certificate.objects.filter(owner_user=w.leader).update(status=Certificate.Status.REVOKED)
    assert "approve" not in {a.name for a in workflow.available(w.leader, dossier)}
    with pytest.raises(InvalidTransition) as err:
        services.approve(official=w.leader, dossier=dossier)
    assert err.value.code == "signing_method_unavailable"
    assert dossier.state == S.PROCESSING


def test_a_result_needing_the_seal_waits_for_the_agencys_certificate(world):
    w = world
    w.procedure.result_needs_seal = True
    w.procedure.save(update_fields=["result_needs_seal"])
    dossier, _draft = to_sign(w)
    with pytest.raises(InvalidTransition) as err:
        services.approve(official=w.leader, dossier=dossier)
    assert err.value.code == "seal_unavailable"


def test_an_online_return_cannot_be_approved_without_a_result_draft(world):
    w = world
    dossier = accepted(w)
    services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    services.forward_to_next_step(official=w.specialist, dossier=dossier, to_user=w.leader)
    with pytest.raises(InvalidTransition) as err:
        services.approve(official=w.leader, dossier=dossier)
    assert err.value.code == "result_file_required"
    # a paper result returned at the counter is signed on paper
    paper = accepted(w, return_method="counter")
    services.forward_to_next_step(official=w.officer, dossier=paper, to_user=w.specialist)
    services.forward_to_next_step(official=w.specialist, dossier=paper, to_user=w.leader)
    services.approve(official=w.leader, dossier=paper)
    assert paper.state == S.APPROVED and not paper.files.filter(kind="result").exists()


def test_a_draft_that_is_not_a_signable_pdf_is_refused_when_attached(world):
    w = world
    dossier = accepted(w)
    fake = io.BytesIO(b"%PDF-1.4\nnot really a pdf\n")
    fake.name = "ket-qua.pdf"
    with pytest.raises(ValidationFailed) as err:
        services.attach_result(official=w.officer, dossier=dossier, file=fake)
    assert err.value.code == "invalid_pdf"
    assert not dossier.files.filter(kind="result_draft").exists()


def test_the_citizen_cannot_attach_approve_or_sign(sealed):
    from tinhso.core.errors import PermissionDenied

    w = sealed
    dossier, _draft = to_sign(w)
    for name in ("attach_result", "approve", "prepare_signature"):
        with pytest.raises(PermissionDenied):
            workflow.check(name, w.citizen, dossier)
    with pytest.raises(PermissionDenied):
        services.approve(official=w.specialist, dossier=dossier)


# ---------------------------------------------------------------------------------------
# The leader's own USB token (the client flow)


@pytest.fixture
def token_key():
    """The private key inside the leader's USB token (the server never sees it)."""
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def token(sealed, token_key):
    """The leader signs only with the USB token (no key on the server)."""
    w = sealed
    Certificate.objects.filter(owner_user=w.leader).delete()
    _root, issuing = ensure_demo_ca()
    return issue_certificate(
        ca=issuing,
        kind="personal",
        owner_user=w.leader,
        owner_agency=w.dept,
        public_key=token_key.public_key(),
        storage=Certificate.Storage.REMOTE,
    )


def _token_signs(key, digest_b64: str) -> bytes:
    return key.sign(base64.b64decode(digest_b64), ec.ECDSA(Prehashed(hashes.SHA256())))


def test_the_leader_signs_with_the_usb_token_through_the_api(sealed, token, token_key):
    w = sealed
    dossier, draft = to_sign(w)
    api = APIClient()
    api.force_authenticate(w.leader)
    base = f"/api/v1/onestop/dossiers/{dossier.uid}"
    # approving before the token signed says what is missing and changes nothing
    early = api.post(f"{base}/approve/", {"signing": "token"}, format="json")
    assert early.status_code == 400 and early.json()["code"] == "signing_not_prepared"
    prepared = api.post(f"{base}/prepare-signature/", {}, format="json")
    assert prepared.status_code == 200, prepared.content
    session = prepared.json()["session_id"]
    pending = api.post(f"{base}/approve/", {"signing": "token"}, format="json")
    assert pending.json()["code"] == "signing_pending"
    # the signing client on the leader's computer: the token signs the digest
    done = api.post(
        f"/api/v1/signing/remote/{session}/complete",
        {
            "signature_b64": base64.b64encode(
                _token_signs(token_key, prepared.json()["digest_b64"])
            ).decode(),
            "certificate": token.certificate_pem,
        },
        format="json",
    )
    assert done.status_code == 200, done.content
    approved = api.post(
        f"{base}/approve/", {"signing": "token", "result_summary": "Cấp bản sao"}, format="json"
    )
    assert approved.status_code == 200, approved.content
    dossier.refresh_from_db()
    assert dossier.state == S.APPROVED and dossier.signing_session == ""
    signed = _read(dossier.files.get(kind=DossierFile.Kind.RESULT))
    assert signed.startswith(_read(draft))
    leader, seal = verify_pdf(signed)
    assert leader.status == "valid" and leader.serial.lower().lstrip("0") == (
        token.serial_hex.lower().lstrip("0")
    )
    assert seal.status == "valid"


def test_a_token_signature_of_an_older_draft_is_not_used(sealed, token, token_key):
    w = sealed
    dossier, _draft = to_sign(w)
    prepared = services.prepare_result_signature(official=w.leader, dossier=dossier)
    complete_remote_signing(
        session_id=prepared["session_id"],
        user=w.leader,
        signature=_token_signs(token_key, prepared["digest_b64"]),
        certificate=token.certificate_pem,
    )
    # the leader replaces the draft after the token signed the old one
    services.attach_result(official=w.leader, dossier=dossier, file=pdf_file("moi.pdf", b"\n"))
    with pytest.raises(ValidationFailed) as err:
        services.approve(official=w.leader, dossier=dossier, signing="token")
    assert err.value.code == "signing_not_prepared"
    assert dossier.state == S.PROCESSING


def test_the_page_confirms_naming_the_method_before_signing(sealed, client):
    w = sealed
    dossier, draft = to_sign(w)
    login(client, w.leader)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    assert "Phê duyệt và ký số" in page and 'value="certificate"' in page
    url = reverse("onestop:official_action", args=[dossier.uid, "approve"])
    form = {"version": dossier.version, "signing": "certificate", "result_summary": "Cấp"}
    confirmation = client.post(url, form).content.decode()
    cert = Certificate.objects.get(owner_user=w.leader)
    assert cert.common_name in confirmation
    assert "lưu mã hóa trên máy chủ" in confirmation
    assert draft.name in confirmation and w.dept.name in confirmation  # the seal follows
    dossier.refresh_from_db()
    assert dossier.state == S.PROCESSING and not dossier.files.filter(kind="result").exists()
    client.post(url, {**form, "confirm": "1"})
    dossier.refresh_from_db()
    assert dossier.state == S.APPROVED


def test_a_submitted_dossier_has_no_result_actions(world):
    w = world
    dossier = submit(w)
    names = {a.name for a in workflow.available(w.leader, dossier)}
    assert not names & {"attach_result", "approve", "prepare_signature"}


def test_the_page_walks_the_leader_through_the_usb_token(sealed, token, token_key, client):
    w = sealed
    dossier, _draft = to_sign(w)
    login(client, w.leader)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    assert 'value="token"' in page and "USB token của bạn" in page
    approve = reverse("onestop:official_action", args=[dossier.uid, "approve"])
    form = {"version": dossier.version, "signing": "token", "result_summary": "Cấp"}
    first = client.post(approve, form).content.decode()
    assert "Chuẩn bị ký bằng USB token" in first and "Xác nhận phê duyệt" not in first
    client.post(
        reverse("onestop:official_action", args=[dossier.uid, "prepare_signature"]),
        {"version": dossier.version},
    )
    dossier.refresh_from_db()
    assert dossier.signing_session
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    panel = results.token_session(dossier, w.leader)
    assert panel["session_id"] in page and panel["digest_b64"] in page
    assert f"--session {panel['session_id']} --digest-b64 {panel['digest_b64']}" in page
    assert panel["signed"] is False
    # the signing client signs with the token and posts the signature back
    complete_remote_signing(
        session_id=panel["session_id"],
        user=w.leader,
        signature=_token_signs(token_key, panel["digest_b64"]),
        certificate=token.certificate_pem,
    )
    form["version"] = dossier.version
    second = client.post(approve, form).content.decode()
    assert "Xác nhận phê duyệt và ký số" in second and token.common_name in second
    client.post(approve, {**form, "confirm": "1"})
    dossier.refresh_from_db()
    assert dossier.state == S.APPROVED
    leader, seal = verify_pdf(_read(dossier.files.get(kind=DossierFile.Kind.RESULT)))
    assert leader.status == seal.status == "valid"


@pytest.mark.django_db(transaction=True)
def test_the_reference_client_signs_the_prepared_session_over_http(request, live_server, token_key):
    """The leader's computer: the reference client signs the session the dossier page
    names (a software key stands in for the USB token) over HTTP with an API token."""
    import json
    from urllib import request as urlrequest

    from tinhso.accounts.services import issue_token
    from tinhso.signing.client import sign_session

    w = request.getfixturevalue("sealed")
    token = request.getfixturevalue("token")
    dossier, _draft = to_sign(w)
    api_token = issue_token(user=w.leader)

    def call(path: str, body: dict) -> dict:
        req = urlrequest.Request(
            f"{live_server.url}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": f"Token {api_token}", "Content-Type": "application/json"},
        )
        with urlrequest.urlopen(req, timeout=60) as resp:  # noqa: S310 - the test server
            return json.loads(resp.read())

    base = f"/api/v1/onestop/dossiers/{dossier.uid}"
    prepared = call(f"{base}/prepare-signature/", {})
    sign_session(
        server=live_server.url,
        api_token=api_token,
        session_id=prepared["session_id"],
        digest_b64=prepared["digest_b64"],
        algorithm=prepared["algorithm"],
        certificate_pem=token.certificate_pem,
        sign_digest=lambda digest, algorithm: token_key.sign(
            digest, ec.ECDSA(Prehashed(hashes.SHA256()))
        ),
    )
    approved = call(f"{base}/approve/", {"signing": "token"})
    assert approved["state"] == "approved"
    leader, _seal = verify_pdf(_read(dossier.files.get(kind=DossierFile.Kind.RESULT)))
    assert leader.status == "valid" and leader.signer_name == w.leader.full_name
