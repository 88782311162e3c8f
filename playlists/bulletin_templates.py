"""Bulletin templates: the texts a commune reads when a storm, a flood or a cut comes.

Each template is a title and a text in the style of a commune's announcement, with
blanks written ``{key}``. A blank has its label (Vietnamese and English: the page shows
one, the text is always Vietnamese, since the loudspeakers speak it) and an example
that is a realistic value ("cấp 8, giật cấp 10", "7h30 ngày 18/7"). The example is a
hint (the form's placeholder), never text: a draft marks an unfilled blank with its
label in brackets ("[Tên cơn bão]"), and ``playlists.template_check`` refuses to send
while a mark or an example is left, since a storm bulletin sent with its example storm,
time and position once went out. ``fill`` (examples in) is for tests and demos only.
The blank ``don_vi`` is the author's unit; the page fills it with the unit's name.

Data only: the web page shows them, the operator edits the text, the service renders
what was sent. Nothing here is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

UNIT_BLANK = "don_vi"
_HOLE = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Blank:
    key: str
    label_vi: str
    label_en: str
    example: str

    @property
    def marker(self) -> str:
        """What a draft shows where this blank is still to fill: its label in brackets."""
        return f"[{self.label_vi}]"


@dataclass(frozen=True)
class BulletinTemplate:
    """A bulletin to start from: what it says, how urgent, how often and how long."""

    key: str
    name_vi: str
    name_en: str
    priority: str  # the suggested level: normal | priority | emergency
    title: str
    text: str
    blanks: tuple[Blank, ...]
    repeat_count: int
    repeat_every_min: int
    valid_hours: int

    def fill(self, values: Mapping[str, str] | None = None) -> tuple[str, str]:
        """The title and text with each blank replaced by ``values[key]``, else its example.

        Cases: a blank given as "" keeps its example; a ``{word}`` that is no blank of
        this template stays as written.
        """
        return self._replaced(values, lambda b: b.example)

    def draft(self, values: Mapping[str, str] | None = None) -> tuple[str, str]:
        """The title and text with each blank replaced by ``values[key]``, else its marker.

        Cases: a blank given as "" or spaces keeps its marker ("[Tên cơn bão]"); a
        ``{word}`` that is no blank of this template stays as written.
        """
        return self._replaced(values, lambda b: b.marker)

    def own_words(self) -> str:
        """The template's title and text without its blanks: the words it always says."""
        return _HOLE.sub("\n", f"{self.title}\n{self.text}")

    def _replaced(self, values: Mapping[str, str] | None,
                  unfilled: Callable[[Blank], str]) -> tuple[str, str]:
        given = {b.key: (values or {}).get(b.key, "").strip() or unfilled(b) for b in self.blanks}

        def sub(m: re.Match[str]) -> str:
            return given.get(m.group(1), m.group(0))

        return _HOLE.sub(sub, self.title), _HOLE.sub(sub, self.text)


def _unit(example: str = "xã") -> Blank:
    return Blank(UNIT_BLANK, "Đơn vị", "Unit", example)


_STORM = BulletinTemplate(
    key="storm",
    name_vi="Bão",
    name_en="Storm",
    priority="emergency",
    title="Tin khẩn: {ten}",
    text=(
        "Thông báo khẩn cấp của Ban Chỉ huy phòng thủ dân sự {don_vi}. "
        "Hồi {gio}, vị trí tâm {ten} ở vào khoảng {vi_tri}. "
        "Sức gió mạnh nhất vùng gần tâm bão mạnh {gio_manh}. "
        "Dự báo trong 24 giờ tới, bão di chuyển theo hướng {huong}, mỗi giờ đi được {toc_do}, "
        "và có khả năng ảnh hưởng trực tiếp đến địa phương từ {anh_huong}. "
        "Trên địa bàn có mưa to đến rất to, lượng mưa phổ biến {luong_mua}. "
        "Đề nghị bà con nhân dân khẩn trương chằng chống nhà cửa, cắt tỉa cây xanh, "
        "thu hoạch sớm hoa màu; tàu thuyền không ra khơi và vào nơi tránh trú an toàn. "
        "Các hộ ở {so_tan} di chuyển đến nơi sơ tán trước {han_so_tan}. "
        "Không ra đồng, không đi qua ngầm tràn, không đứng gần cột điện khi có mưa bão. "
        "Khi cần cứu hộ, xin gọi số {duong_day_nong}."
    ),
    blanks=(
        _unit(),
        Blank("ten", "Tên cơn bão", "Storm name", "bão số 3"),
        Blank("gio", "Giờ quan trắc", "Time observed", "7h30 ngày 18/7"),
        Blank("vi_tri", "Vị trí tâm bão", "Position of the centre",
              "18,5 độ Vĩ Bắc; 107,2 độ Kinh Đông"),
        Blank("gio_manh", "Sức gió", "Wind force", "cấp 8, giật cấp 10"),
        Blank("huong", "Hướng di chuyển", "Heading", "Tây Tây Bắc"),
        Blank("toc_do", "Tốc độ di chuyển", "Speed", "20-25 km"),
        Blank("anh_huong", "Ảnh hưởng từ", "Affects the area from", "chiều ngày 18/7"),
        Blank("luong_mua", "Lượng mưa", "Rainfall", "100-150 mm, có nơi trên 200 mm"),
        Blank("so_tan", "Khu vực sơ tán", "Area to evacuate",
              "ven biển, ven sông và nhà tạm, nhà yếu"),
        Blank("han_so_tan", "Sơ tán trước", "Evacuate before", "17h00 ngày 18/7"),
        Blank("duong_day_nong", "Số điện thoại cứu hộ", "Rescue phone number", "112"),
    ),
    repeat_count=6,
    repeat_every_min=30,
    valid_hours=24,
)

_DEPRESSION = BulletinTemplate(
    key="depression",
    name_vi="Áp thấp nhiệt đới",
    name_en="Tropical depression",
    priority="emergency",
    title="Tin khẩn: {ten}",
    text=(
        "Thông báo của Ban Chỉ huy phòng thủ dân sự {don_vi} về {ten}. "
        "Hồi {gio}, vị trí tâm áp thấp nhiệt đới ở vào khoảng {vi_tri}. "
        "Sức gió mạnh nhất vùng gần tâm áp thấp nhiệt đới mạnh {gio_manh}. "
        "Dự báo trong 12 đến 24 giờ tới, áp thấp nhiệt đới di chuyển theo hướng {huong}, "
        "mỗi giờ đi được {toc_do}, có khả năng mạnh lên thành bão. "
        "Từ đêm nay trên địa bàn có mưa vừa, mưa to, lượng mưa phổ biến {luong_mua}; "
        "đề phòng lốc, sét và gió giật mạnh. "
        "Đề nghị bà con theo dõi chặt chẽ diễn biến trên loa truyền thanh, "
        "tàu thuyền đang hoạt động trên biển khẩn trương vào bờ, "
        "các hộ nuôi trồng thủy sản đưa người lên bờ trước {han}. "
        "Khi cần hỗ trợ, xin gọi số {duong_day_nong}."
    ),
    blanks=(
        _unit(),
        Blank("ten", "Tên áp thấp", "Depression name", "áp thấp nhiệt đới trên Biển Đông"),
        Blank("gio", "Giờ quan trắc", "Time observed", "7h00 ngày 12/9"),
        Blank("vi_tri", "Vị trí tâm", "Position of the centre",
              "17,2 độ Vĩ Bắc; 110,5 độ Kinh Đông"),
        Blank("gio_manh", "Sức gió", "Wind force", "cấp 6-7, giật cấp 9"),
        Blank("huong", "Hướng di chuyển", "Heading", "Tây Bắc"),
        Blank("toc_do", "Tốc độ di chuyển", "Speed", "10-15 km"),
        Blank("luong_mua", "Lượng mưa", "Rainfall", "50-100 mm"),
        Blank("han", "Lên bờ trước", "Ashore before", "18h00 ngày 12/9"),
        Blank("duong_day_nong", "Số điện thoại cứu hộ", "Rescue phone number", "112"),
    ),
    repeat_count=4,
    repeat_every_min=60,
    valid_hours=24,
)

_FLOOD = BulletinTemplate(
    key="flood",
    name_vi="Lũ, ngập lụt",
    name_en="Flood",
    priority="emergency",
    title="Tin khẩn: lũ trên {song}",
    text=(
        "Thông báo khẩn cấp của Ban Chỉ huy phòng thủ dân sự {don_vi}. "
        "Do mưa lớn kéo dài, lượng mưa trong 6 giờ qua phổ biến {luong_mua}, "
        "nước trên {song} đang lên nhanh. Hồi {gio}, mực nước tại {tram} là {muc_nuoc}, "
        "{bao_dong}. Dự báo trong 12 giờ tới nước tiếp tục lên. "
        "Các khu vực {khu_vuc} có nguy cơ ngập sâu {do_sau}. "
        "Đề nghị bà con kê cao tài sản, lương thực; đưa người già, trẻ em và gia súc "
        "đến nơi an toàn; không đi qua ngầm tràn, đường ngập; "
        "không vớt củi, đánh bắt cá trên sông. "
        "Lực lượng dân quân đã có mặt tại {diem_so_tan} để hỗ trợ sơ tán. "
        "Khi cần cứu hộ, xin gọi số {duong_day_nong}."
    ),
    blanks=(
        _unit(),
        Blank("song", "Sông", "River", "sông Lô"),
        Blank("luong_mua", "Lượng mưa", "Rainfall", "20-25 mm, có nơi trên 50 mm"),
        Blank("gio", "Giờ đo", "Time measured", "5h00 ngày 10/9"),
        Blank("tram", "Trạm đo", "Gauge", "cầu Tân Hà"),
        Blank("muc_nuoc", "Mực nước", "Water level", "24,5 m"),
        Blank("bao_dong", "So với báo động", "Against the alert levels",
              "trên báo động 2 là 0,5 m"),
        Blank("khu_vuc", "Khu vực ngập", "Areas flooded", "thôn Bãi Bằng, xóm Bến và chợ cũ"),
        Blank("do_sau", "Độ sâu ngập", "Depth", "0,5-1 m"),
        Blank("diem_so_tan", "Điểm sơ tán", "Evacuation point", "trường tiểu học của xã"),
        Blank("duong_day_nong", "Số điện thoại cứu hộ", "Rescue phone number", "112"),
    ),
    repeat_count=6,
    repeat_every_min=30,
    valid_hours=24,
)

_FOREST_FIRE = BulletinTemplate(
    key="forest_fire",
    name_vi="Cháy rừng",
    name_en="Forest fire",
    priority="emergency",
    title="Tin khẩn: cháy rừng tại {dia_diem}",
    text=(
        "Thông báo khẩn của Ủy ban nhân dân {don_vi}. "
        "Hồi {gio}, tại {dia_diem} đã xảy ra cháy rừng; đám cháy đang lan theo hướng {huong}. "
        "Nắng nóng gay gắt, nhiệt độ cao nhất {nhiet_do}, cấp dự báo cháy rừng "
        "đang ở {cap_chay}. "
        "Đề nghị lực lượng dân quân, tổ bảo vệ rừng và các hộ nhận khoán khẩn trương "
        "tập trung tại {tap_ket}, mang theo dao, cuốc, bàn dập lửa. "
        "Các hộ dân ở {khu_vuc} chuẩn bị sẵn sàng di chuyển khi có lệnh. "
        "Nghiêm cấm đốt nương, đốt thực bì, dùng lửa trong và gần rừng. "
        "Phát hiện cháy, xin báo ngay số {duong_day_nong}."
    ),
    blanks=(
        _unit(),
        Blank("gio", "Giờ phát hiện", "Time found", "13h15 ngày 5/6"),
        Blank("dia_diem", "Nơi cháy", "Where", "tiểu khu 236, đồi Chè thôn 3"),
        Blank("huong", "Hướng lan", "Spreading towards", "Tây Nam"),
        Blank("nhiet_do", "Nhiệt độ", "Temperature", "38-39°C"),
        Blank("cap_chay", "Cấp cháy rừng", "Fire danger level",
              "cấp 5, cấp cực kỳ nguy hiểm"),
        Blank("tap_ket", "Nơi tập kết", "Gathering point", "nhà văn hóa thôn 3"),
        Blank("khu_vuc", "Khu vực có thể sơ tán", "Area that may evacuate",
              "xóm Đồi và xóm Rừng Thông"),
        Blank("duong_day_nong", "Số điện thoại báo cháy", "Fire phone number", "114"),
    ),
    repeat_count=4,
    repeat_every_min=20,
    valid_hours=12,
)

_EPIDEMIC = BulletinTemplate(
    key="epidemic",
    name_vi="Dịch bệnh",
    name_en="Epidemic",
    priority="priority",
    title="Phòng, chống dịch {benh}",
    text=(
        "Thông báo của Ban Chỉ đạo phòng, chống dịch {don_vi}. "
        "Từ ngày {tu_ngay} đến nay, trên địa bàn đã ghi nhận {so_ca} ca mắc {benh} "
        "tại {khu_vuc}. Để chủ động phòng, chống dịch, đề nghị bà con {bien_phap}. "
        "Khi có dấu hiệu {trieu_chung}, cần đến ngay Trạm y tế để được khám và điều trị "
        "kịp thời, không tự ý điều trị tại nhà. "
        "Trạm y tế tổ chức {hoat_dong} vào {thoi_gian} tại {dia_diem}; "
        "đề nghị các hộ gia đình phối hợp, mở cửa và có người ở nhà."
    ),
    blanks=(
        _unit(),
        Blank("benh", "Bệnh", "Disease", "sốt xuất huyết"),
        Blank("tu_ngay", "Từ ngày", "Since", "10/8"),
        Blank("so_ca", "Số ca mắc", "Cases", "12"),
        Blank("khu_vuc", "Nơi có ca mắc", "Where the cases are", "thôn Đông và thôn Trung"),
        Blank("bien_phap", "Biện pháp phòng bệnh", "Prevention",
              "diệt bọ gậy, lật úp các dụng cụ chứa nước, ngủ màn kể cả ban ngày"),
        Blank("trieu_chung", "Dấu hiệu bệnh", "Symptoms",
              "sốt cao đột ngột 39-40°C, đau đầu, xuất huyết dưới da"),
        Blank("hoat_dong", "Hoạt động của trạm y tế", "Health post's action",
              "phun hóa chất diệt muỗi"),
        Blank("thoi_gian", "Thời gian", "When", "7h30 ngày 18/8"),
        Blank("dia_diem", "Địa điểm", "Where", "các thôn có ca mắc"),
    ),
    repeat_count=3,
    repeat_every_min=1440,
    valid_hours=72,
)

_POWER_CUT = BulletinTemplate(
    key="power_cut",
    name_vi="Cắt điện",
    name_en="Power cut",
    priority="normal",
    title="Lịch cắt điện ngày {ngay}",
    text=(
        "Thông báo lịch tạm ngừng cung cấp điện. "
        "Để {ly_do}, {dien_luc} tạm ngừng cung cấp điện từ {tu_gio} đến {den_gio} "
        "ngày {ngay} tại các khu vực: {khu_vuc}. "
        "Nếu công việc hoàn thành sớm, điện sẽ được đóng lại không báo trước; "
        "đề nghị bà con không đến gần đường dây và trạm biến áp trong thời gian trên, "
        "chủ động sắp xếp việc sinh hoạt và sản xuất. "
        "Ủy ban nhân dân {don_vi} xin thông báo để bà con được biết."
    ),
    blanks=(
        _unit(),
        Blank("ly_do", "Lý do", "Reason", "bảo dưỡng, sửa chữa lưới điện"),
        Blank("dien_luc", "Đơn vị điện lực", "Power company", "Điện lực Thủy Nguyên"),
        Blank("tu_gio", "Từ giờ", "From", "7h30"),
        Blank("den_gio", "Đến giờ", "Until", "16h30"),
        Blank("ngay", "Ngày", "Day", "18/7"),
        Blank("khu_vuc", "Khu vực mất điện", "Areas without power",
              "thôn 1, thôn 2 và khu chợ trung tâm"),
    ),
    repeat_count=3,
    repeat_every_min=720,
    valid_hours=48,
)

_WATER_CUT = BulletinTemplate(
    key="water_cut",
    name_vi="Cắt nước",
    name_en="Water cut",
    priority="normal",
    title="Tạm ngừng cấp nước ngày {ngay}",
    text=(
        "Thông báo tạm ngừng cấp nước sinh hoạt. "
        "{cong_ty} thông báo: để {ly_do}, công ty tạm ngừng cấp nước từ {tu_gio} "
        "đến {den_gio} ngày {ngay} tại các khu vực: {khu_vuc}. "
        "Đề nghị bà con chủ động dự trữ nước sinh hoạt. "
        "Khi cấp nước trở lại, nước có thể đục trong thời gian ngắn, "
        "bà con xả bỏ khoảng 1-2 phút trước khi dùng. "
        "Ủy ban nhân dân {don_vi} xin thông báo để bà con được biết."
    ),
    blanks=(
        _unit(),
        Blank("cong_ty", "Đơn vị cấp nước", "Water company", "Công ty cổ phần cấp nước Hải Phòng"),
        Blank("ly_do", "Lý do", "Reason", "sửa chữa, thay thế đường ống chính"),
        Blank("tu_gio", "Từ giờ", "From", "8h00"),
        Blank("den_gio", "Đến giờ", "Until", "17h00"),
        Blank("ngay", "Ngày", "Day", "20/7"),
        Blank("khu_vuc", "Khu vực mất nước", "Areas without water", "tổ dân phố 3, 4 và 5"),
    ),
    repeat_count=3,
    repeat_every_min=720,
    valid_hours=48,
)

TEMPLATES: dict[str, BulletinTemplate] = {
    t.key: t
    for t in (_STORM, _DEPRESSION, _FLOOD, _FOREST_FIRE, _EPIDEMIC, _POWER_CUT, _WATER_CUT)
}


def get_template(key: str) -> BulletinTemplate | None:
    """The template called ``key``, or None."""
    return TEMPLATES.get(key)
