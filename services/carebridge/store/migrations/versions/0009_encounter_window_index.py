"""index the length-of-stay window

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 22:00:00.000000

Every discharge averages the facility's discharges of the last ``window_seconds``; without
this index that read scans all of the facility's encounters, so it grew with the table.
With ``los_days`` in it, the window is read from the index alone.
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('encounter', schema=None) as batch_op:
        batch_op.create_index('ix_encounter_facility_discharge',
                              ['facility_id', 'discharge_received_at', 'los_days'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('encounter', schema=None) as batch_op:
        batch_op.drop_index('ix_encounter_facility_discharge')
