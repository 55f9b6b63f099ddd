"""The shop's models: the catalog, the shipping table, checkouts and orders."""

from .catalog import (  # noqa: F401 - _image_path and private_storage are named by migrations
    MAX_IMAGES_PER_PRODUCT,
    MAX_VARIANTS_PER_PRODUCT,
    Category,
    ImageStatus,
    PrivateMediaStorage,
    Product,
    ProductImage,
    Variant,
    _image_path,
    private_storage,
)
from .checkout import Checkout, CheckoutLine, ParcelDelivery  # noqa: F401
from .orders import Fulfilment, FulfilmentStatus, Order, OrderLine, OrderStatus  # noqa: F401
from .shipping import ShippingMethod, ShippingRate  # noqa: F401
