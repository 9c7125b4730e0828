from tinhso.core.text import fold


def test_fold_strips_vietnamese_diacritics_and_maps_d_stroke():
    assert fold("Sở Tài chính") == "so tai chinh"
    assert fold("Đà Nẵng") == "da nang"
    assert fold("  ỦY BAN   nhân dân ") == "uy ban nhan dan"
