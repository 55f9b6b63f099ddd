"""The seller's pages, under /farmer/ (Chinese first: see core.middleware)."""

from django.urls import path

from . import earnings, orders, views, wechat

app_name = "seller"

urlpatterns = [
    path("products/", views.products, name="products"),
    path("products/new/", views.product_new, name="product_new"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:pk>/publish/", views.product_publish, name="product_publish"),
    path("products/<int:pk>/unpublish/", views.product_unpublish, name="product_unpublish"),
    path("variants/<int:pk>/", views.variant_update, name="variant_update"),
    path("orders/", orders.orders, name="orders"),
    path("orders/parcels/<int:pk>/ship/", orders.order_ship, name="order_ship"),
    path("orders/parcels/<int:pk>/deliver/", orders.order_deliver, name="order_deliver"),
    path("orders/parcels/<int:pk>/slip/", orders.order_slip, name="order_slip"),
    path("earnings/", earnings.earnings_page, name="earnings"),
    path("wechat/", wechat.wechat_page, name="wechat"),
    path("wechat/bind/", wechat.wechat_start, name="wechat_start"),
    path("wechat/callback/", wechat.wechat_callback, name="wechat_callback"),
]
