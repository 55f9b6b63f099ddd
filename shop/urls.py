from django.urls import path

from . import views
from .storefront import cart_views, checkout_views, order_views

app_name = "shop"
urlpatterns = [
    path("", views.home, name="home"),
    path("p/<str:slug>/", views.product_detail, name="product"),
    path("v/<slug:slug>/", views.village_detail, name="village"),
    path("cart/", cart_views.cart, name="cart"),
    path("cart/lines/<int:pk>/", cart_views.line_update, name="cart_line"),
    path("cart/lines/<int:pk>/remove/", cart_views.line_remove, name="cart_line_remove"),
    path("checkout/", checkout_views.contact, name="checkout"),
    path("checkout/delivery/", checkout_views.delivery, name="checkout_delivery"),
    path("checkout/confirm/", checkout_views.confirm, name="checkout_confirm"),
    path("orders/", order_views.my_orders, name="orders"),
    path("orders/<str:token>/", order_views.order, name="order"),
    path("orders/<str:token>/cancel/", order_views.order_cancel, name="order_cancel"),
    path("orders/<str:token>/pay/", order_views.order_pay, name="order_pay"),
    path("orders/<str:token>/status/", order_views.order_status, name="order_status"),
    path("wechat/openid/", order_views.wechat_openid, name="wechat_openid"),
    path("t/<str:token>/", views.line_provenance, name="provenance"),
]
