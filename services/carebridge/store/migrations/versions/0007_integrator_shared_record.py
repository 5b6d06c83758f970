"""integrator shared record: links, identities, referrals, access audit

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 18:22:56.012527

What the CAISI Integrator's DemographicWs, ProgramWs and ReferralWs read and write beside
the pushed records: the patients' identity fields (indexed for same-HIN links and
matching, filled here from the patients already pushed), provider-made links, referrals,
and the audit of every read of patient data.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import carebridge.store.models


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('access_audit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', carebridge.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=True),
    sa.Column('door', sa.String(length=32), nullable=False),
    sa.Column('operation', sa.String(length=128), nullable=False),
    sa.Column('subject_facility_id', sa.Integer(), nullable=True),
    sa.Column('subject_demographic_no', sa.Integer(), nullable=True),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_access_audit_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_audit'))
    )
    with op.batch_alter_table('access_audit', schema=None) as batch_op:
        batch_op.create_index('ix_access_audit_at', ['at'], unique=False)
        batch_op.create_index('ix_access_audit_subject', ['subject_facility_id', 'subject_demographic_no'], unique=False)

    op.create_table('demographic_link',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('facility_id1', sa.Integer(), nullable=False),
    sa.Column('demographic_no1', sa.Integer(), nullable=False),
    sa.Column('facility_id2', sa.Integer(), nullable=False),
    sa.Column('demographic_no2', sa.Integer(), nullable=False),
    sa.Column('creator_facility_id', sa.Integer(), nullable=False),
    sa.Column('creator_provider_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', carebridge.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['creator_facility_id'], ['facility.id'], name=op.f('fk_demographic_link_creator_facility_id_facility')),
    sa.ForeignKeyConstraint(['facility_id1'], ['facility.id'], name=op.f('fk_demographic_link_facility_id1_facility')),
    sa.ForeignKeyConstraint(['facility_id2'], ['facility.id'], name=op.f('fk_demographic_link_facility_id2_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demographic_link')),
    sa.UniqueConstraint('facility_id1', 'demographic_no1', 'facility_id2', 'demographic_no2', name='uq_demographic_link_pair')
    )
    with op.batch_alter_table('demographic_link', schema=None) as batch_op:
        batch_op.create_index('ix_demographic_link_second', ['facility_id2', 'demographic_no2'], unique=False)

    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_facility_id', sa.Integer(), nullable=False),
    sa.Column('source_demographic_no', sa.Integer(), nullable=True),
    sa.Column('destination_facility_id', sa.Integer(), nullable=True),
    sa.Column('destination_program_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('referral_date', carebridge.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_facility_id'], ['facility.id'], name=op.f('fk_referral_source_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_destination', ['destination_facility_id', 'destination_program_id'], unique=False)
        batch_op.create_index('ix_referral_source', ['source_facility_id', 'source_demographic_no'], unique=False)

    op.create_table('provider_communication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_facility_id', sa.Integer(), nullable=False),
    sa.Column('source_provider_id', sa.String(length=64), nullable=True),
    sa.Column('destination_facility_id', sa.Integer(), nullable=False),
    sa.Column('destination_provider_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sent_at', carebridge.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['destination_facility_id'], ['facility.id'], name=op.f('fk_provider_communication_destination_facility_id_facility')),
    sa.ForeignKeyConstraint(['source_facility_id'], ['facility.id'], name=op.f('fk_provider_communication_source_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_communication'))
    )
    with op.batch_alter_table('provider_communication', schema=None) as batch_op:
        batch_op.create_index('ix_provider_communication_destination', ['destination_facility_id', 'destination_provider_id', 'kind'], unique=False)

    op.create_table('shared_demographic',
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('demographic_no', sa.Integer(), nullable=False),
    sa.Column('hin', sa.String(length=64), nullable=True),
    sa.Column('hin_type', sa.String(length=64), nullable=True),
    sa.Column('first_name', sa.String(length=255), nullable=True),
    sa.Column('last_name', sa.String(length=255), nullable=True),
    sa.Column('first_soundex', sa.String(length=8), nullable=True),
    sa.Column('last_soundex', sa.String(length=8), nullable=True),
    sa.Column('birth_date', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_shared_demographic_facility_id_facility')),
    sa.PrimaryKeyConstraint('facility_id', 'demographic_no', name=op.f('pk_shared_demographic'))
    )
    with op.batch_alter_table('shared_demographic', schema=None) as batch_op:
        batch_op.create_index('ix_shared_demographic_birth_date', ['birth_date'], unique=False)
        batch_op.create_index('ix_shared_demographic_hin', ['hin', 'hin_type'], unique=False)
        batch_op.create_index('ix_shared_demographic_last_soundex', ['last_soundex'], unique=False)
        batch_op.create_index('ix_shared_demographic_first_soundex', ['first_soundex'], unique=False)
    with op.batch_alter_table('cached_record', schema=None) as batch_op:
        batch_op.create_index('ix_cached_record_updated', ['record_type', 'updated_at'], unique=False)
    _fill_shared_demographics()



def _fill_shared_demographics() -> None:
    from carebridge.matching import identity_row

    records = sa.table('cached_record', sa.column('facility_id', sa.Integer()),
                       sa.column('record_type', sa.String()), sa.column('payload', sa.JSON()))
    shared = sa.table('shared_demographic', *(sa.column(name) for name in (
        'facility_id', 'demographic_no', 'hin', 'hin_type', 'first_name', 'last_name',
        'first_soundex', 'last_soundex', 'birth_date')))
    bind = op.get_bind()
    query = sa.select(records.c.facility_id, records.c.payload).where(
        records.c.record_type == 'DemographicTransfer')
    batch = []
    for found in bind.execute(query):
        row = identity_row(int(found.facility_id), dict(found.payload))
        if row is not None:
            batch.append(row)
        if len(batch) >= 1000:
            bind.execute(shared.insert(), batch)
            batch = []
    if batch:
        bind.execute(shared.insert(), batch)


def downgrade() -> None:
    with op.batch_alter_table('cached_record', schema=None) as batch_op:
        batch_op.drop_index('ix_cached_record_updated')
    with op.batch_alter_table('shared_demographic', schema=None) as batch_op:
        batch_op.drop_index('ix_shared_demographic_first_soundex')
        batch_op.drop_index('ix_shared_demographic_last_soundex')
        batch_op.drop_index('ix_shared_demographic_hin')
        batch_op.drop_index('ix_shared_demographic_birth_date')

    op.drop_table('shared_demographic')
    with op.batch_alter_table('provider_communication', schema=None) as batch_op:
        batch_op.drop_index('ix_provider_communication_destination')

    op.drop_table('provider_communication')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_source')
        batch_op.drop_index('ix_referral_destination')

    op.drop_table('referral')
    with op.batch_alter_table('demographic_link', schema=None) as batch_op:
        batch_op.drop_index('ix_demographic_link_second')

    op.drop_table('demographic_link')
    with op.batch_alter_table('access_audit', schema=None) as batch_op:
        batch_op.drop_index('ix_access_audit_subject')
        batch_op.drop_index('ix_access_audit_at')

    op.drop_table('access_audit')
