"""Forms: a user's full name and title (who approved, who signs), a station's retirement

Revision ID: 0010_forms
Revises: 0009_relay
Create Date: 2026-12-04 19:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import loa.db

revision = '0010_forms'
down_revision = '0009_relay'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('full_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('title', sa.String(length=200), nullable=True))
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', loa.db.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('title')
        batch_op.drop_column('full_name')
