from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
    path("wechatpay/notify/", views.wechatpay_notify, name="wechatpay-notify"),
    path("alipay/notify/", views.alipay_notify, name="alipay-notify"),
    path("wechatpay/transfer-notify/", views.wechatpay_transfer_notify, name="wechatpay-transfer-notify"),
]
