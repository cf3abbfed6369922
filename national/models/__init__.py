"""One module per register; each model is re-exported here so Django finds it."""

from national.models.prescriptions import Prescription
from national.models.tariff import FrikortLimit, TariffRate

__all__ = ["FrikortLimit", "Prescription", "TariffRate"]
