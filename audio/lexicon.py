"""Word lists for the normaliser: acronyms, document types, letter names, units."""

from __future__ import annotations

# Operators extend this through ``normalize_vi(..., acronyms=...)``; keys are matched exactly.
ACRONYMS: dict[str, str] = {
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "MTTQ": "Mặt trận Tổ quốc",
    "TT&TT": "Thông tin và Truyền thông",
    "TTTT": "Thông tin và Truyền thông",
    "BTTTT": "Bộ Thông tin và Truyền thông",
    "VH-TT": "Văn hóa Thông tin",
    "VHTT": "Văn hóa Thông tin",
    "VH-TT-TT": "Văn hóa, Thông tin và Thể thao",
    "VHTTDL": "Văn hóa, Thể thao và Du lịch",
    "HTX": "hợp tác xã",
    "CĐS": "chuyển đổi số",
    "THCS": "trung học cơ sở",
    "THPT": "trung học phổ thông",
    "CNTT": "công nghệ thông tin",
    "KT-XH": "kinh tế - xã hội",
    "KTXH": "kinh tế xã hội",
    "CP": "Chính phủ",
    "TTg": "Thủ tướng Chính phủ",
    "TW": "Trung ương",
    "TU": "Tỉnh ủy",
    "HU": "Huyện ủy",
    "ĐU": "Đảng ủy",
    "BCĐ": "Ban chỉ đạo",
    "BCH": "Ban chấp hành",
    "BTV": "Ban Thường vụ",
    "CT-TTg": "Chỉ thị Thủ tướng",
    "NQ": "Nghị quyết",
    "QĐ": "Quyết định",
    "KH": "Kế hoạch",
    "NĐ": "Nghị định",
    "TT": "Thông tư",
    "CT": "Chỉ thị",
    "TB": "Thông báo",
    "BC": "Báo cáo",
    "HD": "Hướng dẫn",
    "CV": "Công văn",
    "QH": "Quốc hội",
    "UBTVQH": "Ủy ban Thường vụ Quốc hội",
    "BHXH": "bảo hiểm xã hội",
    "BHYT": "bảo hiểm y tế",
    "CSDL": "cơ sở dữ liệu",
    "CQNN": "cơ quan nhà nước",
    "ĐTN": "Đoàn Thanh niên",
    "TNCS": "Thanh niên Cộng sản",
    "LHPN": "Liên hiệp Phụ nữ",
    "PTTH": "Phát thanh Truyền hình",
    "ĐPT-TH": "Đài Phát thanh - Truyền hình",
    "TP": "thành phố",
    "TX": "thị xã",
    "TT-TT": "Thông tin - Truyền thông",
    "SXKD": "sản xuất kinh doanh",
    "DVC": "dịch vụ công",
    "VNPT": "vê en pê tê",
    "VNeID": "vê en e ai đi",
    "IoT": "ai ô ti",
    "AI": "ây ai",
    "COVID": "cô vít",
    "4G": "bốn giê",
    "5G": "năm giê",
    "Wi-Fi": "oai phai",
    "Zalo": "da lô",
    "Internet": "in tơ nét",
    "Online": "on lai",
    "online": "on lai",
    "VNĐ": "đồng",
    "CDS": "chuyển đổi số",
    "CMCN": "Cách mạng công nghiệp",
    "CBCCVC": "cán bộ, công chức, viên chức",
    "CCVC": "công chức, viên chức",
    "NLĐ": "người lao động",
    "STTTT": "Sở Thông tin và Truyền thông",
    "KSTTHC": "kiểm soát thủ tục hành chính",
    "UBMTTQVN": "Ủy ban Mặt trận Tổ quốc Việt Nam",
    "TTr": "Tờ trình",
    "KL": "Kết luận",
    "QyĐ": "Quy định",
    "CTr": "Chương trình",
    "TTTU": "Thường trực Tỉnh ủy",
    "TM": "thay mặt",
    "KT": "ký thay",
    "PCT": "Phó Chủ tịch",
    "CVP": "Chánh Văn phòng",
    "TTHC": "thủ tục hành chính",
    "SĐT": "số điện thoại",
    # Weather and disaster bulletins.
    "ATNĐ": "áp thấp nhiệt đới",
    "KTTV": "khí tượng thủy văn",
    "PCTT": "phòng chống thiên tai",
    "TKCN": "tìm kiếm cứu nạn",
    "PCTT&TKCN": "phòng chống thiên tai và tìm kiếm cứu nạn",
    "PCTT-TKCN": "phòng chống thiên tai và tìm kiếm cứu nạn",
    "BĐ": "báo động",
    "TTDBKTTVQG": "Trung tâm Dự báo Khí tượng Thủy văn quốc gia",
}

# Spoken names of letters, used to spell acronyms the dictionary does not know.
# Codes that open a document symbol (29/KH-UBND) and name its type; the rest name the issuer.
DOCUMENT_TYPES = frozenset({"BC", "CT", "CTr", "CV", "HD", "KH", "KL", "NQ", "NĐ", "QyĐ", "QĐ",
                            "TB", "TT", "TTr"})

LETTERS: dict[str, str] = {
    "A": "a", "Ă": "á", "Â": "ớ", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e",
    "Ê": "ê", "F": "ép", "G": "giê", "H": "hát", "I": "i", "J": "gi", "K": "ca", "L": "e lờ",
    "M": "em mờ", "N": "en nờ", "O": "o", "Ô": "ô", "Ơ": "ơ", "P": "pê", "Q": "quy",
    "R": "e rờ", "S": "ét", "T": "tê", "U": "u", "Ư": "ư", "V": "vê", "W": "vê kép",
    "X": "ích", "Y": "i dài", "Z": "dét",
}

# A "X/unit" after a count reads "X mỗi unit" (3 lần/tháng → ba lần mỗi tháng).
RATE_UNITS = frozenset({
    "ngày", "tuần", "tháng", "quý", "năm", "giờ", "phút", "giây", "buổi", "lần", "kỳ", "đợt",
    "người", "hộ", "xã", "phường", "thôn", "khóa", "lớp", "trường", "học", "sinh", "km", "ha"
})

# Last words after which a Roman numeral is a heading number (Chương II, Phụ lục IV).
ROMAN_CONTEXT = frozenset({
    "chương", "mục", "phần", "lục", "khoản", "điều", "đoạn", "loại", "hạng", "khóa", "kỳ",
    "kỷ", "quý", "hội", "lần", "tập", "số", "cấp", "vùng", "động"
})

# Words before which d/m is a date (ngày 15/3, từ 15/3, trước 1/6, đêm 18/7, ngày mai 19/7).
DATE_CONTEXT = frozenset({
    "ngày", "hôm", "từ", "đến", "trước", "sau", "tới", "và", "đầu", "cuối", "mùng", "mồng",
    "sáng", "trưa", "chiều", "tối", "đêm", "khuya", "nay", "mai", "qua",
})

# Words before which d/m is an address (số 18/7, hẻm 12/3), never a date.
ADDRESS_CONTEXT = frozenset({"số", "nhà", "ngõ", "ngách", "hẻm", "kiệt", "lô"})

# Units read after a number (or a range of numbers). Where two readings are common:
# - speeds read "một <time>" (60 km/h: sáu mươi ki-lô-mét một giờ), as people say them and
#   as weather presenters read wind speeds; "trên giờ" reads like a fraction;
# - river and reservoir flows read "mét khối trên giây", the form of the hydrological
#   bulletins and of the reservoir operators' release notices;
# - °C stays "độ xê" (SYMBOLS): the letter's Vietnamese name, so a TTS engine never says
#   an English "C".
UNITS: dict[str, str] = {
    "km/h": "ki-lô-mét một giờ",
    "km/giờ": "ki-lô-mét một giờ",
    "m/s": "mét một giây",
    "mm/h": "mi-li-mét một giờ",
    "m3/s": "mét khối trên giây",
    "m³/s": "mét khối trên giây",
    "mm": "mi-li-mét",
    "cm": "xen-ti-mét",
    "km": "ki-lô-mét",
    "m": "mét",
    "km2": "ki-lô-mét vuông",
    "km²": "ki-lô-mét vuông",
    "m2": "mét vuông",
    "m²": "mét vuông",
    "m3": "mét khối",
    "m³": "mét khối",
    "ha": "héc-ta",
    "kg": "ki-lô-gam",
    "hPa": "héc-tô-pát-xcan",
}
# Loan words the units are read with: kept whole (hyphens and all) when words are read.
UNIT_WORDS = frozenset(w for reading in UNITS.values() for w in reading.split() if "-" in w)

# Words that announce a phone number, read digit by digit whatever its length.
PHONE_CONTEXT = ("điện thoại", "đt", "sđt", "hotline", "đường dây nóng", "số máy", "fax",
                 "tổng đài")
# Of those, the ones after which a short number (1022, 113) is still a phone number; "ĐT"
# is left out as "ĐT.603" is a provincial road (đường tỉnh) in flood bulletins.
SHORT_PHONE_CONTEXT = frozenset({"điện thoại", "sđt", "hotline", "đường dây nóng", "số máy",
                                 "tổng đài"})
# Calls and the services people call: before these only the emergency numbers and numbers
# shaped like phone numbers are dialled ("gọi 114", "báo ngay số 114", "Cảnh sát 113").
CALL_CONTEXT = ("gọi", "quay", "bấm", "liên hệ", "nhắn tin", "báo", "báo cháy", "cảnh sát",
                "công an", "cứu hỏa", "chữa cháy", "pccc", "cứu nạn", "cứu hộ", "cấp cứu",
                "cứu thương", "bảo vệ trẻ em", "khẩn cấp")
# Words before which those are no call: "kêu gọi", "Thông báo số 113", "dự báo".
CALL_NOT_AFTER = {"gọi": ("kêu", "mời", "lời"), "báo": ("thông", "dự", "cảnh", "tình", "điện")}
# Words that may stand between such a word and the number: "gọi ngay đến số 114".
PHONE_FILLERS = ("ngay", "điện", "đến", "tới", "cho", "số", "theo", "qua", "về", "là",
                 "lẻ")
# National emergency numbers: child protection, search and rescue, police, fire, ambulance.
EMERGENCY_NUMBERS = frozenset({"111", "112", "113", "114", "115"})
# Words after which a number counts something and is no phone number ("gọi 112 hộ dân").
COUNTED_NOUNS = frozenset({
    "hộ", "người", "nhà", "căn", "ngôi", "con", "chiếc", "cái", "lần", "lượt", "tấn", "kg",
    "ha", "km", "m", "mm", "đồng", "nghìn", "ngàn", "triệu", "tỷ", "xã", "phường", "thôn",
    "bản", "làng", "xóm", "tổ", "trường", "học", "cán", "chiến", "thanh", "đoàn", "hội",
    "phương", "tàu", "thuyền", "xe", "suất", "phần", "bao", "thùng", "cây", "điểm", "khẩu",
    "lao", "giờ", "phút", "ngày", "tháng", "năm", "độ", "mét",
})

SYMBOLS: dict[str, str] = {
    "&": " và ",
    "%": " phần trăm",
    "‰": " phần nghìn",
    "+": " cộng ",
    "=": " bằng ",
    "≥": " lớn hơn hoặc bằng ",
    "≤": " nhỏ hơn hoặc bằng ",
    ">": " lớn hơn ",
    "<": " nhỏ hơn ",
    "§": " mục ",
    "~": " khoảng ",
    "°C": " độ xê",
    "°": " độ",
    "@": " a còng ",
    "#": " thăng ",
    "*": " ",
    "•": " ",
    "_": " ",
    "|": ", ",
    "\\": " ",
}
