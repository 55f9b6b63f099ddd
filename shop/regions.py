"""Mainland China's 31 province-level divisions, as an address's first line names them."""

import unicodedata

PROVINCES = (
    "北京市", "天津市", "上海市", "重庆市",
    "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省",
    "河南省", "湖北省", "湖南省", "广东省", "海南省", "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省",
    "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区",
)  # fmt: skip

_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


_BY_SHORT_NAME = {_short(name): name for name in PROVINCES}


def normalise_province(value) -> str | None:
    """The full name for 广东 or 广东省 (or 广西, 广西自治区...), None for anything else."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    return _BY_SHORT_NAME.get(_short(text))
