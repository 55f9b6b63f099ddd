"""The money history bench/impact.py reports on: villages, farmers, and years of paid orders with
their ledger, refunds, payouts and promoted clicks, written by set-based SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanhuo_bench_impact .venv/bin/python bench/impact_seed.py

bench/impact.py runs this against an empty, migrated PostgreSQL database. Going through checkout
would take hours for a million order lines, so the rows are written as the services would leave
them, with the same ledger keys (`payment:`, `fee:`, `refund:`, `fee-refund:`, `payout:`,
`payout-paid:`, `promotion-click-`) and amounts, and every transaction balances (the script checks
it at the end). Each order has two lines from one farmer (one parcel); one order in 33 is refunded
in full; one in 10 follows a billed click on the farmer's product and one in 20 is credited to that
click's campaign; each farmer is paid once a month for the parcels delivered the month before.
"""

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FEE_PERCENT = Decimal("5")
SHIPPING = Decimal("8.00")
CLICK_COST = Decimal("0.50")


def _places(villages: int, farmers_per_village: int, ngos: int) -> None:
    from farmers.models import NGO, County, Farmer, Province, Village
    from payments.models import Account

    provinces = Province.objects.bulk_create(
        [Province(name=f"省{i:02d}", name_en=f"Province {i}", slug=f"p{i}") for i in range(16)]
    )
    counties = County.objects.bulk_create(
        [
            County(province=provinces[i % len(provinces)], name=f"县{i:03d}", name_en=f"County {i}", slug=f"c{i}")
            for i in range(max(1, villages // 10))
        ]
    )
    village_rows = Village.objects.bulk_create(
        [
            Village(
                county=counties[i % len(counties)],
                name=f"村{i:04d}",
                slug=f"v{i}",
                households=200 + i % 300,
                poor_households=20 + i % 80,
                poverty_line=Decimal("4000.00") + i % 7 * 100,
                baseline_income=Decimal("3000.00") + i % 11 * 250,
            )
            for i in range(villages)
        ]
    )
    farmers = Farmer.objects.bulk_create(
        [
            Farmer(
                name=f"农户{v}-{j}",
                phone=f"139{v:04d}{j:04d}",
                village=village,
                is_registered_poor=(v + j) % 5 == 0,
                household_size=1 + (v * 7 + j) % 6,
                verification_state="verified",
            )
            for v, village in enumerate(village_rows)
            for j in range(farmers_per_village)
        ]
    )
    Account.objects.bulk_create(
        [
            Account(
                code=f"liability:farmer:{farmer.pk}",
                name=f"Payable to farmer {farmer.pk}",
                kind="liability",
                farmer=farmer,
            )
            for farmer in farmers
        ]
    )
    per_ngo = max(1, villages // ngos)
    for n in range(ngos):
        ngo = NGO.objects.create(name=f"公益组织{n}", slug=f"ngo{n}")
        ngo.villages.set(village_rows[n * per_ngo : (n + 1) * per_ngo])


def _money_accounts() -> dict[str, int]:
    from payments import ledger
    from promotion.models import Sponsor

    sponsor = Sponsor.objects.create(name="基准赞助方", kind="company")
    return {
        "cash": ledger.cash_account("offline").pk,
        "fee": ledger.fee_account().pk,
        "transit": ledger.payouts_in_transit_account().pk,
        "sponsor": ledger.sponsor_account(sponsor).pk,
        "promotion": ledger.promotion_income_account().pk,
        "sponsor_id": sponsor.pk,
    }


# Every statement takes the parameters by name; %(orders)s etc. are bound by psycopg.
ORDERS_SQL = [
    # One product per farmer, for the clicks.
    """
    INSERT INTO shop_category (name, name_en, slug, position, parent_id) VALUES ('农产品', 'Produce', 'bench', 0, NULL)
    """,
    """
    INSERT INTO shop_product (name, slug, description, is_published, min_price, in_stock, created_at, updated_at,
        category_id, farmer_id, village_id, publish_when_verified)
    SELECT '产品' || f.id, 'bench-' || f.id, '', true, 10, true, now(), now(),
        (SELECT id FROM shop_category WHERE slug = 'bench'), f.id, f.village_id, false
    FROM farmers_farmer f
    """,
    # Farmers numbered 0..n-1, to spread orders over them.
    """
    CREATE TEMP TABLE bench_farmer AS
    SELECT row_number() OVER (ORDER BY f.id) - 1 AS n, f.id, f.village_id, a.id AS account_id, p.id AS product_id
    FROM farmers_farmer f JOIN payments_account a ON a.farmer_id = f.id JOIN shop_product p ON p.farmer_id = f.id
    """,
    "CREATE UNIQUE INDEX ON bench_farmer (n)",
    # Orders 1..N spread evenly over the days, each by one farmer (a multiplicative hash of i).
    """
    CREATE TEMP TABLE bench_order AS
    SELECT i,
        bf.id AS farmer_id, bf.village_id, bf.account_id, bf.product_id,
        %(start)s::timestamptz + (i::float8 / %(orders)s) * (%(days)s * interval '1 day') AS created_at,
        (10 + i %% 50)::numeric(12, 2) AS price1, (1 + i %% 3) AS qty1,
        (15 + i %% 37)::numeric(12, 2) AS price2, (1 + i %% 2) AS qty2
    FROM generate_series(1, %(orders)s) AS i
    JOIN bench_farmer bf ON bf.n = (i::bigint * 7919) %% (SELECT count(*) FROM bench_farmer)
    """,
    """
    ALTER TABLE bench_order ADD COLUMN goods numeric(12, 2), ADD COLUMN fee1 numeric(12, 2),
        ADD COLUMN fee2 numeric(12, 2), ADD COLUMN refunded boolean, ADD COLUMN clicked boolean,
        ADD COLUMN attributed boolean
    """,
    """
    UPDATE bench_order SET goods = price1 * qty1 + price2 * qty2,
        fee1 = round(price1 * qty1 * %(fee_rate)s, 2), fee2 = round(price2 * qty2 * %(fee_rate)s, 2),
        refunded = i %% 33 = 0, clicked = i %% 10 = 0, attributed = i %% 20 = 0
    """,
    "CREATE UNIQUE INDEX ON bench_order (i)",
    """
    INSERT INTO shop_order (id, province, city, district, street, recipient, phone, checkout_id, email, status,
        payment_method, shipping_method_name, currency, subtotal, shipping_total, total, created_at, paid_at,
        cancelled_at, user_id)
    SELECT i, '广东省', '广州市', '天河区', '天河路 1 号', '顾客', '13800138000', md5('bench' || i)::uuid,
        'shopper' || (i %% 5000) || '@example.com', CASE WHEN refunded THEN 'refunded' ELSE 'delivered' END,
        'offline', '快递', 'CNY', goods, %(shipping)s, goods + %(shipping)s, created_at,
        created_at + interval '10 minutes', NULL, NULL
    FROM bench_order
    """,
    """
    INSERT INTO shop_fulfilment (id, seller_name, status, subtotal, weight_kg, shipping_price, carrier,
        tracking_number, shipped_at, delivered_at, cooperative_id, farmer_id, village_id, order_id,
        shipping_method_name)
    SELECT i, '农户', CASE WHEN refunded THEN 'cancelled' ELSE 'delivered' END, goods, 2, %(shipping)s, '邮政', '',
        created_at + interval '1 day', created_at + interval '3 days', NULL, farmer_id, village_id, i, '快递'
    FROM bench_order
    """,
    """
    INSERT INTO shop_orderline (id, product_name, variant_name, sku, unit_price, quantity, total, unit_weight_kg,
        seller_name, village_name, platform_fee, refunded_at, cooperative_id, farmer_id, fulfilment_id, order_id,
        variant_id, village_id, harvest_date)
    SELECT 2 * i - 1 + k, '产品', '一份', '', CASE k WHEN 0 THEN price1 ELSE price2 END,
        CASE k WHEN 0 THEN qty1 ELSE qty2 END,
        CASE k WHEN 0 THEN price1 * qty1 ELSE price2 * qty2 END, 1, '农户', '村',
        CASE k WHEN 0 THEN fee1 ELSE fee2 END,
        CASE WHEN refunded THEN created_at + interval '5 days' END,
        NULL, farmer_id, i, i, NULL, village_id, NULL
    FROM bench_order, generate_series(0, 1) AS k
    """,
    """
    INSERT INTO payments_payment (id, gateway, status, amount, currency, refunded_amount, stripe_payment_intent,
        client_secret, failure_message, reference, succeeded_at, created_at, confirmed_by_id, order_id)
    SELECT i, 'offline', CASE WHEN refunded THEN 'refunded' ELSE 'succeeded' END, goods + %(shipping)s, 'CNY',
        CASE WHEN refunded THEN goods + %(shipping)s ELSE 0 END, NULL, '', '', '',
        created_at + interval '10 minutes', created_at, NULL, i
    FROM bench_order
    """,
    # Ledger: payment (2i-1) and fee (2i) transactions of each order.
    """
    INSERT INTO payments_ledgertransaction (id, key, memo, created_at, order_id)
    SELECT 2 * i - 1 + k, CASE k WHEN 0 THEN 'payment:' ELSE 'fee:' END || i,
        CASE k WHEN 0 THEN 'Order ' || i || ' paid' ELSE 'Platform fee on order ' || i END,
        created_at + interval '10 minutes', i
    FROM bench_order, generate_series(0, 1) AS k
    """,
    """
    INSERT INTO payments_entry (transaction_id, account_id, amount)
    SELECT 2 * i - 1, %(cash)s, goods + %(shipping)s FROM bench_order
    UNION ALL SELECT 2 * i - 1, account_id, -(goods + %(shipping)s) FROM bench_order
    UNION ALL SELECT 2 * i, %(fee)s, -(fee1 + fee2) FROM bench_order
    UNION ALL SELECT 2 * i, account_id, fee1 + fee2 FROM bench_order
    """,
    # Refunds in full, five days after the order: refund i/33, its transactions after the orders'.
    """
    INSERT INTO payments_refund (id, amount, includes_shipping, status, reason, stripe_refund, created_at,
        created_by_id, payment_id)
    SELECT i / 33, goods + %(shipping)s, true, 'succeeded', '', NULL, created_at + interval '5 days', NULL, i
    FROM bench_order WHERE refunded
    """,
    """
    INSERT INTO payments_refund_lines (refund_id, orderline_id)
    SELECT i / 33, 2 * i - 1 + k FROM bench_order, generate_series(0, 1) AS k WHERE refunded
    """,
    """
    INSERT INTO payments_ledgertransaction (id, key, memo, created_at, order_id)
    SELECT 2 * %(orders)s + 2 * (i / 33) - 1 + k, CASE k WHEN 0 THEN 'refund:' ELSE 'fee-refund:' END || (i / 33),
        'Refund ' || (i / 33), created_at + interval '5 days', i
    FROM bench_order, generate_series(0, 1) AS k WHERE refunded
    """,
    """
    INSERT INTO payments_entry (transaction_id, account_id, amount)
    SELECT 2 * %(orders)s + 2 * (i / 33) - 1, %(cash)s, -(goods + %(shipping)s) FROM bench_order WHERE refunded
    UNION ALL SELECT 2 * %(orders)s + 2 * (i / 33) - 1, account_id, goods + %(shipping)s
        FROM bench_order WHERE refunded
    UNION ALL SELECT 2 * %(orders)s + 2 * (i / 33), %(fee)s, fee1 + fee2 FROM bench_order WHERE refunded
    UNION ALL SELECT 2 * %(orders)s + 2 * (i / 33), account_id, -(fee1 + fee2) FROM bench_order WHERE refunded
    """,
    # Promotion: a campaign per 100 farmers; a billed click before one order in ten.
    """
    INSERT INTO promotion_campaign (name, bid, daily_cap, total_cap, starts_at, ends_at, state, spent_fen,
        serving_rate, predicted_ctr, created_at, updated_at, created_by_id, farmer_id, village_id, sponsor_id)
    SELECT '推广' || c, %(click_cost)s, 1000000, 100000000, %(start)s::timestamptz, NULL, 'active', 0, 1, 0.02,
        %(start)s::timestamptz, %(start)s::timestamptz, NULL, NULL, NULL, %(sponsor_id)s
    FROM generate_series(0, (SELECT count(*) FROM bench_farmer) / 100) AS c
    """,
    """
    CREATE TEMP TABLE bench_campaign AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM promotion_campaign
    """,
    """
    INSERT INTO promotion_click (id, token_id, served_at, viewer_key, user_agent, outcome, cost, created_at,
        campaign_id, product_id, user_id)
    SELECT i / 10, 'bench' || i, o.created_at - interval '1 hour', 'viewer' || i, '', 'billed', %(click_cost)s,
        o.created_at - interval '30 minutes', bc.id, o.product_id, NULL
    FROM bench_order o JOIN bench_farmer bf ON bf.id = o.farmer_id JOIN bench_campaign bc ON bc.n = bf.n / 100
    WHERE clicked
    """,
    """
    INSERT INTO promotion_spend (campaign_id, click_id, amount, day, created_at)
    SELECT c.campaign_id, c.id, c.cost, (c.created_at AT TIME ZONE 'Asia/Shanghai')::date, c.created_at
    FROM promotion_click c
    """,
    """
    INSERT INTO payments_ledgertransaction (id, key, memo, created_at, order_id)
    SELECT 2 * %(orders)s + 2 * (%(orders)s / 33) + c.id, 'promotion-click-' || c.id, 'Click ' || c.id,
        c.created_at, NULL
    FROM promotion_click c
    """,
    """
    INSERT INTO payments_entry (transaction_id, account_id, amount)
    SELECT 2 * %(orders)s + 2 * (%(orders)s / 33) + c.id, %(sponsor)s, c.cost FROM promotion_click c
    UNION ALL SELECT 2 * %(orders)s + 2 * (%(orders)s / 33) + c.id, %(promotion)s, -c.cost
        FROM promotion_click c
    """,
    """
    INSERT INTO promotion_orderattribution (created_at, campaign_id, click_id, order_id, share_visit_id)
    SELECT o.created_at, c.campaign_id, c.id, o.i, NULL
    FROM bench_order o JOIN promotion_click c ON c.id = o.i / 10 WHERE o.attributed
    """,
    # Payouts: each farmer, on the 8th of each month, for the parcels delivered in the month before.
    """
    CREATE TEMP TABLE bench_payout AS
    SELECT row_number() OVER (ORDER BY month, o.account_id) AS id, o.account_id, o.farmer_id, month,
        sum(CASE WHEN refunded THEN 0 ELSE goods + %(shipping)s - fee1 - fee2 END) AS amount
    FROM bench_order o,
        LATERAL (SELECT date_trunc('month', (o.created_at + interval '3 days') AT TIME ZONE 'Asia/Shanghai') AS month) m
    WHERE month < date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')
    GROUP BY o.account_id, o.farmer_id, month
    """,
    "DELETE FROM bench_payout WHERE amount <= 0",
    """
    INSERT INTO payments_payout (id, sequence, amount, currency, status, method, reference, idempotency_key,
        failure_reason, created_at, paid_at, failed_at, account_id, cooperative_id, farmer_id, recorded_by_id)
    SELECT id, row_number() OVER (PARTITION BY account_id ORDER BY month), amount, 'CNY', 'paid', 'bank',
        'BANK' || id, 'shanhuo-payout-bench-' || id, '',
        (month + interval '1 month 7 days') AT TIME ZONE 'Asia/Shanghai',
        (month + interval '1 month 9 days') AT TIME ZONE 'Asia/Shanghai', NULL, account_id, NULL, farmer_id, NULL
    FROM bench_payout
    """,
    """
    UPDATE payments_entry e SET payout_id = p.id
    FROM payments_ledgertransaction t, bench_order o, bench_payout p
    WHERE e.transaction_id = t.id AND t.order_id = o.i AND e.account_id = o.account_id
        AND p.account_id = o.account_id
        AND p.month = date_trunc('month', (o.created_at + interval '3 days') AT TIME ZONE 'Asia/Shanghai')
    """,
    """
    INSERT INTO payments_ledgertransaction (id, key, memo, created_at, order_id)
    SELECT %(payout_base)s + 2 * p.id - 1 + k, CASE k WHEN 0 THEN 'payout:' ELSE 'payout-paid:' END || p.id,
        'Payout ' || p.id, CASE k WHEN 0 THEN p.created_at ELSE p.paid_at END, NULL
    FROM payments_payout p, generate_series(0, 1) AS k
    """,
    """
    INSERT INTO payments_entry (transaction_id, account_id, amount)
    SELECT %(payout_base)s + 2 * id - 1, account_id, amount FROM payments_payout
    UNION ALL SELECT %(payout_base)s + 2 * id - 1, %(transit)s, -amount FROM payments_payout
    UNION ALL SELECT %(payout_base)s + 2 * id, %(transit)s, amount FROM payments_payout
    UNION ALL SELECT %(payout_base)s + 2 * id, %(cash)s, -amount FROM payments_payout
    """,
]

SEQUENCES = (
    "shop_order",
    "shop_fulfilment",
    "shop_orderline",
    "payments_payment",
    "payments_refund",
    "payments_ledgertransaction",
    "promotion_click",
    "payments_payout",
)


def seed(lines: int, villages: int, farmers_per_village: int, days: int, ngos: int) -> dict:
    import datetime

    from django.db import connection, transaction
    from django.utils import timezone

    from payments.ledger import unbalanced_transactions

    orders = lines // 2
    start = timezone.now() - datetime.timedelta(days=days)
    with transaction.atomic():
        _places(villages, farmers_per_village, ngos)
        params = {
            **_money_accounts(),
            "orders": orders,
            "days": days,
            "start": start,
            "shipping": SHIPPING,
            "fee_rate": FEE_PERCENT / 100,
            "click_cost": CLICK_COST,
            "payout_base": 3 * orders,
        }
        with connection.cursor() as cursor:
            # The rows are consistent by construction; checking a few million foreign keys one by
            # one at commit would take longer than writing them (needs a superuser, as locally).
            cursor.execute("SET LOCAL session_replication_role = replica")
            for statement in ORDERS_SQL:
                began = time.perf_counter()
                cursor.execute(statement, params)
                if os.environ.get("BENCH_VERBOSE"):
                    print(f"{time.perf_counter() - began:6.1f} s  {' '.join(statement.split())[:70]}")
            for table in SEQUENCES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    if unbalanced_transactions().exists():
        raise SystemExit("the seeded ledger does not balance")
    from farmers.models import Village
    from payments.models import Entry, LedgerTransaction, Payout
    from shop.models import OrderLine

    return {
        "villages": Village.objects.count(),
        "order lines": OrderLine.objects.count(),
        "ledger transactions": LedgerTransaction.objects.count(),
        "ledger entries": Entry.objects.count(),
        "payouts": Payout.objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--villages", type=int, default=500)
    parser.add_argument("--farmers-per-village", type=int, default=10)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--ngos", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    began = time.perf_counter()
    counts = seed(args.lines, args.villages, args.farmers_per_village, args.days, args.ngos)
    print(", ".join(f"{value:,} {name}" for name, value in counts.items()), f"in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
