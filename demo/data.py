"""The fixed material of the demo database (`manage.py seed_demo`): places, categories, goods, names.

The provinces, counties and villages are real places in former national poverty counties (all of
them left the list between 2017 and 2020), chosen so that each village's goods are what the place
is known for: navel oranges from Anyuan, kiwifruit from Shibadong, wood ear from Jinmi. The
household figures, incomes and stories are illustrative values in a plausible range, not official
statistics, and the cooperatives, NGOs and people are invented.

Kept apart from `demo.seed` so that the data can be read (and corrected) without reading code.
"""

from dataclasses import dataclass
from decimal import Decimal

POVERTY_LINE = Decimal("4000.00")  # CNY per person per year: the national line of 2020.


@dataclass(frozen=True)
class ProvinceData:
    slug: str
    name: str
    name_en: str
    id_code: str  # the first two digits of a resident ID number issued there


@dataclass(frozen=True)
class CountyData:
    slug: str
    province: str
    name: str
    name_en: str
    short: str  # how the county is named on a label: 安远脐橙


@dataclass(frozen=True)
class VillageData:
    slug: str
    county: str
    name: str
    name_en: str
    households: int
    poor_households: int
    baseline_income: str
    specialties: tuple[str, ...]  # keys of PRODUCTS
    story: str


@dataclass(frozen=True)
class CategoryData:
    slug: str
    name: str
    name_en: str
    parent: str | None = None
    colour: tuple[int, int, int] | None = None  # top categories only: the colour of the demo photos


@dataclass(frozen=True)
class Unit:
    name: str
    weight_kg: str
    multiplier: str  # price relative to the first unit: bigger boxes cost less per kilo


@dataclass(frozen=True)
class Packaging:
    units: tuple[Unit, ...]
    first_price: tuple[int, int]  # whole yuan, lowest and highest, of the first unit


@dataclass(frozen=True)
class ProductTemplate:
    name: str
    category: str
    packaging: str
    blurb: str
    qualifiers: tuple[str, ...] = ()
    seasonal: bool = True  # has a harvest date


@dataclass(frozen=True)
class CooperativeData:
    slug: str
    village: str
    name: str
    specialties: tuple[str, ...]
    story: str


@dataclass(frozen=True)
class NGOData:
    slug: str
    name: str
    website: str
    counties: tuple[str, ...]


PROVINCES = (
    ProvinceData("jiangxi", "江西省", "Jiangxi", "36"),
    ProvinceData("hunan", "湖南省", "Hunan", "43"),
    ProvinceData("guizhou", "贵州省", "Guizhou", "52"),
    ProvinceData("yunnan", "云南省", "Yunnan", "53"),
    ProvinceData("gansu", "甘肃省", "Gansu", "62"),
    ProvinceData("sichuan", "四川省", "Sichuan", "51"),
    ProvinceData("hebei", "河北省", "Hebei", "13"),
    ProvinceData("shaanxi", "陕西省", "Shaanxi", "61"),
    ProvinceData("chongqing", "重庆市", "Chongqing", "50"),
    ProvinceData("anhui", "安徽省", "Anhui", "34"),
    ProvinceData("henan", "河南省", "Henan", "41"),
    ProvinceData("shanxi", "山西省", "Shanxi", "14"),
)

COUNTIES = (
    CountyData("anyuan", "jiangxi", "安远县", "Anyuan County", "安远"),
    CountyData("yudu", "jiangxi", "于都县", "Yudu County", "于都"),
    CountyData("jinggangshan", "jiangxi", "井冈山市", "Jinggangshan City", "井冈山"),
    CountyData("huayuan", "hunan", "花垣县", "Huayuan County", "花垣"),
    CountyData("leishan", "guizhou", "雷山县", "Leishan County", "雷山"),
    CountyData("congjiang", "guizhou", "从江县", "Congjiang County", "从江"),
    CountyData("fugong", "yunnan", "福贡县", "Fugong County", "福贡"),
    CountyData("gongshan", "yunnan", "贡山独龙族怒族自治县", "Gongshan Derung and Nu Autonomous County", "贡山"),
    CountyData("weiyuan", "gansu", "渭源县", "Weiyuan County", "渭源"),
    CountyData("dongxiang", "gansu", "东乡族自治县", "Dongxiang Autonomous County", "东乡"),
    CountyData("zhaojue", "sichuan", "昭觉县", "Zhaojue County", "昭觉"),
    CountyData("fuping", "hebei", "阜平县", "Fuping County", "阜平"),
    CountyData("zhangbei", "hebei", "张北县", "Zhangbei County", "张北"),
    CountyData("zhashui", "shaanxi", "柞水县", "Zhashui County", "柞水"),
    CountyData("shizhu", "chongqing", "石柱土家族自治县", "Shizhu Tujia Autonomous County", "石柱"),
    CountyData("jinzhai", "anhui", "金寨县", "Jinzhai County", "金寨"),
    CountyData("lankao", "henan", "兰考县", "Lankao County", "兰考"),
    CountyData("kelan", "shanxi", "岢岚县", "Kelan County", "岢岚"),
)

VILLAGES = (
    VillageData(
        "anyuan-laowei",
        "anyuan",
        "老围村",
        "Laowei Village",
        386,
        97,
        "2350",
        ("navel_orange", "camellia_oil", "eggs"),
        "村里的客家围屋东生围已有一百多年历史。围屋四周的山坡上种满脐橙，每年十一月开始采摘。",
    ),
    VillageData(
        "yudu-tantou",
        "yudu",
        "潭头村",
        "Tantou Village",
        612,
        148,
        "2620",
        ("seasonal_vegetables", "camellia_oil", "eggs"),
        "潭头村在于都河畔，村民在蔬菜大棚里种富硒蔬菜，也在家门口的合作社务工。",
    ),
    VillageData(
        "jinggangshan-shenshan",
        "jinggangshan",
        "神山村",
        "Shenshan Village",
        54,
        21,
        "2180",
        ("yellow_peach", "bamboo_shoots", "green_tea"),
        "井冈山深处的小山村，家家户户种黄桃、做竹制品。井冈山于2017年在全国率先脱贫摘帽。",
    ),
    VillageData(
        "huayuan-shibadong",
        "huayuan",
        "十八洞村",
        "Shibadong Village",
        225,
        136,
        "1668",
        ("kiwi", "cured_meat", "miao_embroidery"),
        "2013年，“精准扶贫”在这里首次提出。村里发展猕猴桃、苗绣和乡村旅游，如今已脱贫出列。",
    ),
    VillageData(
        "leishan-kongbai",
        "leishan",
        "控拜村",
        "Kongbai Village",
        310,
        124,
        "1980",
        ("silver_bracelet", "yinqiu_tea", "terrace_rice"),
        "苗族银匠村，几乎家家有人会打银饰。山上也种茶，雷山银球茶远近有名。",
    ),
    VillageData(
        "leishan-shanglangde",
        "leishan",
        "上郎德村",
        "Shanglangde Village",
        268,
        96,
        "2240",
        ("yinqiu_tea", "black_tea", "terrace_rice", "cured_meat"),
        "保存完好的苗族古寨，吊脚楼依山而建。村民采茶、种稻，也接待远方的客人。",
    ),
    VillageData(
        "congjiang-zhanli",
        "congjiang",
        "占里村",
        "Zhanli Village",
        182,
        71,
        "1890",
        ("xiang_pork", "glutinous_rice", "ponkan"),
        "侗族村寨，几百年来守着人口与土地相当的村规。村民种香禾糯、养从江香猪。",
    ),
    VillageData(
        "congjiang-basha",
        "congjiang",
        "岜沙村",
        "Basha Village",
        498,
        211,
        "1720",
        ("xiang_pork", "glutinous_rice", "ponkan"),
        "苗族古村，男子至今留着独特的发髻。山林茂密，村民养香猪、种椪柑。",
    ),
    VillageData(
        "congjiang-xiaohuang",
        "congjiang",
        "小黄村",
        "Xiaohuang Village",
        746,
        263,
        "1930",
        ("glutinous_rice", "eggs", "ponkan"),
        "侗族大歌之乡，村里老老少少都会唱歌。梯田里种的香禾糯软糯清香。",
    ),
    VillageData(
        "fugong-laomudeng",
        "fugong",
        "老姆登村",
        "Laomudeng Village",
        232,
        118,
        "1560",
        ("laomudeng_tea", "walnuts", "black_cardamom"),
        "怒族村寨，坐落在怒江峡谷东岸的半山腰。茶园终年云雾缭绕，对岸就是高黎贡山。",
    ),
    VillageData(
        "fugong-zhiziluo",
        "fugong",
        "知子罗村",
        "Zhiziluo Village",
        205,
        102,
        "1490",
        ("black_cardamom", "honey", "walnuts"),
        "这里曾是碧江县城旧址，被人们称作“记忆之城”。村民种草果、养中蜂。",
    ),
    VillageData(
        "gongshan-kongdang",
        "gongshan",
        "孔当村",
        "Kongdang Village",
        271,
        163,
        "1380",
        ("black_cardamom", "dulong_honey", "eggs"),
        "独龙江乡政府所在地。2014年独龙江公路隧道贯通，冬天大雪封山不再断了出山的路。",
    ),
    VillageData(
        "gongshan-bapo",
        "gongshan",
        "巴坡村",
        "Bapo Village",
        168,
        109,
        "1320",
        ("black_cardamom", "dulong_honey"),
        "独龙江畔的村子，林下种满草果。2018年底，独龙族实现整族脱贫。",
    ),
    VillageData(
        "gongshan-dizhengdang",
        "gongshan",
        "迪政当村",
        "Dizhengdang Village",
        131,
        88,
        "1290",
        ("dulong_honey", "black_cardamom"),
        "独龙江上游的村子，村民养中蜂、种草果，日子一年比一年好。",
    ),
    VillageData(
        "weiyuan-yuangudui",
        "weiyuan",
        "元古堆村",
        "Yuangudui Village",
        447,
        221,
        "1465",
        ("codonopsis", "angelica", "potatoes"),
        "渭河源头的山村，过去一半人家是贫困户。如今种党参、当归和马铃薯，路通了，房子也新了。",
    ),
    VillageData(
        "dongxiang-bulenggou",
        "dongxiang",
        "布楞沟村",
        "Bulenggou Village",
        163,
        112,
        "1250",
        ("mutton", "potatoes"),
        "东乡族村庄，过去吃水要到沟里去挑，如今自来水通到了家。村民养羊、种土豆。",
    ),
    VillageData(
        "zhaojue-atuleer",
        "zhaojue",
        "阿土列尔村",
        "Atuleer Village",
        172,
        84,
        "1540",
        ("tartary_buckwheat", "sichuan_pepper", "honey"),
        "因村民攀藤梯出入而被称作“悬崖村”。2016年修起钢梯，2020年大多数村民搬进了县城的新家。",
    ),
    VillageData(
        "zhaojue-sanhe",
        "zhaojue",
        "三河村",
        "Sanhe Village",
        270,
        152,
        "1610",
        ("potatoes", "tartary_buckwheat", "sichuan_pepper"),
        "大凉山里的彝族村寨，村民种马铃薯、苦荞，也养牛羊。",
    ),
    VillageData(
        "zhaojue-huopu",
        "zhaojue",
        "火普村",
        "Huopu Village",
        232,
        97,
        "1700",
        ("potatoes", "tartary_buckwheat", "eggs"),
        "高寒山区的彝族村，种马铃薯、苦荞，村里的养殖小区养着鸡和羊。",
    ),
    VillageData(
        "fuping-luotuowan",
        "fuping",
        "骆驼湾村",
        "Luotuowan Village",
        270,
        197,
        "950",
        ("shiitake", "jujube"),
        "太行山深处的小村，过去靠种玉米为生，如今建起了香菇大棚，也办起了民宿。",
    ),
    VillageData(
        "fuping-gujiatai",
        "fuping",
        "顾家台村",
        "Gujiatai Village",
        150,
        104,
        "980",
        ("shiitake", "apples", "jujube"),
        "离骆驼湾村不远的山村，村民在大棚里种香菇，在山坡上种苹果和大枣。",
    ),
    VillageData(
        "zhangbei-desheng",
        "zhangbei",
        "德胜村",
        "Desheng Village",
        378,
        166,
        "2070",
        ("potatoes", "oat_flour", "eggs"),
        "坝上的村子，冬长夏短，以马铃薯种薯闻名，许多人家的屋顶装上了光伏板。",
    ),
    VillageData(
        "zhashui-jinmi",
        "zhashui",
        "金米村",
        "Jinmi Village",
        411,
        191,
        "2280",
        ("wood_ear", "walnuts", "honey"),
        "秦岭南麓的小村，“小木耳，大产业”：家家户户种木耳，村里还建了木耳博物馆。",
    ),
    VillageData(
        "shizhu-huaxi",
        "shizhu",
        "华溪村",
        "Huaxi Village",
        405,
        85,
        "2430",
        ("honey", "coptis", "chili"),
        "土家族山村，山里家家养中华蜜蜂。石柱是远近闻名的黄连之乡。",
    ),
    VillageData(
        "jinzhai-dawan",
        "jinzhai",
        "大湾村",
        "Dawan Village",
        1018,
        244,
        "2560",
        ("guapian_tea", "kiwi", "camellia_oil"),
        "大别山深处的老区村，山坡上一层层都是茶园，六安瓜片是这里的招牌。",
    ),
    VillageData(
        "lankao-zhangzhuang",
        "lankao",
        "张庄村",
        "Zhangzhuang Village",
        765,
        205,
        "2710",
        ("melon", "sweet_potatoes", "eggs"),
        "黄河故道边的村子，过去风沙大、土地盐碱，如今种蜜瓜、红薯，还办起了民宿。",
    ),
    VillageData(
        "kelan-songjiagou",
        "kelan",
        "宋家沟村",
        "Songjiagou Village",
        486,
        178,
        "2120",
        ("kidney_beans", "millet", "mutton"),
        "晋西北黄土高原上的村子，周边山村的人家搬到这里安了新家。岢岚红芸豆颗粒饱满。",
    ),
)

CATEGORIES = (
    CategoryData("fruit", "水果", "Fruit", colour=(236, 140, 40)),
    CategoryData("citrus", "柑橘", "Citrus", "fruit"),
    CategoryData("kiwifruit", "猕猴桃", "Kiwifruit", "fruit"),
    CategoryData("peaches-plums", "桃李", "Peaches and plums", "fruit"),
    CategoryData("apples", "苹果", "Apples", "fruit"),
    CategoryData("melons", "瓜果", "Melons", "fruit"),
    CategoryData("vegetables", "蔬菜", "Vegetables", colour=(86, 160, 72)),
    CategoryData("mushrooms", "菌菇", "Mushrooms and fungi", "vegetables"),
    CategoryData("tubers", "薯类", "Potatoes and tubers", "vegetables"),
    CategoryData("fresh-vegetables", "时令鲜蔬", "Seasonal vegetables", "vegetables"),
    CategoryData("bamboo-shoots", "竹笋", "Bamboo shoots", "vegetables"),
    CategoryData("grain-oil", "粮油", "Grain and oil", colour=(214, 178, 88)),
    CategoryData("rice", "大米", "Rice", "grain-oil"),
    CategoryData("coarse-grains", "杂粮", "Coarse grains", "grain-oil"),
    CategoryData("cooking-oil", "食用油", "Cooking oil", "grain-oil"),
    CategoryData("tea", "茶叶", "Tea", colour=(58, 118, 74)),
    CategoryData("green-tea", "绿茶", "Green tea", "tea"),
    CategoryData("black-tea", "红茶", "Black tea", "tea"),
    CategoryData("dried-goods-herbs", "干货药材", "Dried goods and herbs", colour=(150, 98, 58)),
    CategoryData("medicinal-herbs", "药材", "Medicinal herbs", "dried-goods-herbs"),
    CategoryData("spices", "香料", "Spices", "dried-goods-herbs"),
    CategoryData("nuts-dates", "坚果红枣", "Nuts and dates", "dried-goods-herbs"),
    CategoryData("meat-eggs", "禽蛋肉", "Meat and eggs", colour=(186, 76, 66)),
    CategoryData("eggs", "禽蛋", "Eggs", "meat-eggs"),
    CategoryData("meat", "肉类", "Meat", "meat-eggs"),
    CategoryData("specialties", "土特产", "Local specialties", colour=(204, 160, 36)),
    CategoryData("honey", "蜂蜜", "Honey", "specialties"),
    CategoryData("handicrafts", "手工艺", "Handicrafts", "specialties"),
)


def _units(*units: tuple[str, str, str]) -> tuple[Unit, ...]:
    return tuple(Unit(*unit) for unit in units)


PACKAGING = {
    "fruit_box": Packaging(_units(("5斤装", "2.5", "1"), ("10斤装", "5", "1.8"), ("20斤装", "10", "3.4")), (29, 59)),
    "melon_box": Packaging(_units(("2个装", "3", "1"), ("4个装", "6", "1.8")), (29, 49)),
    "veg_box": Packaging(_units(("5斤装", "2.5", "1"), ("10斤装", "5", "1.8")), (19, 39)),
    "dried": Packaging(
        _units(("250克袋装", "0.25", "1"), ("500克袋装", "0.5", "1.85"), ("1千克装", "1", "3.5")), (19, 49)
    ),
    "grain": Packaging(
        _units(("2.5千克袋装", "2.5", "1"), ("5千克袋装", "5", "1.85"), ("10千克袋装", "10", "3.5")), (29, 59)
    ),
    "oil": Packaging(
        _units(("500毫升瓶装", "0.46", "1"), ("1升瓶装", "0.92", "1.9"), ("5升桶装", "4.6", "8.5")), (39, 69)
    ),
    "tea": Packaging(
        _units(("50克罐装", "0.05", "1"), ("100克罐装", "0.1", "1.9"), ("250克礼盒", "0.25", "4.2")), (39, 99)
    ),
    "jar": Packaging(_units(("500克瓶装", "0.5", "1"), ("1千克瓶装", "1", "1.85")), (49, 89)),
    "eggs": Packaging(_units(("15枚装", "0.8", "1"), ("30枚装", "1.6", "1.9"), ("60枚装", "3.2", "3.6")), (25, 39)),
    "meat": Packaging(
        _units(("500克真空装", "0.5", "1"), ("1千克真空装", "1", "1.9"), ("2.5千克礼盒", "2.5", "4.5")), (39, 79)
    ),
    "craft": Packaging(_units(("单件", "0.2", "1")), (99, 399)),
}

FRESH = ("新鲜现摘", "果园直发", "精选", "农家")
DRIED = ("农家", "山里", "精选", "头茬")

PRODUCTS = {
    "navel_orange": ProductTemplate(
        "脐橙", "citrus", "fruit_box", "果肉脆嫩化渣，酸甜适中，在树上挂到熟透才摘。", (*FRESH, "赣南")
    ),
    "ponkan": ProductTemplate("椪柑", "citrus", "fruit_box", "皮薄好剥，汁多味甜。", FRESH),
    "kiwi": ProductTemplate("红心猕猴桃", "kiwifruit", "fruit_box", "果肉细嫩，放软以后更甜。", FRESH),
    "yellow_peach": ProductTemplate("黄桃", "peaches-plums", "fruit_box", "果肉金黄，香甜多汁。", FRESH),
    "apples": ProductTemplate("苹果", "apples", "fruit_box", "山地果园种的苹果，脆甜爽口。", (*FRESH, "高山")),
    "melon": ProductTemplate("蜜瓜", "melons", "melon_box", "黄河故道沙土地里长的蜜瓜，瓤厚汁甜。", FRESH),
    "shiitake": ProductTemplate("香菇", "mushrooms", "dried", "大棚里长的香菇，肉厚味香，晒干以后香味更浓。", DRIED),
    "wood_ear": ProductTemplate(
        "木耳", "mushrooms", "dried", "秦岭山里的小木耳，朵小肉厚，泡发率高。", (*DRIED, "秦岭")
    ),
    "potatoes": ProductTemplate(
        "马铃薯", "tubers", "veg_box", "高寒山区种的土豆，蒸着吃又沙又面。", ("高山", "农家", "新挖")
    ),
    "sweet_potatoes": ProductTemplate("红薯", "tubers", "veg_box", "沙土地里长的红薯，烤着吃流糖。", ("农家", "新挖")),
    "seasonal_vegetables": ProductTemplate(
        "富硒蔬菜礼盒", "fresh-vegetables", "veg_box", "当天采摘的时令蔬菜，按季节搭配。", ("当季", "大棚")
    ),
    "bamboo_shoots": ProductTemplate("笋干", "bamboo-shoots", "dried", "春笋切片晒干，炖肉最香。", DRIED),
    "glutinous_rice": ProductTemplate(
        "香禾糯", "rice", "grain", "侗家梯田里的香禾糯，一年只种一季，软糯清香。", ("梯田", "侗家")
    ),
    "terrace_rice": ProductTemplate("梯田米", "rice", "grain", "山泉水灌溉的梯田稻米，一年一季。", ("高山", "苗家")),
    "tartary_buckwheat": ProductTemplate(
        "苦荞米", "coarse-grains", "grain", "大凉山高海拔种的苦荞，可以煮饭，也可以泡茶。", ("大凉山", "彝家")
    ),
    "oat_flour": ProductTemplate("莜面", "coarse-grains", "grain", "坝上莜麦磨的面，做莜面窝窝最地道。", ("坝上",)),
    "millet": ProductTemplate("小米", "coarse-grains", "grain", "黄土高原上的小米，熬粥有一层米油。", ("农家", "新")),
    "kidney_beans": ProductTemplate("红芸豆", "coarse-grains", "grain", "颗粒饱满，煮粥、做豆沙都好。", ("农家",)),
    "camellia_oil": ProductTemplate(
        "山茶油", "cooking-oil", "oil", "山茶籽压榨的纯茶油，不掺别的油。", ("压榨", "农家"), seasonal=False
    ),
    "yinqiu_tea": ProductTemplate(
        "银球茶", "green-tea", "tea", "雷山特产，茶叶揉成小球，很耐冲泡。", ("明前", "雷公山")
    ),
    "laomudeng_tea": ProductTemplate("高山云雾茶", "green-tea", "tea", "怒江峡谷云雾里长的茶，清香回甘。", ("老姆登",)),
    "guapian_tea": ProductTemplate(
        "六安瓜片", "green-tea", "tea", "大别山的名茶，单片成茶，汤色清绿。", ("明前", "谷雨")
    ),
    "green_tea": ProductTemplate("云雾绿茶", "green-tea", "tea", "高山茶园春天采的嫩芽，炒制清香。", ("明前", "高山")),
    "black_tea": ProductTemplate("高山红茶", "black-tea", "tea", "苗岭山上采的茶叶，手工揉捻发酵。", ("手工", "苗岭")),
    "codonopsis": ProductTemplate("白条党参", "medicinal-herbs", "dried", "条长皮细，煲汤常用。", ("渭源", "精选")),
    "angelica": ProductTemplate(
        "当归", "medicinal-herbs", "dried", "甘肃的道地药材，有整支也有切片。", ("精选", "切片")
    ),
    "coptis": ProductTemplate("黄连", "medicinal-herbs", "dried", "石柱是黄连之乡，这里的黄连根茎粗壮。", ("精选",)),
    "black_cardamom": ProductTemplate("草果", "spices", "dried", "林下种的草果，炖肉去腥增香。", ("独龙江", "林下")),
    "sichuan_pepper": ProductTemplate("大红袍花椒", "spices", "dried", "高原上晒干的花椒，麻味足、香气浓。", ("凉山",)),
    "chili": ProductTemplate("干辣椒", "spices", "dried", "晒干的土家辣椒，香辣不燥。", ("土家",)),
    "jujube": ProductTemplate("大枣", "nuts-dates", "dried", "太行山里的大枣，个大肉厚。", ("太行", "农家")),
    "walnuts": ProductTemplate("核桃", "nuts-dates", "dried", "老核桃树结的核桃，皮薄仁香。", ("山里", "薄皮")),
    "eggs": ProductTemplate("土鸡蛋", "eggs", "eggs", "林下散养的土鸡下的蛋，蛋黄颜色深。", ("散养", "农家")),
    "cured_meat": ProductTemplate("腊肉", "meat", "meat", "柴火熏制的腊肉，肥瘦相间。", ("柴火", "苗家", "土家")),
    "xiang_pork": ProductTemplate("香猪肉", "meat", "meat", "从江香猪个头小，肉质细嫩。", ("从江", "散养")),
    "mutton": ProductTemplate("羊肉", "meat", "meat", "山坡上放养的羊，肉嫩不膻。", ("手抓", "散养")),
    "honey": ProductTemplate("土蜂蜜", "honey", "jar", "中华蜜蜂采的百花蜜，一年只取一次。", ("中蜂", "百花")),
    "dulong_honey": ProductTemplate("中蜂蜜", "honey", "jar", "独龙江峡谷里的中蜂采的百花蜜。", ("独龙江",)),
    "miao_embroidery": ProductTemplate(
        "苗绣挂件", "handicrafts", "craft", "苗族绣娘一针一线手工绣成。", ("手工",), seasonal=False
    ),
    "silver_bracelet": ProductTemplate(
        "苗银手镯", "handicrafts", "craft", "银匠手工锻打的苗银手镯。", ("手工", "控拜"), seasonal=False
    ),
}

COOPERATIVES = (
    CooperativeData(
        "anyuan-laowei-orange-coop",
        "anyuan-laowei",
        "安远县老围村脐橙专业合作社",
        ("navel_orange",),
        "二十多户果农一起管果园、统一分拣装箱，坏果包赔。",
    ),
    CooperativeData(
        "huayuan-shibadong-kiwi-coop",
        "huayuan-shibadong",
        "花垣县十八洞村猕猴桃专业合作社",
        ("kiwi", "cured_meat"),
        "村民以土地入股，猕猴桃统一种植、统一销售，年底分红。",
    ),
    CooperativeData(
        "congjiang-zhanli-pig-coop",
        "congjiang-zhanli",
        "从江县占里村香猪养殖专业合作社",
        ("xiang_pork",),
        "社员散养香猪，合作社统一防疫、屠宰和冷链发货。",
    ),
    CooperativeData(
        "gongshan-dulongjiang-cardamom-coop",
        "gongshan-kongdang",
        "贡山县独龙江草果专业合作社",
        ("black_cardamom", "dulong_honey"),
        "合作社收购社员的草果，统一烘干、分级和包装。",
    ),
    CooperativeData(
        "weiyuan-yuangudui-herb-coop",
        "weiyuan-yuangudui",
        "渭源县元古堆村中药材专业合作社",
        ("codonopsis", "angelica"),
        "社员种党参和当归，合作社负责晾晒、切片和检测。",
    ),
    CooperativeData(
        "zhashui-jinmi-wood-ear-coop",
        "zhashui-jinmi",
        "柞水县金米村木耳专业合作社",
        ("wood_ear",),
        "合作社提供菌包和技术，社员在自家大棚里种木耳。",
    ),
    CooperativeData(
        "shizhu-huaxi-honey-coop",
        "shizhu-huaxi",
        "石柱县华溪村中蜂养殖专业合作社",
        ("honey",),
        "社员养中华蜜蜂，合作社统一检测、灌装。",
    ),
)

NGOS = (
    NGOData(
        "mountain-road-foundation",
        "山路公益基金会",
        "https://mountain-road.example.org/",
        ("anyuan", "yudu", "jinggangshan", "huayuan", "jinzhai", "lankao"),
    ),
    NGOData(
        "yunling-rural-development",
        "云岭乡村发展中心",
        "https://yunling.example.org/",
        ("leishan", "congjiang", "fugong", "gongshan", "shizhu"),
    ),
    NGOData(
        "loess-farmers-aid",
        "黄土地助农协会",
        "https://loess-aid.example.org/",
        ("weiyuan", "dongxiang", "zhaojue", "kelan", "zhashui"),
    ),
)

SURNAMES = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "林",
    "罗",
    "高",
    "龙",
    "石",
    "麻",
    "潘",
    "欧",
    "邓",
    "谢",
    "曾",
    "钟",
    "廖",
)
GIVEN_NAMES = (
    "建国",
    "秀英",
    "桂花",
    "德明",
    "玉兰",
    "国强",
    "春梅",
    "志华",
    "金凤",
    "永福",
    "红英",
    "春生",
    "海燕",
    "明亮",
    "翠兰",
    "光荣",
    "桂英",
    "德胜",
    "小芳",
    "学军",
    "秀珍",
    "文华",
    "兰芳",
    "正平",
    "玉珍",
    "长青",
    "丽华",
    "树林",
    "晓燕",
    "家旺",
    "金花",
    "福生",
    "美玲",
    "大山",
    "秋菊",
    "有才",
)

FARMER_STORIES = (
    "家里{size}口人，{crop}是家里主要的收入。",
    "以前在外打工，这几年回到村里，靠{crop}增收，也能照顾老人和孩子。",
    "跟着村里的技术员学习，{crop}的收成一年比一年好。",
    "一家{size}口，农闲时在合作社打零工，自家的{crop}也卖到了城里。",
)

REJECTION_REASONS = ("身份证照片看不清，请重新上传。", "村委会证明材料不完整。", "手机号码与登记信息不一致。")
SUSPENSION_REASONS = ("多位买家反映发货严重延迟，核实期间暂停。", "商品描述与实物不符，整改期间暂停。")


# --- Promotion: sponsors, campaigns and village stories -----------------------------------------


@dataclass(frozen=True)
class SponsorData:
    name: str
    kind: str  # a promotion.models.SponsorKind value
    staff: str  # "operator", "ngo-<n>" (that NGO's demo staff member) or "sponsor-<n>" (a user of its own)


@dataclass(frozen=True)
class CampaignData:
    sponsor: str  # SponsorData.name
    name: str
    promotes: str  # "products" (some goods of the village), "farmer" (one of its farmers) or "village"
    village: str
    bid: str  # CNY per billable click
    daily_cap: str
    total_cap: str


@dataclass(frozen=True)
class StoryData:
    slug: str
    village: str
    title: str
    summary: str
    body: str
    about_farmer: bool = False  # names one of the village's verified farmers (the seed picks which)
    photo_caption: str = ""


SPONSORS = (
    SponsorData("山货头条公益流量", "platform", "operator"),
    SponsorData("山路公益基金会", "ngo", "ngo-1"),
    SponsorData("青禾食品有限公司", "company", "sponsor-1"),
)

# Small bids and caps, as a charity push or a company's first trial would set them. The villages
# are among the poorest of the demo, so the poverty boost has something to do.
CAMPAIGNS = (
    CampaignData("山货头条公益流量", "十八洞猕猴桃上头条", "products", "huayuan-shibadong", "0.30", "30.00", "900.00"),
    CampaignData("山路公益基金会", "金寨大湾村茶农助销", "farmer", "jinzhai-dawan", "0.60", "50.00", "1500.00"),
    CampaignData("青禾食品有限公司", "骆驼湾村香菇大枣", "village", "fuping-luotuowan", "1.20", "80.00", "2400.00"),
    CampaignData("青禾食品有限公司", "独龙江草果和蜂蜜", "village", "gongshan-bapo", "1.50", "60.00", "600.00"),
)

STORIES = (
    StoryData(
        "shibadong-kiwi-harvest",
        "huayuan-shibadong",
        "十八洞的猕猴桃熟了",
        "山上的猕猴桃园迎来第六个丰收季，村民以土地入股，年底分红。",
        "九月，十八洞村的猕猴桃进入采摘期。\n\n果园是村民以土地入股建起来的，合作社统一种植、统一销售。"
        "采摘、分拣、装箱，都在村口的仓库里完成，第二天就能发往全国。",
        photo_caption="村口仓库里分拣猕猴桃",
    ),
    StoryData(
        "laowei-orange-grandma",
        "anyuan-laowei",
        "围屋边的脐橙园",
        "一位果农的十年：从外出打工到回乡种脐橙。",
        "十年前，她在广东的工厂打工，一年回家一次。\n\n后来村里修了路，合作社教技术、统一收购，"
        "她回到围屋边承包了三亩山地。如今果园每年能卖出两千多斤脐橙。",
        about_farmer=True,
        photo_caption="十一月的脐橙园",
    ),
    StoryData(
        "luotuowan-mushroom-sheds",
        "fuping-luotuowan",
        "骆驼湾的香菇大棚",
        "太行山深处，一排排香菇大棚改变了村子。",
        "骆驼湾村地处太行山深处，过去人均年收入不到一千元。\n\n"
        "村里建起香菇大棚后，村民在家门口务工，也能分到大棚的收益。晒干的香菇和大枣，是这里最受欢迎的山货。",
        photo_caption="刚采下的香菇",
    ),
    StoryData(
        "bapo-honey-hunters",
        "gongshan-bapo",
        "独龙江畔养蜂人",
        "在峡谷的崖壁上，蜂箱挂在树上，一年只取一次蜜。",
        "巴坡村在独龙江峡谷里，大雪封山的日子，一年有半年。\n\n"
        "村民把蜂箱挂在向阳的树上，中华蜜蜂采百花，秋天取一次蜜。草果林下的土地，也让家家户户多了一份收入。",
        about_farmer=True,
        photo_caption="挂在树上的蜂箱",
    ),
    StoryData(
        "yuangudui-herb-drying",
        "weiyuan-yuangudui",
        "元古堆的党参晒场",
        "秋天的晒场上，党参和当归铺满了院子。",
        "元古堆村海拔两千多米，适合种党参和当归。\n\n"
        "合作社负责晾晒、切片和检测，社员按斤交货、按质论价。一户人家种五亩药材，一年能多收入一万多元。",
        photo_caption="晾晒中的白条党参",
    ),
    StoryData(
        "dawan-tea-morning",
        "jinzhai-dawan",
        "大湾村的清明茶",
        "清明前后，山上的茶园天不亮就有人采茶。",
        "大湾村在大别山腹地，六安瓜片是这里的老手艺。\n\n"
        "清明前后，茶农天不亮就上山，采下的鲜叶当天炒制。村里的年轻人回来开了网店，把茶卖到了城里。",
        about_farmer=True,
        photo_caption="清晨的茶园",
    ),
    StoryData(
        "jinmi-wood-ear",
        "zhashui-jinmi",
        "一朵木耳的旅程",
        "从菌包到餐桌，金米村的木耳要走四十天。",
        "金米村的木耳大棚里，菌包一排排挂起。\n\n"
        "合作社提供菌包和技术，社员在自家大棚里管护，四十天左右就能采收。晒干、分拣、装袋，再从村里发往各地。",
        photo_caption="大棚里挂起的菌包",
    ),
)


# Couriers for the demo: (name, price per kg above the heaviest bracket, [(up to kg, price)]).
SHIPPING_METHODS = (
    ("标准快递", "2.00", (("1", "8.00"), ("3", "12.00"), ("5", "15.00"), ("10", "22.00"))),
    ("顺丰速运", "4.00", (("1", "16.00"), ("3", "22.00"), ("5", "28.00"), ("10", "40.00"))),
)


# --- A year of orders (demo.year) ----------------------------------------------------------------

# Where the demo's shoppers live: (province, city, district, street), cities that buy mountain goods.
SHOPPER_ADDRESSES = (
    ("广东省", "广州市", "天河区", "天河路 100 号"),
    ("广东省", "深圳市", "南山区", "科技园南路 8 号"),
    ("上海市", "上海市", "浦东新区", "世纪大道 200 号"),
    ("北京市", "北京市", "海淀区", "中关村大街 27 号"),
    ("浙江省", "杭州市", "西湖区", "文三路 90 号"),
    ("江苏省", "南京市", "鼓楼区", "中山北路 30 号"),
    ("四川省", "成都市", "武侯区", "人民南路四段 12 号"),
    ("湖北省", "武汉市", "洪山区", "珞喻路 150 号"),
    ("天津市", "天津市", "南开区", "卫津路 94 号"),
    ("福建省", "厦门市", "思明区", "厦禾路 66 号"),
)

# Months in which a category's goods are fresh (sold most then); categories not named sell all year.
SEASONS = {
    "citrus": (11, 12, 1, 2, 3),
    "kiwifruit": (9, 10, 11, 12),
    "peaches-plums": (6, 7, 8),
    "apples": (9, 10, 11, 12, 1),
    "melons": (6, 7, 8, 9),
    "bamboo-shoots": (3, 4, 5),
    "green-tea": (3, 4, 5, 6),
    "fresh-vegetables": (5, 6, 7, 8, 9, 10),
}

CARRIERS = ("中通快递", "顺丰速运", "邮政 EMS", "圆通速递")
REFUND_REASONS = ("收到时压坏了，买家拍了照片。", "买家拍错了规格。", "快递途中丢件。")
PAYOUT_BANKS = ("农行", "邮储银行", "农商银行", "信用社")
PAYOUT_FAILURE = "收款账户户名与农户姓名不一致，银行退回。"
