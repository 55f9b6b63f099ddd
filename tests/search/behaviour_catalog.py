"""The catalog the search behaviour suite runs against: a small shop of real-looking goods, written
through the shop's own services, and a plain description of it (`ITEMS`) from which the tests
work out what a shopper should find. Expectations come from this description, never from what
an engine returned.

The goods are chosen to trip engines up: synonyms named differently (土豆 / 马铃薯 / 洋芋), words
a naive match would confuse (冰糖心 against 冰糖橙 … 贴心, 山药 against 山药蛋, 蜜橘 against 蜂蜜),
a word only in a description, prices on bucket edges, out-of-stock goods, two goods of the same
name, and hidden goods (a draft, a suspended seller's, a pending seller's, one without a price)
named so that they would match the commonest queries if they ever leaked.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from core.models import User
from farmers.models import Cooperative, County, Farmer, Province, VerificationState, Village
from farmers.verification import change_verification_state
from search.query import PRICE_RANGES
from shop import catalog as shop_catalog
from shop.models import Category, Product

# key: (name, English name, parent key)
CATEGORIES = {
    "fruit": ("水果", "Fruit", None),
    "citrus": ("柑橘", "Citrus", "fruit"),
    "fresh_fruit": ("鲜果", "Fresh fruit", "fruit"),
    "vegetables": ("蔬菜", "Vegetables", None),
    "tubers": ("薯类", "Tubers", "vegetables"),
    "dried": ("干货", "Dried goods", None),
    "fungi": ("菌菇", "Mushrooms", "dried"),
    "nuts": ("坚果", "Nuts", "dried"),
    "bee": ("蜂产品", "Bee products", "dried"),
    "grain": ("粮油", "Grain and oil", None),
    "coarse_grain": ("杂粮", "Coarse grains", "grain"),
    "rice": ("大米", "Rice", "grain"),
    "tea": ("茶叶", "Tea", None),  # a top category without subcategories: goods sit in it directly
    # English that names goods it does not hold alone: a sweet potato sits in "Potatoes and tubers".
    "potato_tubers": ("薯芋", "Potatoes and tubers", "vegetables"),
}

# key: (name, English name)
PROVINCES = {
    "jiangxi": ("江西省", "Jiangxi"),
    "hunan": ("湖南省", "Hunan"),
    "yunnan": ("云南省", "Yunnan"),
    "gansu": ("甘肃省", "Gansu"),
    "sichuan": ("四川省", "Sichuan"),
    "shaanxi": ("陕西省", "Shaanxi"),
    "guizhou": ("贵州省", "Guizhou"),
}

# key: (province key, name, English name)
COUNTIES = {
    "anyuan": ("jiangxi", "安远县", "Anyuan County"),
    "xunwu": ("jiangxi", "寻乌县", "Xunwu County"),
    "huayuan": ("hunan", "花垣县", "Huayuan County"),
    "mayang": ("hunan", "麻阳苗族自治县", "Mayang Miao Autonomous County"),
    "huize": ("yunnan", "会泽县", "Huize County"),
    "fugong": ("yunnan", "福贡县", "Fugong County"),
    "weiyuan": ("gansu", "渭源县", "Weiyuan County"),
    "zhaojue": ("sichuan", "昭觉县", "Zhaojue County"),
    "yanchuan": ("shaanxi", "延川县", "Yanchuan County"),
    "leishan": ("guizhou", "雷山县", "Leishan County"),
}

# key: (county key, name, English name)
VILLAGES = {
    "laowei": ("anyuan", "老围村", "Laowei Village"),
    "xialiao": ("xunwu", "下廖村", "Xialiao Village"),
    "shibadong": ("huayuan", "十八洞村", "Shibadong Village"),
    "changtan": ("mayang", "长潭村", "Changtan Village"),
    "dahai": ("huize", "大海村", "Dahai Village"),
    "zhiziluo": ("fugong", "知子罗村", "Zhiziluo Village"),
    "yuangudui": ("weiyuan", "元古堆村", "Yuangudui Village"),
    "sanhe": ("zhaojue", "三河村", "Sanhe Village"),
    "liangjiahe": ("yanchuan", "梁家河村", "Liangjiahe Village"),
    "kongbai": ("leishan", "控拜村", "Kongbai Village"),
}

# Sellers other than a plain verified farmer of the goods' village.
COOPERATIVE = "cooperative"  # the verified 老围村 fruit growers' cooperative
DRAFT = "draft"  # a verified farmer's listing, never published
SUSPENDED = "suspended"  # published, then the farmer was suspended
PENDING = "pending"  # a farmer still waiting for verification (the listing waits too)
UNPRICED = "unpriced"  # published without any variant, so without a price


@dataclass(frozen=True)
class Item:
    key: str
    name: str
    category: str
    village: str
    variants: tuple[tuple[str, int], ...]  # (price, stock) of each variant
    description: str = ""
    seller: str = "farmer"
    sizes: tuple[str, ...] = ()  # the variants' names, in order (规格1, 规格2… when not given)

    @property
    def visible(self) -> bool:
        return self.seller in ("farmer", COOPERATIVE)

    @property
    def min_price(self) -> Decimal | None:
        return min((Decimal(price) for price, _ in self.variants), default=None)

    @property
    def in_stock(self) -> bool:
        return any(stock for _, stock in self.variants)

    @property
    def top_category(self) -> str:
        return CATEGORIES[self.category][2] or self.category

    @property
    def county(self) -> str:
        return VILLAGES[self.village][0]

    @property
    def province(self) -> str:
        return COUNTIES[self.county][0]

    @property
    def price_bucket(self) -> str:
        price = self.min_price
        for price_range in PRICE_RANGES:
            if (price_range.low is None or price >= price_range.low) and (
                price_range.high is None or price < price_range.high
            ):
                return price_range.key
        raise AssertionError(price)


ITEMS = (
    # --- Citrus: navel oranges (赣南脐橙 in names and in a description), a mandarin, a rock-sugar orange.
    Item(
        "gannan_orange",
        "赣南脐橙 10斤装 当季现摘",
        "citrus",
        "laowei",
        (("59.90", 40), ("109.00", 12)),
        "果肉脆嫩，酸甜适中，树上挂果到十一月才采摘。",
        seller=COOPERATIVE,
    ),
    Item("gannan_gift", "赣南脐橙礼盒 5斤", "citrus", "laowei", (("39.90", 0),), "精选大果，礼盒包装。"),
    Item(
        "anyuan_orange",
        "安远脐橙 家庭装",
        "citrus",
        "laowei",
        (("29.90", 25),),
        "产自赣南脐橙核心产区安远县，皮薄多汁。",
    ),
    Item("xunwu_mandarin", "寻乌蜜橘 10斤", "citrus", "xialiao", (("35.00", 30),), "皮薄易剥，汁水清甜。"),
    Item(
        "rock_sugar_orange",
        "麻阳冰糖橙 贴心礼盒装",
        "citrus",
        "changtan",
        (("45.00", 18),),
        "冰糖橙个头小，甜度高，果皮光滑。",
    ),
    # --- Fresh fruit: 冰糖心 (the user dictionary's word) and plain apples; kiwifruit with English text.
    Item(
        "bingtangxin_apple",
        "冰糖心苹果 延川山地红富士 5斤",
        "fresh_fruit",
        "liangjiahe",
        (("68.00", 20),),
        "果核周围有透明的糖心，脆甜多汁。",
    ),
    Item(
        "fuji_apple",
        "延川红富士苹果 10斤",
        "fresh_fruit",
        "liangjiahe",
        (("88.00", 9), ("48.00", 0)),
        "山地果园，口感清脆。",
    ),
    Item(
        "kiwi",
        "十八洞红心猕猴桃 12个装",
        "fresh_fruit",
        "shibadong",
        (("79.00", 15),),
        "Red-heart kiwifruit from Shibadong, rich in vitamin C. 果肉细腻，酸甜可口。",
    ),
    Item("kiwi_big", "猕猴桃 大果 3斤", "fresh_fruit", "shibadong", (("25.00", 0),), "个大饱满。"),
    # --- Tubers: potatoes under three names, sweet potatoes under two, and a yam (山药, not 山药蛋).
    Item("huize_potato", "云南会泽土豆 黄心 10斤", "tubers", "dahai", (("19.90", 50),), "高原土豆，沙糯香甜。"),
    Item("mini_potato", "小土豆 迷你洋芋 5斤", "tubers", "dahai", (("15.00", 0),), "个头小，适合烧烤。"),
    Item(
        "dingxi_potato",
        "定西马铃薯 渭源高原种植 20斤",
        "tubers",
        "yuangudui",
        (("39.00", 60),),
        "淀粉含量高，耐储存。",
    ),
    Item("liangshan_potato", "大凉山高山洋芋 10斤", "tubers", "sanhe", (("29.00", 35),), "彝家高山种植，个大皮薄。"),
    Item("sweet_potato", "红薯 烟薯25号 5斤", "tubers", "xialiao", (("20.00", 22),), "蒸着吃糯甜，烤着吃流油。"),
    Item("digua", "农家地瓜 10斤", "tubers", "liangjiahe", (("18.00", 14),), "老品种，粉糯。"),
    Item("digua_twin", "农家地瓜 10斤", "tubers", "xialiao", (("16.00", 8),), "自家种的，不打农药。"),
    Item("iron_yam", "铁棍山药 5斤", "tubers", "liangjiahe", (("45.00", 12),), "口感面糯，久煮不烂。"),
    # --- Dried goods: one sold in the top category itself, with 土豆 only in its description.
    Item(
        "cured_pork",
        "十八洞湘西腊肉 1斤",
        "dried",
        "shibadong",
        (("168.00", 6),),
        "柴火熏制三个月，切片和土豆一起炖最香。",
    ),
    Item("wood_ear", "黑木耳 秋耳 250克", "fungi", "shibadong", (("36.00", 40),), "肉厚无根，泡发率高。"),
    Item("walnut", "知子罗薄皮核桃 2斤", "nuts", "zhiziluo", (("50.00", 16),), "壳薄仁满，手捏即开。"),
    Item(
        "nu_honey",
        "怒江野生土蜂蜜 500克",
        "bee",
        "zhiziluo",
        (("128.00", 10),),
        "Wildflower honey from the Nu River valley. 中蜂百花蜜，一年只取一次。",
    ),
    Item("buckwheat_honey", "大凉山荞麦蜂蜜 1斤", "bee", "sanhe", (("98.00", 12),), "荞麦花期短，蜜色深，味道浓。"),
    # --- Grain and tea.
    Item("tartary_buckwheat", "昭觉苦荞米 2斤", "coarse_grain", "sanhe", (("26.00", 30),), "高山苦荞，煮粥香。"),
    Item("red_rice", "雷山梯田红米 5斤", "rice", "kongbai", (("45.00", 20),), "梯田种植，一年一季。"),
    Item("silver_ball_tea", "雷山银球茶 100克", "tea", "kongbai", (("238.00", 7),), "手工揉制成球，耐冲泡。"),
    Item("black_tea", "苗岭红茶 礼盒", "tea", "kongbai", (("320.00", 0), ("260.00", 3)), "条索紧细，汤色红亮。"),
    # --- A long name with a pack size, listed after a short one for the same word: equal matches,
    # so the newer comes first (FTS5's bm25 alone would put the shorter name first).
    Item(
        "walnut_gift",
        "核桃 新货 纸皮 原味 5斤 礼盒装 送礼佳品",
        "nuts",
        "kongbai",
        (("45.00", 20),),
        "今年秋天新打的。",
    ),
    # --- Hidden goods: each would match popular queries if it ever leaked into results.
    Item("draft_potato", "土豆 赣南脐橙 草稿", "tubers", "dahai", (("10.00", 99),), "还没写完。", seller=DRAFT),
    Item(
        "suspended_orange",
        "赣南脐橙 特级 冰糖心",
        "citrus",
        "laowei",
        (("99.00", 99),),
        "停售的卖家。",
        seller=SUSPENDED,
    ),
    Item("pending_potato", "马铃薯 新品 tudou", "tubers", "yuangudui", (("12.00", 99),), "待审核。", seller=PENDING),
    Item("unpriced_apple", "冰糖心苹果 预售", "fresh_fruit", "liangjiahe", (), "还没有定价。", seller=UNPRICED),
    # --- Appended for forgiving search: a sweet potato whose category's English name says
    # "Potatoes", and whose sizes (5斤装, 10斤装) are named only on its variants, not in its name.
    Item(
        "purple_sweet_potato",
        "紫薯 农家种植",
        "potato_tubers",
        "xialiao",
        (("22.00", 10), ("39.00", 5)),
        "软糯香甜，蒸煮都好吃。",
        sizes=("5斤装", "10斤装"),
    ),
)
ITEMS_BY_KEY = {item.key: item for item in ITEMS}
VISIBLE = tuple(item.key for item in ITEMS if item.visible)
HIDDEN = tuple(item.key for item in ITEMS if not item.visible)


def created_offset(position: int) -> timedelta:
    """How long before the catalog's reference time an item was listed: a scrambled order (7 is
    prime to 31), so that "newest" cannot pass by sorting on ids."""
    return timedelta(days=(position * 7) % 31, minutes=position)


@dataclass
class Catalog:
    """The built catalog: model objects by key, and the questions tests ask of `ITEMS`."""

    products: dict[str, Product] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    provinces: dict[str, Province] = field(default_factory=dict)
    counties: dict[str, County] = field(default_factory=dict)
    villages: dict[str, Village] = field(default_factory=dict)
    farmers: dict[str, Farmer] = field(default_factory=dict)
    cooperative: Cooperative | None = None
    staff: User | None = None

    def id(self, key: str) -> int:
        return self.products[key].pk

    def ids(self, *keys: str) -> set[int]:
        return {self.products[key].pk for key in keys}

    def key_of(self, product_id: int) -> str:
        for key, product in self.products.items():
            if product.pk == product_id:
                return key
        return f"<unknown product {product_id}>"

    def keys_of(self, product_ids) -> list[str]:
        return [self.key_of(pk) for pk in product_ids]

    def where(self, test) -> set[str]:
        """Keys of the visible items for which `test(item)` holds."""
        return {key for key in VISIBLE if test(ITEMS_BY_KEY[key])}

    def facet_counts(self, keys, facet: str) -> dict[str, int]:
        """What a facet should count over these goods, with values as the contract gives them (an
        object's primary key as text, or a price range's key)."""
        counts: Counter = Counter()
        for key in keys:
            item = ITEMS_BY_KEY[key]
            if facet == "category":
                value = self.categories[item.category].pk
            elif facet == "province":
                value = self.provinces[item.province].pk
            elif facet == "county":
                value = self.counties[item.county].pk
            elif facet == "village":
                value = self.villages[item.village].pk
            elif facet == "price":
                value = item.price_bucket
            else:
                raise ValueError(facet)
            counts[str(value)] += 1
        return dict(counts)


def build_catalog() -> Catalog:
    """Write the catalog through the shop's services, as staff listing for each seller."""
    catalog = Catalog()
    catalog.staff = User.objects.create_user(username="search-catalog-staff", is_staff=True)
    for key, (name, name_en, parent) in CATEGORIES.items():
        catalog.categories[key] = Category.objects.create(
            name=name,
            name_en=name_en,
            slug=f"search-{key}".replace("_", "-"),
            parent=catalog.categories[parent] if parent else None,
        )
    for key, (name, name_en) in PROVINCES.items():
        catalog.provinces[key] = Province.objects.create(name=name, name_en=name_en, slug=f"search-{key}")
    for key, (province, name, name_en) in COUNTIES.items():
        catalog.counties[key] = County.objects.create(
            province=catalog.provinces[province], name=name, name_en=name_en, slug=f"search-{key}"
        )
    for key, (county, name, name_en) in VILLAGES.items():
        catalog.villages[key] = Village.objects.create(
            county=catalog.counties[county],
            name=name,
            name_en=name_en,
            slug=f"search-{key}",
            households=300,
            poor_households=60,
        )
    catalog.cooperative = Cooperative.objects.create(
        name="老围村果农专业合作社",
        slug="search-laowei-growers",
        village=catalog.villages["laowei"],
        verification_state=VerificationState.VERIFIED,
    )

    reference = timezone.now().replace(microsecond=0) - timedelta(days=1)
    for position, item in enumerate(ITEMS):
        product = _list(catalog, item)
        Product.objects.filter(pk=product.pk).update(created_at=reference - created_offset(position))
        product.refresh_from_db()
        catalog.products[item.key] = product
    return catalog


def _farmer(catalog: Catalog, village: str, role: str) -> Farmer:
    """One farmer per village and role: "verified", "pending", or "to-suspend" (a farmer of its
    own, so that suspending them hides only the goods meant to be hidden)."""
    key = f"{village}:{role}"
    if key not in catalog.farmers:
        number = len(catalog.farmers) + 1
        catalog.farmers[key] = Farmer.objects.create(
            name=f"农户{number}",
            phone=f"1390000{number:04d}",
            village=catalog.villages[village],
            verification_state=VerificationState.PENDING if role == "pending" else VerificationState.VERIFIED,
        )
    return catalog.farmers[key]


def _list(catalog: Catalog, item: Item) -> Product:
    farmer = cooperative = None
    if item.seller == COOPERATIVE:
        cooperative = catalog.cooperative
    elif item.seller == PENDING:
        farmer = _farmer(catalog, item.village, "pending")
    elif item.seller == SUSPENDED:
        farmer = _farmer(catalog, item.village, "to-suspend")
    else:
        farmer = _farmer(catalog, item.village, "verified")
    product = shop_catalog.create_product(
        catalog.staff,
        name=item.name,
        category=catalog.categories[item.category],
        farmer=farmer,
        cooperative=cooperative,
        description=item.description,
        is_published=item.seller in ("farmer", COOPERATIVE, SUSPENDED, UNPRICED),
        publish_when_verified=item.seller == PENDING,
        variants=[
            {
                "name": item.sizes[n - 1] if n <= len(item.sizes) else f"规格{n}",
                "price": Decimal(price),
                "stock": stock,
                "weight_kg": Decimal("2.5"),
            }
            for n, (price, stock) in enumerate(item.variants, start=1)
        ],
    )
    if item.seller == SUSPENDED:
        change_verification_state(farmer, VerificationState.SUSPENDED, by=catalog.staff, reason="测试：停售")
    return product
