"""Cheap orders for racing rounds: one farmer's goods and one shipping table made once per test,
then a fresh order per round through the real checkout service."""

from decimal import Decimal

from shop import checkout as service
from tests.shop.buying import ADDRESS, shipping_method, variant


class Shop:
    """Farmer A's box at ¥39.90 (2.5 kg) and farmer B's bag at ¥12.50 (0.8 kg), by a table where
    a 5 kg parcel costs ¥15 and a 0.8 kg one ¥8: an order of 2 boxes and 1 bag is 79.80 + 12.50
    goods + 23.00 shipping = ¥115.30."""

    TOTAL = Decimal("115.30")
    BOXES, BAGS = 2, 1

    def __init__(self, stock: int = 1000):
        self.method = shipping_method()
        self.box = variant(price="39.90", stock=stock, weight_kg="2.5")
        self.bag = variant(price="12.50", stock=stock, weight_kg="0.8")
        self.farmers = (self.box.product.farmer, self.bag.product.farmer)

    def order(self, user=None, payment_method: str = "offline"):
        checkout = service.create_checkout(
            user,
            email="buyer@example.com",
            lines=[service.LineRequest(self.box, self.BOXES), service.LineRequest(self.bag, self.BAGS)],
        )
        service.update_shipping_address(checkout, dict(ADDRESS))
        service.update_delivery_method(checkout, self.method)
        return service.place_order(user, checkout, payment_method).order  # a card payment is opened too

    def stock(self) -> tuple[int, int]:
        self.box.refresh_from_db()
        self.bag.refresh_from_db()
        return self.box.stock, self.bag.stock
