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
        Limits(settings.hl7.max_message_bytes, settings.hl7.max_segments,
               settings.hl7.max_field_chars, settings.hl7.earliest_year,
               dt.timedelta(seconds=settings.hl7.max_future_seconds)),
        settings.hl7.default_charset, settings.los.window_seconds, settings.los.factor,
        bool(settings.smtp.url))


def couriers(settings: Settings) -> Couriers:
    """Where this node delivers the outbox: the SMTP server, the alert file."""
    return Couriers(parse_smtp_url(settings.smtp.url) if settings.smtp.url else None,
                    settings.los.alert_file)
