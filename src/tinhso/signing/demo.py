"""Demo data of signing, loaded by `tinhso demo` (idempotent): the local demo CA, a
certificate for every demo leader and for every agency with leaders or clerks, their
signature and seal images, a CRL with one revoked certificate."""


def load(out) -> None:
    from tinhso.signing.services.demo import init_demo

    init_demo(out)
