"""Templates cannot go out with their examples: on the page (placeholders, refusals that name
the blanks, sent once filled), on approval, and on the command line."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

import tests.helpers.bulletin_web
from loa.db import transaction
from loa.playlists.bulletin_templates import TEMPLATES
from loa.playlists.models import Bulletin, BulletinStatus
from loa.services import Services
from tests.conftest import Loa
from tests.helpers.bulletin_web import STORM_FIELDS, form_of, only_bulletin, typed_blanks
from tests.helpers.web import csrf, login

tree = tests.helpers.bulletin_web.tree  # a shared fixture

STORM = TEMPLATES["storm"]
REFUSED_VI = "Chưa gửi: hãy điền các chỗ trống của mẫu, thay cho giá trị ví dụ"


def storm_page(client: Any) -> str:
    return client.get("/bulletins/new?template=storm").get_data(as_text=True)


def typed_storm() -> dict[str, str]:
    return {f"blank_{k}": v for k, v in STORM_FIELDS.items()}


def bulletins(services: Services) -> list[Bulletin]:
    with transaction(services.sessions) as s:
        return list(s.scalars(select(Bulletin)))


def alert(page: str) -> str:
    found = re.search(r'<p class="flash error" role="alert">(.*?)</p>', page, re.S)
    assert found, "no refusal shown"
    return found.group(1)


def test_the_form_shows_each_example_as_a_placeholder_never_as_text(
    client: Any, tree: dict[str, int]
) -> None:
    login(client, "lanhdao")
    page = storm_page(client)
    for blank in STORM.blanks[1:]:
        field = re.search(rf'<input [^>]*name="blank_{blank.key}"[^>]*>', page)
        assert field, blank.key
        assert f'placeholder="{blank.example}"' in field.group(0)
        assert 'value=""' in field.group(0)
    assert 'name="blank_don_vi"' in page and 'value="phường Thủy Nguyên"' in page
    text = re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', page, re.S)
    assert text and "[Vị trí tâm bão]" in text.group(1) and "[Sức gió]" in text.group(1)
    assert "18,5 độ Vĩ Bắc" not in text.group(1) and "cấp 8, giật cấp 10" not in text.group(1)
    assert 'value="Tin khẩn: [Tên cơn bão]"' in page


def test_the_storm_sent_unchanged_is_refused_and_names_its_blanks(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "lanhdao")
    answer = client.post("/bulletins/new", data=form_of(storm_page(client), action="send"))
    shown = answer.get_data(as_text=True)
    assert answer.status_code == 200
    message = alert(shown)
    assert message.startswith(REFUSED_VI)
    for label in ("Tên cơn bão", "Giờ quan trắc", "Vị trí tâm bão", "Số điện thoại cứu hộ"):
        assert label in message
    assert "Đơn vị" not in message  # the unit's name was filled by the page
    assert bulletins(services) == []


def test_one_blank_left_is_named_alone_and_what_was_typed_stays(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "lanhdao")
    data = form_of(storm_page(client), action="send", **typed_storm() | {"blank_gio": " "})
    shown = client.post("/bulletins/new", data=data).get_data(as_text=True)
    assert alert(shown) == f"{REFUSED_VI}: Giờ quan trắc"
    assert 'value="bão số 5 (Yagi)"' in shown  # the form comes back as it was typed
    assert bulletins(services) == []


def test_a_text_still_holding_the_examples_is_refused_though_the_blanks_are_filled(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    # The text of a form filled with the examples (as the page did before), edited by hand,
    # then the blanks typed: the old storm, time and position are still what would be read.
    login(client, "lanhdao")
    text = STORM.fill({"don_vi": "phường Thủy Nguyên"})[1]
    data = form_of(storm_page(client), action="send", title="Tin khẩn: bão số 5", text=text,
                   **typed_storm())
    message = alert(client.post("/bulletins/new", data=data).get_data(as_text=True))
    for label in ("Tên cơn bão", "Giờ quan trắc", "Vị trí tâm bão", "Sức gió", "Lượng mưa"):
        assert label in message
    assert bulletins(services) == []


def test_the_storm_filled_in_goes_with_the_values_typed(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    # No script in the test client: the server fills the typed blanks into the text.
    login(client, "lanhdao")
    data = form_of(storm_page(client), action="send", **typed_storm())
    answer = client.post("/bulletins/new", data=data)
    assert answer.status_code == 302, alert(answer.get_data(as_text=True))
    sent = only_bulletin(services)
    assert sent.status is BulletinStatus.active and sent.title == "Tin khẩn: bão số 5 (Yagi)"
    assert sent.text is not None and "[" not in sent.text
    assert "20,1 độ Vĩ Bắc; 108,4 độ Kinh Đông" in sent.text
    assert "xin gọi số 0225 3 842 112." in sent.text
    assert "18,5 độ Vĩ Bắc" not in sent.text and "bão số 3" not in sent.text


def test_the_preview_reads_the_typed_blanks(client: Any, tree: dict[str, int]) -> None:
    login(client, "lanhdao")
    data = form_of(storm_page(client), action="preview", **typed_storm())
    shown = client.post("/bulletins/new", data=data).get_data(as_text=True)
    spoken = re.search(r'id="spoken">(.*?)</p>', shown, re.S)
    assert spoken and "cấp mười hai, giật cấp mười lăm" in spoken.group(1)
    assert "không hai hai năm, ba, tám bốn hai, một một hai" in spoken.group(1)


def test_the_refusal_in_english_names_the_blanks_in_english(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "lanhdao")
    client.get("/lang/en?next=/bulletins")
    data = form_of(storm_page(client), action="send", **typed_storm() | {"blank_ten": ""})
    message = alert(client.post("/bulletins/new", data=data).get_data(as_text=True))
    assert message == ("Not sent: fill in the template’s blanks, in place of the examples: "
                       "Storm name")


def test_a_bulletin_still_marked_is_not_approved(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "xa")
    assert client.post("/bulletins/new", data=form_of(
        client.get("/bulletins/new?template=power_cut").get_data(as_text=True),
        action="send", **typed_blanks("power_cut"))).status_code == 302
    pending = only_bulletin(services)
    assert pending.status is BulletinStatus.pending
    with transaction(services.sessions) as s:  # written before the check, its blank left
        s.get_one(Bulletin, pending.id).text = "Cắt điện tại [Khu vực mất điện]."
    login(client, "lanhdao")
    page = client.get(f"/bulletins/{pending.id}").get_data(as_text=True)
    done = client.post(f"/bulletins/{pending.id}/approve", data={"csrf_token": csrf(
        page.encode())}, follow_redirects=True).get_data(as_text=True)
    assert "Chưa điền chỗ trống của mẫu" in done and "Khu vực mất điện" in done
    assert only_bulletin(services).status is BulletinStatus.pending


def fields(values: dict[str, str]) -> list[str]:
    return [arg for key, value in values.items() for arg in ("--field", f"{key}={value}")]


def test_the_command_lists_the_templates_and_their_blanks(loa: Loa) -> None:
    listed = loa("bulletin", "templates")
    for template in TEMPLATES.values():
        assert f"{template.key}\t{template.name_vi} ({template.name_en})" in listed
    assert "  ten\tTên cơn bão (Storm name)\tví dụ (example): bão số 3\n" in listed
    assert "  dien_luc\tĐơn vị điện lực (Power company)\tví dụ (example): " in listed
    one = loa("bulletin", "templates", "flood")
    assert one.startswith("flood\t") and "storm\t" not in one and "  song\tSông (River)" in one
    assert "no such template" in loa("bulletin", "templates", "bao", ok=False)


@pytest.mark.both_databases
def test_the_command_refuses_a_template_with_blanks_left_and_names_them(
    loa: Loa, services: Services, tree: dict[str, int]
) -> None:
    base = ("bulletin", "send", "--unit", "11560", "--template", "storm")
    refused = loa(*base, ok=False)
    assert "Chưa điền chỗ trống của mẫu" in refused and "Tên cơn bão" in refused
    assert "(fill in the template's blanks" in refused and "Storm name" in refused
    partly = loa(*base, *fields({"ten": "bão số 5"}), ok=False)
    assert "Tên cơn bão" not in partly and "Giờ quan trắc" in partly
    with_example = loa(*base, *fields(STORM_FIELDS), "--text",
                       STORM.fill({"don_vi": "phường Thủy Nguyên"})[1], ok=False)
    assert "Vị trí tâm bão" in with_example and "Position of the centre" in with_example
    assert "no such blank" in loa(*base, *fields({"bao": "x"}), ok=False)
    assert "KEY=VALUE" in loa(*base, "--field", "ten", ok=False)
    assert "--field needs --template" in loa(
        "bulletin", "send", "--unit", "11560", "--priority", "normal", "--text", "Họp.",
        *fields({"ten": "x"}), ok=False)
    assert bulletins(services) == []


@pytest.mark.both_databases
def test_the_command_sends_a_filled_template_with_its_suggestions(
    loa: Loa, services: Services, tree: dict[str, int]
) -> None:
    sent = loa("bulletin", "send", "--unit", "11560", "--template", "storm",
               *fields(STORM_FIELDS)).strip()
    shown = json.loads(loa("bulletin", "show", sent, "--format", "json"))
    assert shown["title"] == "Tin khẩn: bão số 5 (Yagi)" and shown["priority"] == "emergency"
    assert shown["status"] == "active" and shown["sent_at"]
    assert (shown["repeat_count"], shown["repeat_every_s"]) == (6, 1800)
    assert "Ban Chỉ huy phòng thủ dân sự phường Thủy Nguyên" in shown["text"]
    assert "cấp 12, giật cấp 15" in shown["text"] and "[" not in shown["text"]
    hours = (json_time(shown["valid_until"]) - json_time(shown["sent_at"])).total_seconds() / 3600
    assert round(hours) == STORM.valid_hours


def json_time(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)
