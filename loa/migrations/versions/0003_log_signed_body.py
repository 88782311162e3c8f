"""airing log keeps the signed event body

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The default only satisfies NOT NULL: no deployment logged entries before this
    # revision, and an entry without its signed body fails `loa audit verify`.
    with op.batch_alter_table('airing_log_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_body', sa.Text(), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('airing_log_entry', schema=None) as batch_op:
        batch_op.drop_column('signed_body')
