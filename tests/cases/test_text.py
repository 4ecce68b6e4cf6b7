"""Text helpers: folding for search, and no bidirectional spoofing in names and numbers."""

from mcu.text import fold, strip_bidi


def test_fold_ignores_case_and_yo():
    assert fold("  Ёлка   у ДОМА ") == "елка у дома"


def test_bidi_controls_are_taken_out():
    assert strip_bidi("Иванов\u202eтxt.exe") == "Ивановтxt.exe"
    assert strip_bidi("\u2066МЖК-26-000001\u2069") == "МЖК-26-000001"
    assert strip_bidi(None) == ""


def test_registration_keeps_no_bidi_controls_in_names_and_addresses(make_case):
    case = make_case(author_name="Пётр\u202eвонаваИ", address="ул.\u202b Мира, 1")
    assert case.author_name == "ПётрвонаваИ" and case.address == "ул. Мира, 1"
