"""bulletin_delivery: the latest start, the latest failed play and its reason, and why the
last completion was not counted, so the delivery page tells "đang phát", "bị ngắt" and
"lỗi phát" apart from "đã phát"

Revision ID: 0009_delivery
Revises: 0009_cap
Create Date: 2026-12-04 18:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

import loa.db

revision = '0009_delivery'
down_revision = '0009_cap'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bulletin_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_started_at', loa.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('failed_at', loa.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('failure', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('not_counted', sa.String(length=300), nullable=True))
    # A counted start already stored is also the latest one known.
    op.execute("UPDATE bulletin_delivery SET last_started_at = started_at")


def downgrade() -> None:
    with op.batch_alter_table('bulletin_delivery', schema=None) as batch_op:
        batch_op.drop_column('not_counted')
        batch_op.drop_column('failure')
        batch_op.drop_column('failed_at')
        batch_op.drop_column('last_started_at')
