"""PAdES B-T / B-LT when a time-stamp authority is configured (SIGNING_TSA_URL): a
local RFC 3161 TSA over HTTP, certified by the demo CA."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from tinhso.signing import ca as x
from tinhso.signing.crypto import decrypt_private_key
from tinhso.signing.selectors import verify_pdf
from tinhso.signing.services import sign_pdf
from tinhso.signing.trust import to_asn1


@pytest.fixture
def tsa_url(demo_ca, settings):
    _, issuing = demo_ca
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = x.issue_tsa(
        subject=x.name("tinhso Demo TSA"),
        public_key=key.public_key(),
        issuer_cert=x.load_certificate(issuing.certificate_pem),
        issuer_key=decrypt_private_key(issuing.private_key_encrypted),
    )
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    stamper = DummyTimeStamper(
        tsa_cert=to_asn1(cert),
        tsa_key=asn1_keys.PrivateKeyInfo.load(der),
        certs_to_embed=[to_asn1(x.load_certificate(issuing.certificate_pem))],
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    settings.SIGNING_TSA_URL = f"http://127.0.0.1:{server.server_port}/tsa"
    yield settings.SIGNING_TSA_URL
    server.shutdown()


def test_with_a_tsa_signatures_are_timestamped_and_carry_validation_data(
    tsa_url, leader, leader_cert, agency, pdf_bytes
):
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    [report] = verify_pdf(signed)
    assert report.timestamped  # B-T: a signature time-stamp from the TSA
    assert report.signed_at_source == "timestamp"
    assert report.status == "valid"
    reader = PdfFileReader(io.BytesIO(signed))
    dss = reader.root["/DSS"]  # B-LT: certificates and CRLs embedded for the long term
    assert len(dss["/Certs"]) >= 2 and len(dss["/CRLs"]) >= 1


def test_an_unreachable_tsa_is_a_clear_error_and_nothing_is_signed(
    settings, leader, leader_cert, agency, pdf_bytes
):
    from tinhso.audit.models import AuditEntry
    from tinhso.core.errors import DomainError

    settings.SIGNING_TSA_URL = "http://127.0.0.1:9/tsa"  # discard port: refused
    with pytest.raises(DomainError) as excinfo:
        sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    assert excinfo.value.code == "tsa_unavailable"
    assert not AuditEntry.objects.filter(action="signing.sign_personal").exists()
