"""Bulletins in the web UI: templates, preview, sending, approval, cancelling, the live
delivery data; each user's own subtree only, roles enforced by the server, CSRF on every form."""

from __future__ import annotations

import io
import re
import wave
from typing import Any

import numpy as np
from sqlalchemy import select

import tests.helpers.bulletin_web
from loa.db import transaction
from loa.playlists.bulletin_templates import TEMPLATES
from loa.playlists.models import Bulletin, BulletinDelivery, BulletinStatus
from loa.services import Services
from loa.stations.models import AdminUnit
from loa.web.users import add_user
from tests.helpers.bulletin_web import completed, form_of, only_bulletin, started, typed_blanks
from tests.helpers.web import PASSWORD, csrf, login

tree = tests.helpers.bulletin_web.tree  # a shared fixture


def allow_operators_emergency(services: Services, code: str) -> None:
    with transaction(services.sessions) as s:
        unit = s.scalar(select(AdminUnit).where(AdminUnit.code == code))
        assert unit is not None
        unit.emergency_roles = "operator,leader,admin"


def send(client: Any, template: str = "storm", **fields: Any) -> Any:
    """Send ``template`` with its blanks typed (typed_blanks) and ``fields`` changed."""
    page = client.get(f"/bulletins/new?template={template}").get_data(as_text=True)
    typed = typed_blanks(template) | fields
    return client.post("/bulletins/new", data=form_of(page, action="send", **typed))


def test_each_template_reads_as_a_bulletin_with_its_examples() -> None:
    assert set(TEMPLATES) == {"storm", "depression", "flood", "forest_fire", "epidemic",
                              "power_cut", "water_cut"}
    for template in TEMPLATES.values():
        title, text = template.fill({"don_vi": "xã Tân Hà"})
        assert "{" not in title + text and "xã Tân Hà" in text, template.key
        assert all(b.label_vi and b.label_en and b.example for b in template.blanks)
    storm = TEMPLATES["storm"].fill({"gio": "  ", "ten": "bão số 5"})[1]
    assert "cấp 8, giật cấp 10" in storm and "18,5 độ Vĩ Bắc" in storm
    assert "7h30 ngày 18/7" in storm and "bão số 5" in storm  # a blank left empty keeps its example


def test_the_storm_template_fills_the_form_with_the_units_name(
    client: Any, tree: dict[str, int]
) -> None:
    login(client, "lanhdao")
    page = client.get("/bulletins/new?template=storm").get_data(as_text=True)
    assert "Ban Chỉ huy phòng thủ dân sự phường Thủy Nguyên" in page
    assert "cấp 8, giật cấp 10" in page and 'value="emergency" checked' in page
    assert 'value="11560" checked' in page and "Đài Thủy Nguyên" in page
    assert "Đài Thiên Hương" not in page and "11557" not in page  # a sibling is no target
    assert "data-confirm=" in page  # an emergency asks before it goes


def test_an_operator_is_not_offered_an_emergency_unless_the_unit_allows_it(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "xa")
    page = client.get("/bulletins/new?template=storm").get_data(as_text=True)
    # shown, but disabled and explained (who may send it), never checked
    assert 'value="emergency" disabled' in page and 'value="priority" checked' in page
    assert "Chỉ lãnh đạo UBND và quản trị được phát thông báo khẩn cấp" in page
    client.set_cookie("loa_lang", "en")
    page = client.get("/bulletins/new?template=storm").get_data(as_text=True)
    assert "Only the commune leader and admin may send an emergency bulletin" in page
    client.set_cookie("loa_lang", "vi")
    forced = send(client, priority="emergency")
    assert forced.status_code == 403
    allow_operators_emergency(services, "11560")
    page = client.get("/bulletins/new?template=flood").get_data(as_text=True)
    assert 'value="emergency" checked' in page and "được phát thông báo khẩn cấp" not in page


def test_preview_shows_the_spoken_form_and_a_listen_button(
    client: Any, tree: dict[str, int]
) -> None:
    login(client, "lanhdao")
    page = client.get("/bulletins/new?template=storm").get_data(as_text=True)
    answer = client.post("/bulletins/new", data=form_of(page, action="preview",
                                                        **typed_blanks("storm")))
    shown = answer.get_data(as_text=True)
    assert answer.status_code == 200, shown
    spoken = re.search(r'id="spoken">(.*?)</p>', shown, re.S)
    assert spoken, "no spoken form"
    assert "cấp tám, giật cấp mười" in spoken.group(1)
    assert "mười tám phẩy năm độ vĩ bắc" in spoken.group(1).lower()
    listen = re.search(r'id="listen" src="([^"]+)"', shown)
    assert listen, "no listen button after the preview"
    audio = client.get(listen.group(1))
    assert audio.status_code == 200 and audio.mimetype == "audio/mpeg" and len(audio.data) > 1000
    assert "cấp 8, giật cấp 10" in shown  # the text the operator wrote is kept as written
    other = client.get(listen.group(1).replace(listen.group(1)[-20:-4], "0" * 16))
    assert other.status_code == 404  # only what this session rendered
    too_long = client.post("/bulletins/new", data=form_of(page, action="preview",
                                                          text="Bão. " * 2001))
    shown = too_long.get_data(as_text=True)
    assert "Nội dung tối đa 10000 ký tự" in shown and 'id="listen"' not in shown


def test_a_leader_sends_an_emergency_and_follows_its_delivery(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "lanhdao")
    answer = send(client)
    assert answer.status_code == 302
    sent = only_bulletin(services)
    assert sent.status is BulletinStatus.active and sent.priority.value == "emergency"
    assert answer.headers["Location"] == f"/bulletins/{sent.id}"
    page = client.get(f"/bulletins/{sent.id}").get_data(as_text=True)
    assert "Đã gửi thông báo tới 2 thiết bị phát" in page  # TN's two players, not TH's
    assert "Đã phát 0/1 đài" in page and "Khẩn cấp" in page and "Đang phát" in page
    live = client.get(f"/bulletins/{sent.id}/delivery.json").get_json()
    assert (live["played"], live["total"], live["live"]) == (0, 1, True)
    started(services, tree["tn1"], sent, seconds=1.4)
    live = client.get(f"/bulletins/{sent.id}/delivery.json").get_json()
    assert live["headline"] == "Đã phát 0/1 đài"  # begun is not played (DESIGN §6)
    assert live["stations"][0]["code"] == "TN" and live["stations"][0]["delay"] == "1,4 giây"
    assert live["stations"][0]["state_label"] == "Đang phát"
    assert "0/1 đài" in client.get("/bulletins").get_data(as_text=True)
    completed(services, tree["tn1"], sent, seconds=1.4)
    live = client.get(f"/bulletins/{sent.id}/delivery.json").get_json()
    assert live["headline"] == "Đã phát 1/1 đài" and live["stations"][0]["state"] == "completed"
    listed = client.get("/bulletins").get_data(as_text=True)
    assert "Tin khẩn: bão số 3" in listed and "1/1 đài" in listed


def test_an_operators_priority_bulletin_waits_for_a_leader_who_is_not_its_author(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "lanhdao")
    send(client, "power_cut")  # a leader's own bulletin is sent at once
    assert only_bulletin(services).status is BulletinStatus.active
    login(client, "xa")
    answer = send(client, "epidemic")
    pending = only_bulletin(services)
    assert pending.status is BulletinStatus.pending and pending.priority.value == "priority"
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "chờ lãnh đạo duyệt" in page and 'id="approve"' not in page
    token = csrf(page.encode())
    refused = client.post(f"/bulletins/{pending.id}/approve", data={"csrf_token": token})
    assert refused.status_code == 403  # an operator approves nothing
    login(client, "lanhdao")
    page = client.get(f"/bulletins/{pending.id}").get_data(as_text=True)
    assert 'id="approve"' in page
    done = client.post(f"/bulletins/{pending.id}/approve", data={"csrf_token": csrf(
        page.encode())}, follow_redirects=True).get_data(as_text=True)
    assert "Đã duyệt và gửi thông báo" in done
    assert only_bulletin(services).approved_by == "lanhdao"


def test_a_leader_cannot_approve_the_bulletin_they_wrote(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    with transaction(services.sessions) as s:
        add_user(s, "viet", PASSWORD, "operator", "11560")
    login(client, "viet")
    send(client, "water_cut")
    pending = only_bulletin(services)
    with transaction(services.sessions) as s:  # its author became a leader since
        s.get_one(Bulletin, pending.id).created_by = "lanhdao"
    login(client, "lanhdao")
    page = client.get(f"/bulletins/{pending.id}").get_data(as_text=True)
    assert 'id="approve"' not in page
    answer = client.post(f"/bulletins/{pending.id}/approve",
                         data={"csrf_token": csrf(page.encode())}, follow_redirects=True)
    assert "không được tự duyệt" in answer.get_data(as_text=True)
    assert only_bulletin(services).status is BulletinStatus.pending


def test_a_sibling_wards_bulletin_is_not_found_and_the_province_sees_it(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "lanhdao")
    send(client)
    sent = only_bulletin(services)
    login(client, "lanhdao2")
    for path in (f"/bulletins/{sent.id}", f"/bulletins/{sent.id}/delivery.json",
                 f"/bulletins/{sent.id}/audio"):
        assert client.get(path).status_code == 404, path
    page = client.get("/bulletins").get_data(as_text=True)
    assert "Tin khẩn" not in page
    token = csrf(client.get("/bulletins/new").data)
    assert client.post(f"/bulletins/{sent.id}/cancel",
                       data={"csrf_token": token}).status_code == 404
    login(client, "tinh")  # the province's auditor reads, writes nothing
    assert "Tin khẩn: bão số 3" in client.get("/bulletins").get_data(as_text=True)
    page = client.get(f"/bulletins/{sent.id}").get_data(as_text=True)
    assert 'id="cancel"' not in page and client.get("/bulletins/new").status_code == 403
    assert client.get(f"/bulletins/{sent.id}/audio").status_code == 200


def test_a_target_outside_the_subtree_is_refused(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "lanhdao")
    page = send(client, station=["TH"])
    assert page.status_code == 200
    assert "Nơi nhận ngoài phạm vi: TH" in page.get_data(as_text=True)
    with transaction(services.sessions) as s:
        assert s.scalars(select(Bulletin)).all() == []


def test_cancelling_stops_the_live_page_and_every_form_needs_its_csrf_token(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "lanhdao")
    page = client.get("/bulletins/new?template=flood").get_data(as_text=True)
    data = form_of(page, action="send")
    del data["csrf_token"]
    assert client.post("/bulletins/new", data=data).status_code == 400
    send(client, "flood")
    sent = only_bulletin(services)
    assert client.post(f"/bulletins/{sent.id}/cancel").status_code == 400
    login(client, "xa")  # an operator may not stop what only leaders may send
    page = client.get(f"/bulletins/{sent.id}").get_data(as_text=True)
    assert 'id="cancel"' not in page
    assert client.post(f"/bulletins/{sent.id}/cancel",
                       data={"csrf_token": csrf(page.encode())}).status_code == 403
    login(client, "lanhdao")
    page = client.get(f"/bulletins/{sent.id}").get_data(as_text=True)
    assert 'id="cancel"' in page and "data-confirm" in page
    done = client.post(f"/bulletins/{sent.id}/cancel", data={"csrf_token": csrf(page.encode())},
                       follow_redirects=True).get_data(as_text=True)
    assert "Đã hủy thông báo" in done and 'id="cancel"' not in done
    live = client.get(f"/bulletins/{sent.id}/delivery.json").get_json()
    assert live["live"] is False and live["status"] == "cancelled"
    assert only_bulletin(services).cancelled_by == "lanhdao"


def test_the_pages_in_english(client: Any, services: Services, tree: dict[str, int]) -> None:
    login(client, "lanhdao")
    send(client)
    sent = only_bulletin(services)
    client.get("/lang/en?next=/bulletins")
    listed = client.get("/bulletins").get_data(as_text=True)
    assert "Emergency" in listed and "Khẩn cấp" not in listed
    page = client.get("/bulletins/new?template=storm").get_data(as_text=True)
    assert "<label>Wind force" in page and "<label>Sức gió" not in page
    assert "cấp 8, giật cấp 10" in page  # the text stays Vietnamese: the loudspeakers read it
    started(services, tree["tn1"], sent, seconds=2.5)
    completed(services, tree["tn1"], sent, seconds=2.5)
    live = client.get(f"/bulletins/{sent.id}/delivery.json").get_json()
    assert live["headline"] == "Played on 1/1 stations" and live["stations"][0]["delay"] == "2.5 s"
    assert live["stations"][0]["state_label"] == "Aired"


def test_deliveries_count_stations_not_players(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "tp")  # the city's leader sends to both wards
    answer = send(client, unit=["31"])
    assert answer.status_code == 302
    sent = only_bulletin(services)
    with transaction(services.sessions) as s:
        rows = s.scalars(select(BulletinDelivery).where(
            BulletinDelivery.bulletin_id == sent.id)).all()
        assert len(rows) == 3
    started(services, tree["tn1"], sent, seconds=0.8)
    completed(services, tree["tn1"], sent, seconds=0.8)
    live = client.get(f"/bulletins/{sent.id}/delivery.json").get_json()
    assert live["headline"] == "Đã phát 1/2 đài"
    assert [r["code"] for r in live["stations"]] == ["TH", "TN"]


def tone_wav(seconds: float = 2.0) -> bytes:
    """A 440 Hz tone as a WAV: what a phone's recording is to the server (audio to check)."""
    rate = 22050
    samples = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate) * 32767)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def test_a_recording_is_sent_after_the_attention_signal_and_a_missing_one_is_named(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "lanhdao")
    page = client.get("/bulletins/new?template=power_cut").get_data(as_text=True)
    data = form_of(page, action="send", source="audio", blank_ngay="20/7")  # the title's blank
    missing = client.post("/bulletins/new", data=data).get_data(as_text=True)
    assert "Chưa chọn tệp âm thanh" in missing and 'value="audio" checked' in missing
    data["file"] = (io.BytesIO(tone_wav()), "ghi-am.wav")
    answer = client.post("/bulletins/new", data=data, content_type="multipart/form-data")
    assert answer.status_code == 302
    sent = only_bulletin(services)
    assert sent.text is None and sent.status is BulletinStatus.active
    assert sent.duration_ms > 2000  # the signal, then the two seconds recorded
    assert client.get(f"/bulletins/{sent.id}/audio").status_code == 200


def test_a_ward_sees_the_citys_alert_on_its_own_stations_only_and_cannot_cancel_it(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    login(client, "tp")
    send(client, unit=["31"])
    sent = only_bulletin(services)
    started(services, tree["tn1"], sent, seconds=0.9)
    login(client, "lanhdao2")  # ward 11557: its station TH has not started yet
    listed = client.get("/bulletins").get_data(as_text=True)
    assert 'id="from-above"' in listed and "Tin khẩn: bão số 3" in listed and "0/1 đài" in listed
    page = client.get(f"/bulletins/{sent.id}").get_data(as_text=True)
    assert "Đã phát 0/1 đài" in page and "Đài Thiên Hương" in page
    assert "Đài Thủy Nguyên" not in page and 'id="cancel"' not in page
    live = client.get(f"/bulletins/{sent.id}/delivery.json").get_json()
    assert [r["code"] for r in live["stations"]] == ["TH"]
    refused = client.post(f"/bulletins/{sent.id}/cancel",
                          data={"csrf_token": csrf(page.encode())})
    assert refused.status_code == 404
    assert only_bulletin(services).status is BulletinStatus.active
