"""users' state and forced password change; the one-time record of new player tokens

Revision ID: 0008_secrets
Revises: 0008_broker
Create Date: 2026-12-04 15:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0008_secrets'
down_revision = '0008_broker'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'state', sa.Enum('active', 'disabled', 'removed', name='userstate',
                             native_enum=False, length=16),
            nullable=False, server_default='active'))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        'token_reveal',
        sa.Column('id', sa.String(length=43), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shown_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('tokens', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE',
                                name=op.f('fk_token_reveal_user_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_token_reveal')),
    )


def downgrade() -> None:
    op.drop_table('token_reveal')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('state')
