import random
from decimal import Decimal
import pytest
from tests import factories as f
from promotion.feed import build_page
from promotion.models import Click, Spend
pytestmark = pytest.mark.django_db

def test_smoke(client):
    farmer = f.farmer()
    products = [f.product(seller=farmer) for _ in range(12)]
    for _ in range(5):
        f.story()
    c = f.campaign(products=products[:2], bid=Decimal("0.50"), total_cap=Decimal("1.00"))
    page = build_page(10, rng=random.Random(1))
    kinds = [("P" if e.promoted else ("S" if e.is_story else "o")) for e in page.entries]
    print(kinds, page.selection_ms)
    promoted = [e for e in page.entries if e.promoted]
    assert promoted
    r = client.get(f"/r/{promoted[0].token}", HTTP_USER_AGENT="Mozilla/5.0 (iPhone)")
    print(r.status_code, r["Location"], Click.objects.values_list("outcome", flat=True))
    r = client.get(f"/r/{promoted[0].token}", HTTP_USER_AGENT="Mozilla/5.0 (iPhone)")
    print(list(Click.objects.values_list("outcome", flat=True)), Spend.objects.count())
    page2 = build_page(10, page.end_cursor, rng=random.Random(1))
    print([("P" if e.promoted else ("S" if e.is_story else "o")) for e in page2.entries])
