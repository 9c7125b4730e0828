"""Write use-cases of signing (see sign.py, pki.py, remote.py)."""

from tinhso.signing.services.images import set_image  # noqa: F401, E402
from tinhso.signing.services.pki import (  # noqa: F401
    ensure_demo_ca,
    import_ca_certificates,
    import_crl,
    issue_certificate,
    publish_crl,
    register_certificate,
    revoke_certificate,
)
from tinhso.signing.services.remote import (  # noqa: F401, E402
    complete_remote_signing,
    prepare_remote_signing,
    register_token_certificate,
)
from tinhso.signing.services.sign import open_pdf, sign_pdf  # noqa: F401
