"""The catalogue bench/search.py searches: many products, fast to write, shaped like a real one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanhuo_bench_search .venv/bin/python bench/search_seed.py

bench/search.py runs this in a process of its own (seeding leaves a large heap behind, which would
slow the measuring process's garbage collections), against an empty, migrated database.

The demo seed (`manage.py seed_demo`) has 24 villages and one name per kind of produce, so at
100,000 products every query would match thousands of identical names and the facets would have a
handful of values: neither the matching nor the counting would be measured as a real catalogue
would load them. Here there are a few hundred villages in about fifty counties of sixteen
provinces, each village growing a few of the produce its county is known for, and names built the
way sellers write them: place + variety + produce + grade (云南高原黄心土豆, 秭归脐橙, 冰糖心苹果),
sometimes under another of the produce's names (洋芋, 地瓜), which is what the synonyms are for.
Descriptions are 40-150 characters, prices ¥5-500, about 10% out of stock and about 5% invisible
(unpublished, or sold by a suspended or unverified farmer). Everything is bulk-inserted with
`min_price`/`in_stock` computed as `shop.catalog.refresh_product_summary` would; bulk inserts send
no signals, so the search index is empty afterwards until it is rebuilt.
"""

import math
import os
import random
import sys
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Province slug, name, English name, how a label names it.
PROVINCES = (
    ("jiangxi", "江西省", "Jiangxi", "江西"),
    ("hunan", "湖南省", "Hunan", "湖南"),
    ("hubei", "湖北省", "Hubei", "湖北"),
    ("guizhou", "贵州省", "Guizhou", "贵州"),
    ("yunnan", "云南省", "Yunnan", "云南"),
    ("gansu", "甘肃省", "Gansu", "甘肃"),
    ("sichuan", "四川省", "Sichuan", "四川"),
    ("hebei", "河北省", "Hebei", "河北"),
    ("shaanxi", "陕西省", "Shaanxi", "陕西"),
    ("chongqing", "重庆市", "Chongqing", "重庆"),
    ("anhui", "安徽省", "Anhui", "安徽"),
    ("henan", "河南省", "Henan", "河南"),
    ("shanxi", "山西省", "Shanxi", "山西"),
    ("guangxi", "广西壮族自治区", "Guangxi", "广西"),
    ("ningxia", "宁夏回族自治区", "Ningxia", "宁夏"),
    ("heilongjiang", "黑龙江省", "Heilongjiang", "东北"),
)

# Province slug, county name, label name (or the region the label uses), what the county is known for.
COUNTIES = (
    ("jiangxi", "安远县", "赣南", ("navel_orange", "camellia_oil", "sweet_potato")),
    ("jiangxi", "寻乌县", "赣南", ("navel_orange", "honey_pomelo", "bamboo")),
    ("jiangxi", "于都县", "于都", ("vegetables", "camellia_oil", "eggs")),
    ("jiangxi", "井冈山市", "井冈山", ("yellow_peach", "bamboo", "green_tea")),
    ("hunan", "花垣县", "湘西", ("kiwi", "cured_meat", "embroidery")),
    ("hunan", "炎陵县", "炎陵", ("yellow_peach", "bamboo", "rice")),
    ("hunan", "安化县", "安化", ("black_tea", "cured_meat", "bamboo")),
    ("hubei", "秭归县", "秭归", ("navel_orange", "green_tea", "honey")),
    ("hubei", "恩施市", "恩施", ("green_tea", "potato", "cured_meat")),
    ("hubei", "房县", "房县", ("wood_ear", "shiitake", "walnut")),
    ("guizhou", "雷山县", "雷山", ("green_tea", "rice", "silver")),
    ("guizhou", "从江县", "从江", ("pork", "rice", "citrus")),
    ("guizhou", "修文县", "修文", ("kiwi", "vegetables", "eggs")),
    ("guizhou", "威宁县", "威宁", ("potato", "apple", "buckwheat")),
    ("yunnan", "宣威市", "宣威", ("potato", "cured_meat", "vegetables")),
    ("yunnan", "会泽县", "会泽", ("potato", "walnut", "honey")),
    ("yunnan", "昭阳区", "昭通", ("apple", "potato", "tianma")),
    ("yunnan", "贡山县", "怒江", ("cardamom", "honey", "walnut")),
    ("yunnan", "勐海县", "勐海", ("black_tea", "green_tea", "honey")),
    ("gansu", "渭源县", "渭源", ("herbs", "potato", "honey")),
    ("gansu", "安定区", "定西", ("potato", "herbs", "millet")),
    ("gansu", "静宁县", "静宁", ("apple", "millet", "walnut")),
    ("gansu", "岷县", "岷县", ("herbs", "potato", "honey")),
    ("sichuan", "昭觉县", "大凉山", ("buckwheat", "potato", "pepper")),
    ("sichuan", "盐源县", "大凉山", ("apple", "walnut", "pepper")),
    ("sichuan", "汉源县", "汉源", ("pepper", "pear", "honey")),
    ("sichuan", "苍溪县", "苍溪", ("kiwi", "pear", "pork")),
    ("hebei", "阜平县", "阜平", ("jujube", "shiitake", "millet")),
    ("hebei", "张北县", "坝上", ("potato", "oats", "mutton")),
    ("hebei", "围场县", "坝上", ("potato", "oats", "honey")),
    ("shaanxi", "柞水县", "秦岭", ("wood_ear", "herbs", "honey")),
    ("shaanxi", "洛川县", "洛川", ("apple", "millet", "walnut")),
    ("shaanxi", "延川县", "延川", ("jujube", "millet", "apple")),
    ("shaanxi", "佳县", "陕北", ("jujube", "millet", "mutton")),
    ("chongqing", "奉节县", "奉节", ("navel_orange", "honey", "cured_meat")),
    ("chongqing", "石柱县", "石柱", ("herbs", "pepper", "honey")),
    ("chongqing", "巫山县", "巫山", ("citrus", "cured_meat", "potato")),
    ("anhui", "金寨县", "大别山", ("green_tea", "chestnut", "honey")),
    ("anhui", "霍山县", "大别山", ("green_tea", "herbs", "bamboo")),
    ("henan", "兰考县", "兰考", ("melon", "sweet_potato", "peanut")),
    ("henan", "卢氏县", "卢氏", ("wood_ear", "shiitake", "walnut")),
    ("shanxi", "岢岚县", "岢岚", ("millet", "oats", "mutton")),
    ("shanxi", "沁县", "沁州", ("millet", "jujube", "vegetables")),
    ("guangxi", "融安县", "融安", ("citrus", "bamboo", "honey")),
    ("guangxi", "田阳区", "百色", ("mango", "vegetables", "sugar_orange")),
    ("guangxi", "巴马县", "巴马", ("rice", "pork", "honey")),
    ("ningxia", "盐池县", "盐池", ("mutton", "millet", "buckwheat")),
    ("ningxia", "西吉县", "西吉", ("potato", "buckwheat", "goji")),
    ("ningxia", "中宁县", "中宁", ("goji", "jujube", "apple")),
    ("heilongjiang", "桦南县", "东北", ("rice", "wood_ear", "honey")),
    ("heilongjiang", "饶河县", "东北", ("honey", "wood_ear", "soybean")),
)

VILLAGE_STEMS = (
    "黄泥", "石门", "青山", "白岩", "龙潭", "杨柳", "桃源", "花果", "梨树", "大坪", "小河", "上寨",
    "下坝", "高峰", "云雾", "松林", "竹园", "马鞍", "凤凰", "金鸡", "岩脚", "水井", "新田", "茶园",
    "丰收", "团结", "红星", "和平", "长岭", "柏树", "枫香", "板栗", "沙坝", "河口", "大湾", "岔河",
    "半坡", "老寨", "石桥", "鹰嘴", "清水", "万家", "刘家", "陈家", "田坝", "堰塘", "太阳", "月亮",
)  # fmt: skip
VILLAGE_SUFFIXES = ("村", "坪村", "沟村", "湾村", "岭村", "寨村", "坝村")

# Added to names before the variety.
REGION_WORDS = ("高原", "高山", "山区", "深山", "大山")
FRESHNESS = ("新鲜", "农家", "精选", "现挖", "现摘", "头茬", "新货")
GRADES = ("礼盒装", "特级", "一级", "大果", "家庭装", "包邮", "整箱")


@dataclass(frozen=True)
class Produce:
    names: tuple[str, ...]  # the first is the usual name; others are what some sellers call it
    category: str  # a subcategory slug of demo.data.CATEGORIES
    varieties: tuple[str, ...]
    price: tuple[int, int]  # the first unit's price, whole yuan
    units: tuple[tuple[str, str, str], ...]  # name, kg, price multiplier
    blurbs: tuple[str, ...]


BOX = (("5斤装", "2.5", "1"), ("10斤装", "5", "1.8"), ("20斤装", "10", "3.4"))
BAG = (("250克袋装", "0.25", "1"), ("500克袋装", "0.5", "1.85"), ("1千克装", "1", "3.5"))
GRAIN = (("2.5千克袋装", "2.5", "1"), ("5千克袋装", "5", "1.85"), ("10千克袋装", "10", "3.5"))
JAR = (("500克瓶装", "0.5", "1"), ("1千克瓶装", "1", "1.85"), ("2.5千克桶装", "2.5", "4.2"))
TEA = (("50克罐装", "0.05", "1"), ("100克罐装", "0.1", "1.9"), ("250克礼盒", "0.25", "4.2"))
MEAT = (("500克真空装", "0.5", "1"), ("1千克真空装", "1", "1.9"), ("2.5千克礼盒", "2.5", "4.5"))
EGGS = (("15枚装", "0.8", "1"), ("30枚装", "1.6", "1.9"), ("60枚装", "3.2", "3.6"))
OIL = (("500毫升瓶装", "0.46", "1"), ("1升瓶装", "0.92", "1.9"), ("5升桶装", "4.6", "8.5"))
PIECE = (("单件", "0.2", "1"), ("两件装", "0.4", "1.9"))

PRODUCE = {
    "potato": Produce(
        ("土豆", "土豆", "马铃薯", "洋芋"),
        "tubers",
        ("黄心", "红皮", "紫皮", "沙瓤", "小"),
        (6, 30),
        BOX,
        ("高寒山区种的土豆，蒸着吃又沙又面。", "个头匀称，表皮光滑，炖菜炒丝都合适。"),
    ),
    "sweet_potato": Produce(
        ("红薯", "红薯", "地瓜", "番薯"),
        "tubers",
        ("红心", "沙地", "蜜薯", "烟薯"),
        (8, 35),
        BOX,
        ("沙土地里长的红薯，烤着吃流糖。", "软糯香甜，蒸煮烤都好吃。"),
    ),
    "navel_orange": Produce(
        ("脐橙", "脐橙", "橙子"),
        "citrus",
        ("纽荷尔", "伦晚", "冰糖", "赣南"),
        (25, 60),
        BOX,
        ("果肉脆嫩化渣，酸甜适中，在树上挂到熟透才摘。", "皮薄多汁，剥开满手橙香。"),
    ),
    "citrus": Produce(
        ("椪柑", "沃柑", "砂糖橘", "丑橘", "金桔"),
        "citrus",
        ("无籽", "蜜", "高山"),
        (15, 50),
        BOX,
        ("皮薄好剥，汁多味甜。", "果园向阳，糖度高，化渣无渣。"),
    ),
    "sugar_orange": Produce(("砂糖橘",), "citrus", ("无籽", "小果"), (15, 40), BOX, ("个小皮薄，一口一个。",)),
    "honey_pomelo": Produce(
        ("蜜柚", "柚子"), "citrus", ("红心", "白心", "三红"), (20, 50), BOX, ("果肉晶莹，清甜爽口。",)
    ),
    "kiwi": Produce(
        ("猕猴桃", "猕猴桃", "奇异果"),
        "kiwifruit",
        ("红心", "黄心", "绿心", "徐香"),
        (25, 70),
        BOX,
        ("果肉细嫩，放软以后更甜。", "山地果园种植，自然成熟后采摘。"),
    ),
    "yellow_peach": Produce(
        ("黄桃", "水蜜桃"),
        "peaches-plums",
        ("锦绣", "金秋", "大"),
        (25, 60),
        BOX,
        ("果肉金黄，香甜多汁。", "树上熟透才摘，软硬适中。"),
    ),
    "apple": Produce(
        ("苹果",),
        "apples",
        ("冰糖心", "红富士", "嘎啦", "花牛", "丑"),
        (20, 70),
        BOX,
        ("山地果园种的苹果，脆甜爽口。", "日照充足，果核周围有透明的糖心。"),
    ),
    "pear": Produce(
        ("梨", "酥梨", "雪梨", "香梨"), "apples", ("黄金", "皇冠", "贡"), (20, 50), BOX, ("汁多化渣，清甜解渴。",)
    ),
    "mango": Produce(
        ("芒果", "芒果", "杧果"), "melons", ("台农", "贵妃", "金煌"), (25, 70), BOX, ("树上自然熟，香味浓。",)
    ),
    "melon": Produce(
        ("蜜瓜", "西瓜", "哈密瓜"),
        "melons",
        ("沙地", "麒麟", "网纹"),
        (20, 50),
        (("2个装", "3", "1"), ("4个装", "6", "1.8")),
        ("黄河故道沙土地里长的瓜，瓤厚汁甜。",),
    ),
    "shiitake": Produce(
        ("香菇", "香菇", "花菇", "冬菇"),
        "mushrooms",
        ("椴木", "干", "厚肉"),
        (25, 90),
        BAG,
        ("椴木上长的香菇，肉厚味香，晒干以后香味更浓。", "自然晾晒，泡发后炖汤最鲜。"),
    ),
    "wood_ear": Produce(
        ("木耳", "黑木耳", "黑木耳", "小木耳"),
        "mushrooms",
        ("秦岭", "椴木", "东北", "碗耳"),
        (25, 90),
        BAG,
        ("朵小肉厚，泡发率高。", "秋木耳，口感脆嫩，凉拌清炒都好。"),
    ),
    "bamboo": Produce(
        ("笋干", "笋干", "冬笋", "春笋"),
        "bamboo-shoots",
        ("手剥", "高山", "烟熏"),
        (20, 70),
        BAG,
        ("春笋切片晒干，炖肉最香。", "山里挖的竹笋，鲜嫩无渣。"),
    ),
    "vegetables": Produce(
        ("富硒蔬菜礼盒", "西红柿", "番茄", "辣椒", "茄子", "黄瓜"),
        "fresh-vegetables",
        ("当季", "大棚", "露天"),
        (10, 40),
        BOX[:2],
        ("当天采摘的时令蔬菜，按季节搭配。", "不打农药，虫眼是天然的证明。"),
    ),
    "rice": Produce(
        ("大米", "大米", "梯田米", "香米", "糯米", "富硒米"),
        "rice",
        ("长粒", "五常", "红", "高山", "新"),
        (29, 99),
        GRAIN,
        ("山泉水灌溉的梯田稻米，一年一季。", "煮饭清香，软糯有嚼劲。"),
    ),
    "millet": Produce(
        ("小米", "小米", "黄小米"),
        "coarse-grains",
        ("沁州黄", "金", "新"),
        (19, 60),
        GRAIN,
        ("黄土高原上的小米，熬粥有一层米油。", "颗粒饱满，色泽金黄。"),
    ),
    "buckwheat": Produce(
        ("苦荞", "苦荞米", "荞麦", "苦荞茶"),
        "coarse-grains",
        ("黑", "全胚", "高原"),
        (19, 60),
        GRAIN,
        ("大凉山高海拔种的苦荞，可以煮饭，也可以泡茶。",),
    ),
    "oats": Produce(
        ("莜面", "燕麦", "燕麦米"),
        "coarse-grains",
        ("裸", "坝上"),
        (19, 50),
        GRAIN,
        ("坝上莜麦磨的面，做莜面窝窝最地道。",),
    ),
    "soybean": Produce(
        ("大豆", "黄豆", "黑豆"), "coarse-grains", ("非转基因", "东北"), (15, 40), GRAIN, ("颗粒饱满，打豆浆香浓。",)
    ),
    "peanut": Produce(
        ("花生", "花生", "红皮花生"), "nuts-dates", ("小粒", "四粒红"), (15, 45), BAG, ("沙土地花生，颗粒饱满。",)
    ),
    "camellia_oil": Produce(
        ("山茶油", "茶油", "茶籽油"),
        "cooking-oil",
        ("压榨", "冷榨", "野"),
        (49, 180),
        OIL,
        ("山茶籽压榨的纯茶油，不掺别的油。",),
    ),
    "green_tea": Produce(
        ("绿茶", "毛尖", "云雾茶", "六安瓜片", "银球茶", "高山茶"),
        "green-tea",
        ("明前", "雨前", "有机", "高山"),
        (39, 299),
        TEA,
        ("高山茶园春天采的嫩芽，炒制清香。", "汤色清绿，清香回甘。"),
    ),
    "black_tea": Produce(
        ("红茶", "红茶", "滇红", "黑茶", "普洱茶"),
        "black-tea",
        ("古树", "金芽", "手工", "野生"),
        (39, 399),
        TEA,
        ("手工揉捻发酵，汤色红亮。", "古树茶园采的茶叶，蜜香浓郁。"),
    ),
    "herbs": Produce(
        ("党参", "当归", "黄芪", "天麻", "黄连"),
        "medicinal-herbs",
        ("野生", "切片", "整支", "道地"),
        (29, 260),
        BAG,
        ("道地药材，晾晒干燥，煲汤常用。", "根条粗壮，气味浓郁。"),
    ),
    "tianma": Produce(
        ("天麻",), "medicinal-herbs", ("乌", "冬", "鲜"), (49, 380), BAG, ("小草坝出的天麻，个大肉厚。",)
    ),
    "goji": Produce(
        ("枸杞", "枸杞", "枸杞子", "黑枸杞"),
        "medicinal-herbs",
        ("头茬", "特级"),
        (29, 120),
        BAG,
        ("颗粒大，肉厚籽少。",),
    ),
    "pepper": Produce(
        ("花椒", "花椒", "大红袍花椒", "青花椒", "干辣椒"),
        "spices",
        ("大红袍", "清溪", "特麻"),
        (19, 90),
        BAG,
        ("高原上晒干的花椒，麻味足、香气浓。",),
    ),
    "cardamom": Produce(
        ("草果", "草果", "八角"), "spices", ("林下", "独龙江"), (19, 60), BAG, ("林下种的草果，炖肉去腥增香。",)
    ),
    "jujube": Produce(
        ("红枣", "红枣", "大枣", "灰枣", "滩枣"),
        "nuts-dates",
        ("骏枣", "狗头枣", "太行"),
        (19, 70),
        BAG,
        ("个大肉厚，甜而不腻。", "黄河滩上自然晾干，皮薄核小。"),
    ),
    "walnut": Produce(
        ("核桃", "核桃", "薄皮核桃", "核桃仁"),
        "nuts-dates",
        ("纸皮", "老树", "山"),
        (25, 90),
        BAG,
        ("老核桃树结的核桃，皮薄仁香。", "手一捏就开，仁白饱满。"),
    ),
    "chestnut": Produce(("板栗", "栗子"), "nuts-dates", ("油", "大别山"), (19, 60), BAG, ("糯甜粉面，糖炒最香。",)),
    "eggs": Produce(
        ("土鸡蛋", "土鸡蛋", "鸡蛋", "柴鸡蛋", "鸭蛋"),
        "eggs",
        ("散养", "林下", "山"),
        (20, 60),
        EGGS,
        ("林下散养的土鸡下的蛋，蛋黄颜色深。", "每天捡蛋，新鲜直发。"),
    ),
    "cured_meat": Produce(
        ("腊肉", "腊肉", "香肠", "腊排骨"),
        "meat",
        ("柴火", "烟熏", "土家", "苗家"),
        (39, 160),
        MEAT,
        ("柴火熏制的腊肉，肥瘦相间。", "按老法子腌制，烟熏四十天。"),
    ),
    "pork": Produce(
        ("香猪肉", "土猪肉", "黑猪肉"), "meat", ("散养", "生态"), (39, 180), MEAT, ("山里散养，肉质细嫩。",)
    ),
    "mutton": Produce(
        ("羊肉", "滩羊肉", "羊排"),
        "meat",
        ("手抓", "散养", "草原"),
        (59, 260),
        MEAT,
        ("山坡上放养的羊，肉嫩不膻。",),
    ),
    "honey": Produce(
        ("土蜂蜜", "土蜂蜜", "蜂蜜", "百花蜜", "槐花蜜", "椴树蜜", "中蜂蜜"),
        "honey",
        ("野生", "中蜂", "深山", "成熟"),
        (39, 220),
        JAR,
        ("中华蜜蜂采的百花蜜，一年只取一次。", "成熟蜜，浓度高，冬天会结晶。"),
    ),
    "embroidery": Produce(
        ("苗绣挂件", "苗绣香包", "蜡染围巾"),
        "handicrafts",
        ("手工", "传统"),
        (79, 399),
        PIECE,
        ("苗族绣娘一针一线手工绣成。",),
    ),
    "silver": Produce(
        ("苗银手镯", "银项圈"), "handicrafts", ("手工", "控拜"), (129, 460), PIECE, ("银匠手工锻打，纹样传了几代人。",)
    ),
}

GENERIC = (
    "海拔一千多米，昼夜温差大，糖分积累足。",
    "不打膨大剂，不上蜡，自然成熟。",
    "当天采摘当天发货，冷链直达。",
    "收到后如有破损，拍照联系客服包赔。",
    "村里的合作社统一分拣，大小均匀。",
    "自家种植，每一单都在帮乡亲们增收。",
    "适合家庭日常食用，也适合送礼。",
    "请放在阴凉通风处保存，尽快食用。",
    "山泉水灌溉，远离工厂和城市污染。",
    "坚持传统方法，只施农家肥。",
    "产量有限，卖完即止。",
    "包装用加厚纸箱和防震泡沫。",
    "驻村干部帮着把关，品质有保障。",
    "每年只收一季，口感最好的时候才上架。",
    "经过检测合格，放心食用。",
    "偏远地区运费另计，下单前请咨询。",
)

FEN = Decimal("0.01")


def _plan_places(rng: random.Random, villages: int):
    """(province rows, county rows, village rows) with every county getting villages in turn."""
    from pypinyin import lazy_pinyin

    def roman(name: str) -> str:
        return "".join(lazy_pinyin(name)).title()

    county_rows = []
    for index, (province, name, label, known_for) in enumerate(COUNTIES):
        kind = {"县": "County", "市": "City", "区": "District"}[name[-1]]
        county_rows.append((province, name, f"{roman(name[:-1])} {kind}", f"c{index}", label, known_for))
    seen: set[tuple[int, str]] = set()
    village_rows = []
    while len(village_rows) < villages:
        county = len(village_rows) % len(county_rows)
        name = rng.choice(VILLAGE_STEMS) + rng.choice(VILLAGE_SUFFIXES)
        if (county, name) in seen:
            continue
        seen.add((county, name))
        village_rows.append((county, name, f"{roman(name[:-1])} Village", f"v{len(village_rows)}"))
    return county_rows, village_rows


def _price(amount: float) -> Decimal:
    """Whole yuan or .9, as shops price."""
    value = Decimal(str(amount)).quantize(Decimal("1"), ROUND_HALF_UP)
    return max(Decimal("5"), value - Decimal("0.1") if value > 10 else value)


def _name(rng: random.Random, produce: Produce, province_label: str, county_label: str) -> str:
    parts = []
    place = rng.random()
    if place < 0.35:
        parts.append(county_label)  # 秭归脐橙, 赣南脐橙
    elif place < 0.55:
        parts.append(province_label)  # 云南……
        if rng.random() < 0.4:
            parts.append(rng.choice(REGION_WORDS))  # 云南高原……
    elif place < 0.65:
        parts.append(rng.choice(REGION_WORDS))
    if rng.random() < 0.2:
        parts.append(rng.choice(FRESHNESS))
    if rng.random() < 0.6:
        parts.append(rng.choice(produce.varieties))  # 黄心, 冰糖心
    parts.append(rng.choice(produce.names))
    if rng.random() < 0.3:
        parts.append(rng.choice(GRADES))
    return "".join(dict.fromkeys(parts))  # a label that is also the variety (赣南) once


def _description(rng: random.Random, produce: Produce, place: str) -> str:
    """40-150 characters: where it comes from, what it is, then how it is grown and sent."""
    target = rng.randint(40, 150)
    sentences = [f"产自{place}。", *rng.sample(produce.blurbs, k=rng.randint(1, len(produce.blurbs)))]
    extra = rng.sample(GENERIC, k=len(GENERIC))
    text = "".join(sentences)
    for sentence in extra:
        if len(text) >= target or len(text) + len(sentence) > 150:
            break
        text += sentence
    return text[:150]


def _variants(rng: random.Random, produce: Produce, out_of_stock: bool) -> list[dict]:
    """1-3 units; bigger units cheaper per kilo; none above ¥500."""
    low, high = produce.price
    base = math.exp(rng.uniform(math.log(low), math.log(high)))
    count = rng.choice((1, 2, 2, 3, 3))
    variants = []
    for position, (unit, kg, multiplier) in enumerate(produce.units[:count], start=1):
        price = _price(min(500.0, base * float(multiplier)))
        if variants and price >= Decimal("500"):
            break
        stock = 0 if out_of_stock or rng.random() < 0.15 else rng.randint(1, 800)
        variants.append({"name": unit, "price": price, "stock": stock, "weight_kg": Decimal(kg), "position": position})
    if not out_of_stock and not any(v["stock"] for v in variants):
        variants[0]["stock"] = rng.randint(1, 800)
    return variants


def seed(products: int, villages: int = 300, seed_value: int = 1) -> dict[str, int]:
    """Write the catalogue into an empty database; returns what was written."""
    from django.db import connection, transaction
    from django.utils import timezone

    from demo import data as demo_data
    from farmers.models import Cooperative, County, Farmer, Province, VerificationState, Village
    from shop.models import Category, Product, Variant

    rng = random.Random(f"shanhuo-bench-search:{seed_value}")
    county_rows, village_rows = _plan_places(rng, villages)
    with transaction.atomic():
        # Bulk inserts throughout: saving one by one would send the search app's signals, and the
        # commit would then reindex every product of each new category and province in-process.
        categories = {}
        for level in (False, True):
            rows = [
                Category(
                    name=item.name,
                    name_en=item.name_en,
                    slug=item.slug,
                    parent=categories[item.parent] if item.parent else None,
                    position=position,
                )
                for position, item in enumerate(demo_data.CATEGORIES)
                if bool(item.parent) == level
            ]
            categories.update({category.slug: category for category in Category.objects.bulk_create(rows)})
        provinces = {
            province.slug: province
            for province in Province.objects.bulk_create(
                [Province(slug=slug, name=name, name_en=name_en) for slug, name, name_en, _label in PROVINCES]
            )
        }
        province_label = {slug: label for slug, _name, _en, label in PROVINCES}
        counties = County.objects.bulk_create(
            [
                County(province=provinces[province], name=name, name_en=name_en, slug=slug)
                for province, name, name_en, slug, _label, _known in county_rows
            ]
        )
        village_objects = Village.objects.bulk_create(
            [
                Village(county=counties[county], name=name, name_en=name_en, slug=slug, households=300)
                for county, name, name_en, slug in village_rows
            ]
        )
        # Each village grows two of what its county is known for and one thing more.
        everything = sorted(PRODUCE)
        grows = {}
        for village, (county, *_rest) in zip(village_objects, village_rows, strict=True):
            known = county_rows[county][5]
            grows[village.pk] = [*rng.sample(known, 2), rng.choice(everything)]

        # One cooperative a county (one of them suspended), selling about 5% of the goods.
        cooperatives = Cooperative.objects.bulk_create(
            [
                Cooperative(
                    name=f"{counties[index].name}{county_rows[index][4]}农产品专业合作社",
                    slug=f"coop{index}",
                    village=village_objects[index],  # villages were dealt to counties in turn
                    verification_state=VerificationState.SUSPENDED if index == 7 else VerificationState.VERIFIED,
                )
                for index in range(len(counties))
            ]
        )
        # About 20 products a farmer; 2% suspended, 1% not yet verified.
        farmer_count = max(len(village_objects), products // 20)
        states = [VerificationState.VERIFIED] * farmer_count
        for index in rng.sample(range(farmer_count), k=farmer_count * 3 // 100):
            states[index] = VerificationState.SUSPENDED if rng.random() < 2 / 3 else VerificationState.PENDING
        farmers = Farmer.objects.bulk_create(
            [
                Farmer(
                    name=rng.choice(demo_data.SURNAMES) + rng.choice(demo_data.GIVEN_NAMES),
                    phone=f"13{rng.randint(0, 999_999_999):09d}",
                    village=village_objects[index % len(village_objects)],
                    verification_state=states[index],
                )
                for index in range(farmer_count)
            ],
            batch_size=2000,
        )
        village_places = {}
        for village in village_objects:
            county = village.county
            province_slug = county_rows[counties.index(county)][0]
            village_places[village.pk] = (
                provinces[province_slug].name + county.name + village.name,
                province_label[province_slug],
                county_rows[counties.index(county)][4],
            )

        product_rows, variant_rows = [], []
        for index in range(products):
            if rng.random() < 0.05:
                seller = rng.choice(cooperatives)
                farmer, cooperative = None, seller
            else:
                seller = rng.choice(farmers)
                farmer, cooperative = seller, None
            village = seller.village
            produce = PRODUCE[rng.choice(grows[village.pk])]
            place, province_label_text, county_label = village_places[village.pk]
            variants = _variants(rng, produce, out_of_stock=rng.random() < 0.10)
            product_rows.append(
                Product(
                    name=_name(rng, produce, province_label_text, county_label),
                    slug=f"bench-{index + 1}",
                    category=categories[produce.category],
                    farmer=farmer,
                    cooperative=cooperative,
                    village=village,
                    description=_description(rng, produce, place),
                    is_published=rng.random() >= 0.02,
                    min_price=min(v["price"] for v in variants),
                    in_stock=any(v["stock"] > 0 for v in variants),
                )
            )
            variant_rows.append(variants)
        written = Product.objects.bulk_create(product_rows, batch_size=2000)
        Variant.objects.bulk_create(
            [Variant(product=product, **v) for product, vs in zip(written, variant_rows, strict=True) for v in vs],
            batch_size=5000,
        )
        # Creation times spread over about a year, newest last (bulk_create stamps them all "now").
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE shop_product SET created_at = %s - (SELECT max(id) FROM shop_product) * interval '5 minutes'"
                " + id * interval '5 minutes', updated_at = %s",
                [timezone.now(), timezone.now()],
            )
    return {
        "provinces": len(provinces),
        "counties": len(counties),
        "villages": len(village_objects),
        "farmers": len(farmers),
        "cooperatives": len(cooperatives),
        "products": len(written),
        "variants": sum(len(vs) for vs in variant_rows),
    }


def main():
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--villages", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to the (empty, migrated) PostgreSQL benchmark database")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from shop.models import Product

    if Product.objects.exists():
        sys.exit("The database already holds products: seed an empty one")
    started = time.perf_counter()
    counts = seed(args.products, args.villages, args.seed)
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    print(f"seeded {summary} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
