from django.db import models
from django.utils.translation import gettext_lazy as _


class MainlandAddress(models.Model):
    """A delivery address in mainland China, as couriers print it: 省 市 区 street, recipient, phone."""

    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district or county"), max_length=30, blank=True)
    street = models.CharField(_("street address"), max_length=120, blank=True)
    recipient = models.CharField(_("recipient"), max_length=40, blank=True)
    phone = models.CharField(_("recipient's phone"), max_length=11, blank=True)

    ADDRESS_FIELDS = ("province", "city", "district", "street", "recipient", "phone")

    class Meta:
        abstract = True

    @property
    def has_address(self) -> bool:
        return all(getattr(self, field) for field in self.ADDRESS_FIELDS)

    def address_values(self) -> dict:
        return {field: getattr(self, field) for field in self.ADDRESS_FIELDS}

    @property
    def address_line(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.street}"
