"""A template's bulletin goes only with every blank filled and no example left in it."""

from __future__ import annotations

import pytest

from loa.playlists.bulletin_templates import TEMPLATES, UNIT_BLANK
from loa.playlists.template_check import (
    UnfilledBlanks,
    check_blanks,
    check_marks,
    fill_marks,
    marks_left,
    unfilled_blanks,
)
from tests.helpers.bulletin_web import STORM_FIELDS

STORM = TEMPLATES["storm"]
UNIT = {UNIT_BLANK: "xã Tân Hà"}
REAL_STORM = UNIT | STORM_FIELDS


def keys(template_key: str, values: dict[str, str], title: str, text: str) -> list[str]:
    return [b.key for b in unfilled_blanks(TEMPLATES[template_key], values, title, text)]


def test_a_draft_marks_every_blank_and_names_them_all() -> None:
    title, text = STORM.draft(UNIT)
    assert "[Tên cơn bão]" in title and "[Số điện thoại cứu hộ]" in text
    assert "bão số 3" not in title + text and "cấp 8, giật cấp 10" not in text
    expected = [b.key for b in STORM.blanks if b.key != UNIT_BLANK]
    assert keys("storm", UNIT, title, text) == expected


def test_a_filled_storm_may_go() -> None:
    title, text = STORM.draft(REAL_STORM)
    assert keys("storm", REAL_STORM, title, text) == []
    check_blanks(STORM, REAL_STORM, title, text)  # raises nothing


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_sent_with_its_examples_is_refused(template: str) -> None:
    # The field report: the template as it came, examples and all, never goes.
    title, text = TEMPLATES[template].fill(UNIT)
    found = keys(template, UNIT, title, text)
    assert len(found) >= 5, found


def test_the_storm_sent_with_its_examples_names_the_storm_time_and_position() -> None:
    title, text = STORM.fill(UNIT)
    assert {"ten", "gio", "vi_tri"} <= set(keys("storm", UNIT, title, text))


def test_one_blank_left_is_the_one_named() -> None:
    values = REAL_STORM | {"gio": "  "}
    title, text = STORM.draft(values)
    assert keys("storm", values, title, text) == ["gio"]
    with pytest.raises(UnfilledBlanks) as refused:
        check_blanks(STORM, values, title, text)
    assert str(refused.value) == (
        "Chưa điền chỗ trống của mẫu, hoặc còn giá trị ví dụ: Giờ quan trắc "
        "(fill in the template's blanks, in place of any example: Time observed)")


def test_an_example_left_in_text_edited_by_hand_is_named() -> None:
    title, text = STORM.draft(REAL_STORM)
    text += " Tâm bão lúc 7h30 ngày 18/7 ở vào khoảng 18,5 độ Vĩ Bắc; 107,2 độ Kinh Đông."
    assert keys("storm", REAL_STORM, title, text) == ["gio", "vi_tri"]


def test_an_example_typed_as_the_value_is_the_authors_choice() -> None:
    values = REAL_STORM | {"huong": "Tây Tây Bắc", "ten": "bão số 3"}
    title, text = STORM.draft(values)
    assert keys("storm", values, title, text) == []


def test_examples_are_found_whatever_the_case_and_spaces_but_as_whole_words() -> None:
    title, text = STORM.draft(REAL_STORM)
    assert keys("storm", REAL_STORM, title, text + " Gió CẤP 8,  giật cấp 10.") == ["gio_manh"]
    # 17h30 holds no 7h30, the power cut's example start.
    power = TEMPLATES["power_cut"]
    values = UNIT | {"ly_do": "thay cột", "dien_luc": "Điện lực An Dương", "tu_gio": "8h00",
                     "den_gio": "11h00", "ngay": "21/7", "khu_vuc": "thôn 4"}
    title, text = power.draft(values)
    assert keys("power_cut", values, title, text + " Chợ đêm mở lại từ 17h30.") == []
    assert keys("power_cut", values, title, text + " Chợ mở lại từ 7h30.") == ["tu_gio"]


def test_a_blank_whose_sentence_was_rewritten_need_not_be_filled() -> None:
    values = REAL_STORM | {"so_tan": "", "han_so_tan": ""}
    title, text = STORM.draft(values)
    start = text.index("Các hộ ở")
    rewritten = text[:start] + text[text.index("Không ra đồng"):]
    assert keys("storm", values, title, rewritten) == []
    assert keys("storm", values, title, text) == ["so_tan", "han_so_tan"]


def test_short_examples_are_caught_by_their_mark_only() -> None:
    # "12" cases and "112" are too common to call leftovers; their marks still hold them.
    epidemic = TEMPLATES["epidemic"]
    values = {b.key: f"giá trị {i}" for i, b in enumerate(epidemic.blanks)} | {"so_ca": "5"}
    title, text = epidemic.draft(values)
    assert keys("epidemic", values, title, text + " Trong 12 ngày qua.") == []
    del values["so_ca"]
    title, text = epidemic.draft(values)
    assert keys("epidemic", values, title, text) == ["so_ca"]


def test_typed_blanks_fill_their_marks_in_text_edited_by_hand() -> None:
    title, text = STORM.draft(UNIT)
    edited = "Khẩn: " + text.replace("Thông báo khẩn cấp", "Tin khẩn cấp")
    filled = fill_marks(STORM, REAL_STORM, edited)
    assert "[" not in filled and "bão số 5 (Yagi)" in filled and filled.startswith("Khẩn: Tin")
    assert fill_marks(STORM, UNIT | {"ten": "  "}, title) == "Tin khẩn: [Tên cơn bão]"


def test_a_mark_of_any_template_is_refused_whoever_wrote_the_text() -> None:
    assert [b.key for b in marks_left("Mất điện", "Lịch cắt điện ngày [Ngày].")] == ["ngay"]
    assert marks_left("Thông báo", "Họp [tổ dân phố] lúc 19h.") == []  # brackets of its own
    with pytest.raises(UnfilledBlanks, match=r"Tên cơn bão \(fill in"):
        check_marks("Tin khẩn: [Tên cơn bão]", None)
    check_marks("Tin khẩn: bão số 5", "Bão số 5 đổ bộ.")


def test_labels_are_unique_in_each_template_so_a_mark_names_one_blank() -> None:
    for template in TEMPLATES.values():
        labels = [b.label_vi for b in template.blanks]
        assert len(labels) == len(set(labels)), template.key
