"""facility authorities, journal keys per facility, rejection log

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 02:00:00.000000

Every existing facility gets its own name as its one identifier domain. Journal rows
that were rejections before acceptance (unparsed bodies, another facility's MSH-4)
move to ``hl7_rejection``, cut to 64 KiB, so they no longer hold a key; the journal's
key becomes (facility, MSH-3, MSH-10).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import carebridge.store.models


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PREFIX = 65536
_BIGINT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('facility_authority',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('authority', sa.String(length=128), nullable=False),
    sa.Column('created_at', carebridge.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_facility_authority_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_authority')),
    sa.UniqueConstraint('authority', name=op.f('uq_facility_authority_authority'))
    )
    with op.batch_alter_table('facility_authority', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_authority_facility_id'), ['facility_id'], unique=False)

    op.create_table('hl7_rejection',
    sa.Column('id', _BIGINT, nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('encoding', sa.String(length=8), nullable=False),
    sa.Column('control_id', sa.String(length=199), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('body_length', sa.BigInteger(), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('body_prefix', sa.Text(), nullable=False),
    sa.Column('reply', sa.JSON(), nullable=False),
    sa.Column('received_at', carebridge.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_hl7_rejection_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hl7_rejection'))
    )
    with op.batch_alter_table('hl7_rejection', schema=None) as batch_op:
        batch_op.create_index('ix_hl7_rejection_facility_received', ['facility_id', 'received_at'], unique=False)

    bind = op.get_bind()
    facility = sa.table('facility', sa.column('id', sa.Integer), sa.column('name', sa.String))
    authority = sa.table('facility_authority', sa.column('facility_id', sa.Integer),
                         sa.column('authority', sa.String),
                         sa.column('created_at', carebridge.store.models.UTCDateTime(timezone=True)))
    now = carebridge.store.models.utcnow()
    rows = bind.execute(sa.select(facility.c.id, facility.c.name)).all()
    if rows:
        bind.execute(authority.insert(), [{"facility_id": r.id, "authority": r.name[:128],
                                           "created_at": now} for r in rows])
    _move_rejections(bind)

    with op.batch_alter_table('hl7_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('raw_length', sa.BigInteger(), nullable=True))
        batch_op.drop_constraint('uq_hl7_message_sending_application_sending_facility_control_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_hl7_message_facility_id_sending_application_control_id'), ['facility_id', 'sending_application', 'control_id'])


def _move_rejections(bind: sa.engine.Connection) -> None:
    message = sa.table('hl7_message', sa.column('id'), sa.column('facility_id'),
                       sa.column('encoding'), sa.column('control_id'), sa.column('raw'),
                       sa.column('body_sha256'), sa.column('reply', sa.JSON),
                       sa.column('received_at', carebridge.store.models.UTCDateTime(timezone=True)),
                       sa.column('ack_code'))
    rejection = sa.table('hl7_rejection', sa.column('facility_id'), sa.column('encoding'),
                         sa.column('control_id'), sa.column('reason'), sa.column('body_length'),
                         sa.column('body_sha256'), sa.column('body_prefix'),
                         sa.column('reply', sa.JSON),
                         sa.column('received_at', carebridge.store.models.UTCDateTime(timezone=True)))
    refused = sa.and_(message.c.ack_code == 'AR', sa.or_(
        message.c.control_id.like('unparsed:%'),
        sa.cast(message.c.reply, sa.Text).like('%MSH-4 is not the authenticated facility%')))
    for row in bind.execute(sa.select(message).where(refused)).all():
        unparsed = row.control_id.startswith('unparsed:')
        bind.execute(rejection.insert().values(
            facility_id=row.facility_id, encoding=row.encoding,
            control_id=None if unparsed else row.control_id,
            reason='message not understood' if unparsed else 'sending facility not allowed',
            body_length=len(row.raw), body_sha256=row.body_sha256,
            body_prefix=row.raw[:_PREFIX], reply=row.reply, received_at=row.received_at))
        bind.execute(message.delete().where(message.c.id == row.id))


def downgrade() -> None:
    with op.batch_alter_table('hl7_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_hl7_message_facility_id_sending_application_control_id'), type_='unique')
        batch_op.create_unique_constraint('uq_hl7_message_sending_application_sending_facility_control_id', ['sending_application', 'sending_facility', 'control_id'])
        batch_op.drop_column('raw_length')
    with op.batch_alter_table('hl7_rejection', schema=None) as batch_op:
        batch_op.drop_index('ix_hl7_rejection_facility_received')
    op.drop_table('hl7_rejection')
    with op.batch_alter_table('facility_authority', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_authority_facility_id'))
    op.drop_table('facility_authority')
