"""The patients package's part of the Settings, as the plain values its use cases take."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carebridge.config import Settings
from carebridge.hl7.limits import Limits
from carebridge.patients.outbox import Couriers, parse_smtp_url


@dataclass(frozen=True)
class SubmitPolicy:
    """How ``submit_message`` judges and applies a message."""

    limits: Limits
    default_charset: str
    los_window_seconds: float
    los_factor: float
    mail_alerts: bool  # also queue an e-mail for each length-of-stay alert


def submit_policy(settings: Settings) -> SubmitPolicy:
    return SubmitPolicy(
        Limits(settings.hl7_max_message_bytes, settings.hl7_max_segments,
               settings.hl7_max_field_chars, settings.hl7_earliest_year,
               dt.timedelta(seconds=settings.hl7_max_future_seconds)),
        settings.hl7_default_charset, settings.los_window_seconds, settings.los_factor,
        bool(settings.smtp_url))


def couriers(settings: Settings) -> Couriers:
    """Where this node delivers the outbox: the SMTP server, the alert file."""
    return Couriers(parse_smtp_url(settings.smtp_url) if settings.smtp_url else None,
                    settings.los_alert_file)
