"""The world bench/feed.py serves: a catalogue, villages with poverty figures, stories and campaigns.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanhuo_bench_feed .venv/bin/python bench/feed_seed.py

bench/feed.py runs this in a process of its own against an empty, migrated database. The catalogue
is bench/search_seed.py's (names, villages in real counties, about 10% out of stock and 5%
invisible); on top of it each village gets a poverty line and a baseline income (some above the
line, so the poverty boost has something to rank), NGOs publish stories about their villages, and
sponsors of the three kinds run campaigns for products, farmers and villages, with serving rates
spread as the pacing task would leave them. Everything is bulk-inserted: saving one by one would
send the search app's signals and reindex in-process. The campaigns of the cap test are made by
bench/feed.py on each run (`cap_campaign`), so that a rerun with --reuse starts from a fresh budget.
"""

import datetime
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CAP_BID = Decimal("1.00")

STORY_OPENINGS = (
    "天还没亮，{village}的{farmer}已经上山了。",
    "从县城到{village}要走两个小时的盘山路。",
    "{village}的土地不多，但每一块都被收拾得整整齐齐。",
    "今年是{farmer}回到{village}的第三年。",
)
STORY_MIDDLES = (
    "以前收下来的货只能等贩子上门，价钱由不得自己。",
    "合作社统一分拣、包装，快递每天下午来村口收件。",
    "路修通以后，城里的订单第一次直接到了村里。",
    "村里的年轻人教老人用手机拍照、上架、回复买家。",
)
STORY_ENDINGS = (
    "每卖出一单，钱都会记到种的人名下。",
    "这一季的收成比去年好，大家盼着能多卖一些。",
    "他说，等孩子放假，要带他们看看城里的顾客寄来的照片。",
)


def seed(products: int, villages: int, stories: int, campaigns: int, seed_value: int = 1) -> dict:
    import search_seed
    from django.db import transaction
    from django.utils import timezone

    from farmers.models import NGO, Farmer, Village
    from promotion.models import Campaign, CampaignState, ContentItem, ContentKind, ContentStatus, Sponsor, SponsorKind
    from shop.selectors import visible_products

    counts = search_seed.seed(products, villages, seed_value)
    rng = random.Random(f"shanhuo-bench-feed:{seed_value}")
    now = timezone.now()
    with transaction.atomic():
        village_list = list(Village.objects.order_by("pk"))
        for village in village_list:
            village.poverty_line = Decimal("4000.00")
            # A fifth of the villages have climbed above the line; the rest are 0-60% below it.
            income = rng.uniform(4100, 6000) if rng.random() < 0.2 else rng.uniform(1600, 3990)
            village.baseline_income = Decimal(f"{income:.2f}")
            village.households = rng.randint(120, 600)
            village.poor_households = rng.randint(10, village.households // 3)
        Village.objects.bulk_update(
            village_list, ["poverty_line", "baseline_income", "households", "poor_households"], batch_size=500
        )

        ngos = NGO.objects.bulk_create(
            [
                NGO(name="乡村发展基金会", slug="bench-ngo-1"),
                NGO(name="山区儿童助学会", slug="bench-ngo-2"),
                NGO(name="农村妇女互助协会", slug="bench-ngo-3"),
            ]
        )
        covered = NGO.villages.through.objects.bulk_create(
            [NGO.villages.through(ngo=ngos[i % len(ngos)], village=v) for i, v in enumerate(village_list)]
        )

        visible = list(
            visible_products().filter(in_stock=True).values_list("pk", "farmer_id", "village_id").order_by("pk")
        )
        by_village: dict[int, list[int]] = {}
        by_farmer: dict[int, list[int]] = {}
        for pk, farmer_id, village_id in visible:
            by_village.setdefault(village_id, []).append(pk)
            if farmer_id:
                by_farmer.setdefault(farmer_id, []).append(pk)
        farmers = {f.pk: f for f in Farmer.objects.filter(pk__in=list(by_farmer))}
        villages_by_pk = {v.pk: v for v in village_list}
        ngo_of = {row.village_id: row.ngo_id for row in covered}

        # Stories: published over the last two months, a few drafts, each featuring goods of its village.
        story_rows, featured = [], []
        story_villages = rng.sample(sorted(by_village), k=min(stories, len(by_village)))
        while len(story_villages) < stories:
            story_villages.append(rng.choice(sorted(by_village)))
        drafts = max(1, stories // 10)
        for index in range(stories + drafts):
            village = villages_by_pk[story_villages[index % len(story_villages)]]
            farmer_ids = [f for f in by_farmer if farmers[f].village_id == village.pk]
            farmer = farmers[rng.choice(farmer_ids)] if farmer_ids else None
            names = {"village": village.name, "farmer": farmer.name if farmer else "村民们"}
            body = "".join(
                (rng.choice(STORY_OPENINGS), *rng.sample(STORY_MIDDLES, 2), rng.choice(STORY_ENDINGS))
            ).format(**names)
            published = index < stories
            story_rows.append(
                ContentItem(
                    kind=ContentKind.PHOTO_ESSAY if rng.random() < 0.3 else ContentKind.STORY,
                    title=f"{village.name}：{names['farmer']}的一年",
                    slug=f"bench-story-{index + 1}",
                    summary=body[:60],
                    body=body * 4,
                    village=village,
                    farmer=farmer,
                    ngo_id=ngo_of.get(village.pk),
                    status=ContentStatus.PUBLISHED if published else ContentStatus.DRAFT,
                    published_at=now - datetime.timedelta(hours=rng.uniform(1, 24 * 60)) if published else None,
                )
            )
            featured.append(rng.sample(by_village[village.pk], k=min(3, len(by_village[village.pk]))))
        written = ContentItem.objects.bulk_create(story_rows)
        ContentItem.products.through.objects.bulk_create(
            [
                ContentItem.products.through(contentitem=item, product_id=pk)
                for item, pks in zip(written, featured, strict=True)
                for pk in pks
            ]
        )

        sponsors = Sponsor.objects.bulk_create(
            [
                Sponsor(name="山货公益流量", kind=SponsorKind.PLATFORM),
                Sponsor(name="乡村发展基金会（推广）", kind=SponsorKind.NGO),
                Sponsor(name="山海食品有限公司", kind=SponsorKind.COMPANY),
                Sponsor(name="云上优选电子商务有限公司", kind=SponsorKind.COMPANY),
            ]
        )

        # Active campaigns: a third each for products, a farmer's goods, a village's goods.
        rows, listed = [], []
        farmer_pool = sorted(f for f, pks in by_farmer.items() if len(pks) >= 3)
        village_pool = sorted(by_village)
        for index in range(campaigns):
            kind = ("products", "farmer", "village")[index % 3]
            campaign = Campaign(
                sponsor=sponsors[index % len(sponsors)],
                name=f"推广活动{index + 1}",
                bid=Decimal(f"{rng.choice((0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 3.0)):.2f}"),
                daily_cap=Decimal("5000.00"),
                total_cap=Decimal("50000.00"),
                starts_at=now - datetime.timedelta(days=rng.randint(1, 20)),
                ends_at=now + datetime.timedelta(days=rng.randint(5, 60)),
                state=CampaignState.ACTIVE,
                serving_rate=round(rng.uniform(0.15, 1.0), 3),
                predicted_ctr=round(rng.uniform(0.01, 0.05), 4),
            )
            products_promoted = []
            if kind == "products":
                village = rng.choice(village_pool)
                products_promoted = rng.sample(by_village[village], k=min(len(by_village[village]), rng.randint(3, 8)))
            elif kind == "farmer":
                campaign.farmer_id = rng.choice(farmer_pool)
            else:
                campaign.village_id = rng.choice(village_pool)
            rows.append(campaign)
            listed.append(products_promoted)
        # Not served: paused, ended, exhausted, draft, and one that starts tomorrow.
        for index, state in enumerate(("paused", "ended", "exhausted", "draft", "active")):
            rows.append(
                Campaign(
                    sponsor=sponsors[index % len(sponsors)],
                    name=f"不投放的活动{index + 1}",
                    bid=Decimal("2.00"),
                    daily_cap=Decimal("1000.00"),
                    total_cap=Decimal("5000.00"),
                    starts_at=now + datetime.timedelta(days=1)
                    if state == "active"
                    else now - datetime.timedelta(days=3),
                    state=state,
                    serving_rate=1.0,
                    village_id=rng.choice(village_pool),
                )
            )
            listed.append([])
        made = Campaign.objects.bulk_create(rows)
        Campaign.products.through.objects.bulk_create(
            [
                Campaign.products.through(campaign=campaign, product_id=pk)
                for campaign, pks in zip(made, listed, strict=True)
                for pk in pks
            ]
        )
    counts.update(
        {
            "visible in-stock products": len(visible),
            "published stories": stories,
            "draft stories": drafts,
            "sponsors": len(sponsors),
            "active campaigns": campaigns,
            "campaigns not served": 5,
        }
    )
    return counts


def cap_campaign(name: str, cap_clicks: int, state: str):
    """A campaign with a total budget for exactly `cap_clicks` clicks (the daily cap above it),
    promoting three goods of the village with the most, always served while it can pay."""
    import datetime as dt

    from django.db.models import Count
    from django.utils import timezone

    from farmers.models import Village
    from promotion.models import Campaign, Sponsor
    from shop.selectors import visible_products

    in_stock = visible_products().filter(in_stock=True)
    village = Village.objects.filter(products__in=in_stock).annotate(n=Count("products")).order_by("-n", "pk").first()
    campaign = Campaign.objects.create(
        sponsor=Sponsor.objects.get(name="山海食品有限公司"),
        name=name,
        bid=CAP_BID,
        daily_cap=CAP_BID * cap_clicks * 2,
        total_cap=CAP_BID * cap_clicks,
        starts_at=timezone.now() - dt.timedelta(hours=2),
        state=state,
        serving_rate=1.0,
        predicted_ctr=0.02,
    )
    campaign.products.set(in_stock.filter(village=village).order_by("pk")[:3])
    return campaign


def main():
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=4_000)
    parser.add_argument("--villages", type=int, default=150)
    parser.add_argument("--stories", type=int, default=100)
    parser.add_argument("--campaigns", type=int, default=30)
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
    counts = seed(args.products, args.villages, args.stories, args.campaigns, args.seed)
    summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
    print(f"  seeded {summary} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
