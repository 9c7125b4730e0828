import pytest

from tinhso.directory.codes import (
    InvalidAgencyCode,
    legacy_level,
    normalize_any,
    validate_code,
    validate_legacy_code,
)


@pytest.mark.parametrize(
    "code", ["H57", "K57", "G01", "H55.242", "h99.03", " H99.10.01 ", "A" * 35]
)
def test_decision20_codes_accepted_and_normalised(code):
    assert validate_code(code) == code.strip().upper()


@pytest.mark.parametrize(
    "code",
    ["", "57", "H57.", ".H57", "H57..1", "H-57", "H57 01", "Sở", "A" * 36, "000.00.00.H30"],
)
def test_decision20_codes_rejected_with_stable_code(code):
    with pytest.raises(InvalidAgencyCode) as exc:
        validate_code(code)
    assert exc.value.code == "invalid_agency_code"
    assert "không hợp lệ" in exc.value.message


@pytest.mark.parametrize(
    ("code", "level"),
    [("000.00.00.H30", 1), ("000.00.04.G14", 2), ("000.01.01.H08", 3), ("001.02.03.H99", 4)],
)
def test_legacy_codes_accepted_with_level(code, level):
    assert validate_legacy_code(code.lower()) == code
    assert legacy_level(code) == level


@pytest.mark.parametrize(
    "code",
    [
        "H30",
        "000.00.00.30",
        "00.00.00.H30",
        "000.00.00.HH0",
        "000.0A.00.H30",
        "000.01.00.H30",
        "001.00.01.H30",
        "000.00.00.H300",
    ],
)
def test_legacy_codes_rejected(code):
    with pytest.raises(InvalidAgencyCode) as exc:
        validate_legacy_code(code)
    assert exc.value.code == "invalid_agency_code"
    assert "QCVN 102" in exc.value.message


def test_normalize_any_tells_the_forms_apart():
    assert normalize_any("h99.03") == ("decision20", "H99.03")
    assert normalize_any("000.00.03.h99") == ("legacy", "000.00.03.H99")
    with pytest.raises(InvalidAgencyCode):
        normalize_any("0x")
