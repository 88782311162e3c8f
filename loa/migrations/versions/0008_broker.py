"""players' broker logins: the Mosquitto hash of the password their token derives

Revision ID: 0008_broker
Revises: 0007_renderjob
Create Date: 2026-12-04 15:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0008_broker'
down_revision = '0007_renderjob'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty for the players that exist: tokens are stored hashed, so their login is made
    # when the token is next rotated (`loa player rotate-token`).
    with op.batch_alter_table('player', schema=None) as batch_op:
        batch_op.add_column(sa.Column('broker_password_hash', sa.String(length=160),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('player', schema=None) as batch_op:
        batch_op.drop_column('broker_password_hash')
