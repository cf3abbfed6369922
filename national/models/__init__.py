"""One module per register; each model is re-exported here so Django finds it."""

from national.models.accesslog import (
    OPERATOR_ORGANISATION_NAME,
    OPERATOR_ROLE,
    AccessLogEntry,
    StaffAuditEntry,
)
from national.models.population import Resident
from national.models.prescriptions import Prescription
from national.models.register import CertificateRole, CommunicationParty, PartyCertificate
from national.models.tariff import FrikortLimit, TariffRate

__all__ = [
    "OPERATOR_ORGANISATION_NAME",
    "OPERATOR_ROLE",
    "AccessLogEntry",
    "CertificateRole",
    "CommunicationParty",
    "FrikortLimit",
    "PartyCertificate",
    "Prescription",
    "Resident",
    "StaffAuditEntry",
    "TariffRate",
]
