"""SQLAlchemy models: all of carebridge's state (nodes keep none of their own).

Alembic's migrations under ``store/migrations`` are the truth for the schema;
``alembic check`` in the test suite keeps these models and the migrations equal.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model here is mapped to a Table (SQLAlchemy types it as any FromClause),
        # so Model.__table__ can be given to insert(), update() and delete().
        __table__: ClassVar[Table]


class ImportStatus(enum.StrEnum):
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"


class Facility(Base):
    """An integrator facility; its name is the WS-Security username."""

    __tablename__ = "facility"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Encrypted password, kept only when PasswordDigest is enabled for the facility:
    # a digest cannot be checked against a one-way hash.
    digest_secret: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    # May read every facility's import log on /status (a registry or operator account).
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_updated: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class FacilityAuthority(Base):
    """An identifier domain (HL7 assigning authority) and the one facility that owns it.

    The PIX "identity source" rule: only the owner may create or change identifiers in
    the domain, and what a facility may read is what its domains reach.
    """

    __tablename__ = "facility_authority"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    authority: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FacilityNetwork(Base):
    """A source network (CIDR) a facility's MLLP senders connect from: MLLP has no login,
    so the peer address (and MSH-4 where networks overlap) says who is sending."""

    __tablename__ = "facility_network"
    __table_args__ = (UniqueConstraint("facility_id", "network"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    network: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportLog(Base):
    """One push file's import: OSCAR's ImportLog plus carebridge's reason and counts."""

    __tablename__ = "import_log"
    __table_args__ = (
        UniqueConstraint("facility_id", "checksum"),
        Index("ix_import_log_facility_updated", "facility_id", "last_updated"),
        Index("ix_import_log_filename", "filename"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"))
    filename: Mapped[str] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    depends_on: Mapped[str | None] = mapped_column(String(32))
    date_interval_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    date_interval_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    date_created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_updated: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportLease(Base):
    """The single-importer guarantee: whoever holds an unexpired row may import."""

    __tablename__ = "import_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(255))
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    current_file: Mapped[str | None] = mapped_column(String(255))


class CachedRecord(Base):
    """A record a facility pushed, keyed by (facility, OSCAR class, key); payload as JSON."""

    __tablename__ = "cached_record"
    __table_args__ = (
        UniqueConstraint("facility_id", "record_type", "record_key"),
        Index("ix_cached_record_demographic", "facility_id", "record_type", "demographic_no"),
        Index("ix_cached_record_updated", "record_type", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    record_type: Mapped[str] = mapped_column(String(128))
    record_key: Mapped[str] = mapped_column(String(255))
    demographic_no: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_sha256: Mapped[str | None] = mapped_column(ForeignKey("document.sha256"))
    import_log_id: Mapped[int | None] = mapped_column(ForeignKey("import_log.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Document(Base):
    """Document bytes, content addressed: the same file pushed twice is stored once."""

    __tablename__ = "document"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WsseNonce(Base):
    """Seen UsernameToken nonces, so a captured digest cannot be replayed."""

    __tablename__ = "wsse_nonce"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class HL7Message(Base):
    """Every submitted HL7 message and the acknowledgment it got (the journal).

    (facility, sending application, control id) is unique: the database, not a
    read-then-write check, makes a resend through any node a duplicate, and the key
    belongs to the authenticated facility, so no other caller can occupy it. A reply
    other than AA keeps at most the first 64 KiB of the body (``raw_length`` is the whole).
    """

    __tablename__ = "hl7_message"
    __table_args__ = (
        UniqueConstraint("facility_id", "sending_application", "control_id"),
        Index("ix_hl7_message_facility_received", "facility_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    sending_application: Mapped[str] = mapped_column(String(255))
    sending_facility: Mapped[str] = mapped_column(String(255))
    control_id: Mapped[str] = mapped_column(String(199))
    message_type: Mapped[str | None] = mapped_column(String(16))
    event: Mapped[str | None] = mapped_column(String(16))
    encoding: Mapped[str] = mapped_column(String(8))  # er7 | xml
    body_sha256: Mapped[str] = mapped_column(String(64))
    raw: Mapped[str] = mapped_column(Text)
    raw_length: Mapped[int | None] = mapped_column(BigInteger)
    ack_code: Mapped[str] = mapped_column(String(2))
    reply: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class HL7Rejection(Base):
    """A message refused before it was accepted (not HL7, another facility's MSH-4, no
    usable control id, over a limit): logged under the authenticated caller, never under
    a journal key, and only the first 64 KiB of its body with its length and hash."""

    __tablename__ = "hl7_rejection"
    __table_args__ = (Index("ix_hl7_rejection_facility_received", "facility_id",
                            "received_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    encoding: Mapped[str] = mapped_column(String(8))
    control_id: Mapped[str | None] = mapped_column(String(199))  # as sent, cut to 199
    reason: Mapped[str] = mapped_column(Text)
    body_length: Mapped[int] = mapped_column(BigInteger)
    body_sha256: Mapped[str] = mapped_column(String(64))
    body_prefix: Mapped[str] = mapped_column(Text)
    reply: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Patient(Base):
    """A person in the master patient index; ``field_times`` says how recent each value is."""

    __tablename__ = "patient"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(36), unique=True)
    family_name: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    middle_name: Mapped[str | None] = mapped_column(String(255))
    birth_date: Mapped[str | None] = mapped_column(String(10))
    sex: Mapped[str | None] = mapped_column(String(8))
    street: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str | None] = mapped_column(String(255))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(64))
    field_times: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PatientIdentifier(Base):
    __tablename__ = "patient_identifier"
    __table_args__ = (UniqueConstraint("identifier", "assigning_authority"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(128))
    assigning_authority: Mapped[str] = mapped_column(String(128))  # "" when none was sent
    identifier_type: Mapped[str | None] = mapped_column(String(16))


class Encounter(Base):
    """A visit: opened by an admission, closed by the A03 that discharges it."""

    __tablename__ = "encounter"
    __table_args__ = (
        UniqueConstraint("facility_id", "visit_key"),
        # The length-of-stay window (every discharge of the last seconds), read per A03
        # from the index alone.
        Index("ix_encounter_facility_discharge", "facility_id", "discharge_received_at",
              "los_days"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    # The visit number, or the patient and admit time when the sender gives none.
    visit_key: Mapped[str] = mapped_column(String(255))
    visit_number: Mapped[str | None] = mapped_column(String(128))
    admit_time: Mapped[str | None] = mapped_column(String(32))
    discharge_time: Mapped[str | None] = mapped_column(String(32))
    los_days: Mapped[float | None] = mapped_column()
    discharge_received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attending: Mapped[str | None] = mapped_column(String(255))
    diagnosis: Mapped[str | None] = mapped_column(String(255))


class LosAlert(Base):
    """An excessive length of stay: this stay against the window's average."""

    __tablename__ = "los_alert"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("hl7_message.id"), unique=True)
    patient_enterprise_id: Mapped[str] = mapped_column(String(36))
    visit_number: Mapped[str | None] = mapped_column(String(128))
    los_days: Mapped[float] = mapped_column()
    window_average: Mapped[float] = mapped_column()
    window_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class OutboxMessage(Base):
    """A notification to send after commit: written in the transaction that caused it,
    claimed by one node, marked sent after delivery. Never lost; a crash between sending
    and marking resends it with the same Message-ID, so receivers can drop the copy."""

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class ServiceSetting(Base):
    """A value the whole service shares, one row per name (e.g. the secret key's
    fingerprint, so a node started with another key refuses to run)."""

    __tablename__ = "service_setting"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SharedDemographic(Base):
    """The identity fields of each pushed patient (DemographicTransfer), indexed: what the
    integrator joins on (same HIN links records implicitly) and searches (matching).

    Written beside the patient's ``cached_record`` by the importer; never read without the
    caller's scope applied (``integrator.access``).
    """

    __tablename__ = "shared_demographic"
    __table_args__ = (
        Index("ix_shared_demographic_hin", "hin", "hin_type"),
        Index("ix_shared_demographic_last_soundex", "last_soundex"),
        Index("ix_shared_demographic_first_soundex", "first_soundex"),
        Index("ix_shared_demographic_birth_date", "birth_date"),
    )

    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), primary_key=True)
    demographic_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    hin: Mapped[str | None] = mapped_column(String(64))
    hin_type: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    first_soundex: Mapped[str | None] = mapped_column(String(8))
    last_soundex: Mapped[str | None] = mapped_column(String(8))
    birth_date: Mapped[str | None] = mapped_column(String(10))


class DemographicLink(Base):
    """Two facilities' records of one person, linked by a provider (DemographicWs
    linkDemographics); a link holds in both directions."""

    __tablename__ = "demographic_link"
    __table_args__ = (
        UniqueConstraint("facility_id1", "demographic_no1", "facility_id2", "demographic_no2",
                         name="uq_demographic_link_pair"),
        Index("ix_demographic_link_second", "facility_id2", "demographic_no2"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    facility_id1: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    demographic_no1: Mapped[int] = mapped_column(Integer)
    facility_id2: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    demographic_no2: Mapped[int] = mapped_column(Integer)
    creator_facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    creator_provider_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Referral(Base):
    """A referral of a patient to another facility's program (ReferralWs)."""

    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_destination", "destination_facility_id", "destination_program_id"),
        Index("ix_referral_source", "source_facility_id", "source_demographic_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    source_demographic_no: Mapped[int | None] = mapped_column(Integer)
    destination_facility_id: Mapped[int | None] = mapped_column(Integer)
    destination_program_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    referral_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessAudit(Base):
    """Who read which patient's records, when and through which door.

    Written in the same transaction as the read it records: no read without its row.
    """

    __tablename__ = "access_audit"
    __table_args__ = (
        Index("ix_access_audit_at", "at"),
        Index("ix_access_audit_subject", "subject_facility_id", "subject_demographic_no"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    actor: Mapped[str | None] = mapped_column(String(64))
    door: Mapped[str] = mapped_column(String(32))
    operation: Mapped[str] = mapped_column(String(128))
    subject_facility_id: Mapped[int | None] = mapped_column(Integer)
    subject_demographic_no: Mapped[int | None] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer, default=0)


class ProviderCommunication(Base):
    """A message from a provider at one facility to a provider at another (ProviderWs)."""

    __tablename__ = "provider_communication"
    __table_args__ = (
        Index("ix_provider_communication_destination", "destination_facility_id",
              "destination_provider_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    source_provider_id: Mapped[str | None] = mapped_column(String(64))
    destination_facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    destination_provider_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(default=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
