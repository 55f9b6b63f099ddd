"""Sellers with money due, fast: `seed(n)` makes n farmers, each with one order paid and delivered
past the hold period, booked in the ledger as a payment would be (cash in, the farmer's payable
credited). Bulk inserts, not checkout: bench/payouts.py times the payout run over 100,000 of them,
and tests/concurrency/test_payout_run_killed.py kills a real run over a few hundred.

Amounts are spread from 20.00 to 300.00 CNY, so with the default minimum (50.00) about one seller
in nine is owed too little and waits. Every seller's amount is returned, to check a run against."""

import random
import uuid
from datetime import timedelta
from decimal import Decimal

BATCH = 5000


def seed(sellers: int, seed_value: int = 1, delivered_days_ago: int = 10) -> dict[int, Decimal]:
    """The farmers' payable account ids and what each is owed."""
    from django.db import transaction
    from django.utils import timezone

    from farmers.models import County, Farmer, Province, Village
    from payments import ledger
    from payments import ledger_text as text
    from payments.models import Account, AccountKind, Entry, LedgerTransaction, Payment, PaymentStatus
    from shop.models import Fulfilment, FulfilmentStatus, Order, OrderStatus

    rng = random.Random(f"shanhuo-bench-payouts:{seed_value}")
    now = timezone.now()
    delivered = now - timedelta(days=delivered_days_ago)
    tag = uuid.uuid4().hex[:8]
    with transaction.atomic():
        province = Province.objects.create(name=f"省{tag}", slug=f"bench-province-{tag}")
        county = County.objects.create(province=province, name=f"县{tag}", slug=f"bench-county-{tag}")
        villages = Village.objects.bulk_create(
            Village(county=county, name=f"村{tag}-{i}", slug=f"bench-village-{tag}-{i}", households=300)
            for i in range(max(1, sellers // 200))
        )
        cash = ledger.cash_account("offline")
        farmers = Farmer.objects.bulk_create(
            (Farmer(name=f"农户{i}", phone=f"139{i:08d}", village=villages[i % len(villages)]) for i in range(sellers)),
            batch_size=BATCH,
        )
        accounts = Account.objects.bulk_create(
            (
                Account(
                    code=f"liability:farmer:{farmer.pk}",
                    name=text.stored(text.PAYABLE_TO_FARMER, farmer=farmer.pk),
                    kind=AccountKind.LIABILITY,
                    farmer=farmer,
                )
                for farmer in farmers
            ),
            batch_size=BATCH,
        )
        amounts = [Decimal(rng.randint(2000, 30000)) / 100 for _ in farmers]
        orders = Order.objects.bulk_create(
            (
                Order(
                    checkout_id=uuid.uuid4(),
                    email="shopper@example.com",
                    status=OrderStatus.DELIVERED,
                    payment_method="offline",
                    shipping_method_name="快递",
                    subtotal=amount - Decimal("8.00"),
                    shipping_total=Decimal("8.00"),
                    total=amount,
                    paid_at=delivered - timedelta(days=3),
                )
                for amount in amounts
            ),
            batch_size=BATCH,
        )
        Fulfilment.objects.bulk_create(
            (
                Fulfilment(
                    order=order,
                    farmer=farmer,
                    village_id=farmer.village_id,
                    seller_name=farmer.name,
                    status=FulfilmentStatus.DELIVERED,
                    subtotal=order.subtotal,
                    weight_kg=Decimal("1.000"),
                    shipping_price=order.shipping_total,
                    delivered_at=delivered,
                )
                for order, farmer in zip(orders, farmers, strict=True)
            ),
            batch_size=BATCH,
        )
        payments = Payment.objects.bulk_create(
            (
                Payment(
                    order=order,
                    gateway="offline",
                    status=PaymentStatus.SUCCEEDED,
                    amount=order.total,
                    succeeded_at=order.paid_at,
                )
                for order in orders
            ),
            batch_size=BATCH,
        )
        transactions = LedgerTransaction.objects.bulk_create(
            (
                LedgerTransaction(
                    key=f"payment:{payment.pk}", memo=text.stored(text.ORDER_PAID, order=order.number), order=order
                )
                for payment, order in zip(payments, orders, strict=True)
            ),
            batch_size=BATCH,
        )
        Entry.objects.bulk_create(
            (
                entry
                for booked, account, amount in zip(transactions, accounts, amounts, strict=True)
                for entry in (
                    Entry(transaction=booked, account=cash, amount=amount),
                    Entry(transaction=booked, account=account, amount=-amount),
                )
            ),
            batch_size=BATCH,
        )
    return {account.pk: amount for account, amount in zip(accounts, amounts, strict=True)}
