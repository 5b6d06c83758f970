"""facility source networks for MLLP

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:00:00.000000

MLLP has no login: a facility's senders are known by the networks they connect from
(``carebridge facility add NAME --mllp-network CIDR``) or by a client certificate.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import carebridge.store.models


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('facility_network',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=64), nullable=False),
    sa.Column('created_at', carebridge.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_facility_network_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_network')),
    sa.UniqueConstraint('facility_id', 'network', name=op.f('uq_facility_network_facility_id_network'))
    )
    with op.batch_alter_table('facility_network', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_network_facility_id'), ['facility_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('facility_network', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_network_facility_id'))
    op.drop_table('facility_network')
