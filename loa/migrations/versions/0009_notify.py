"""notify: each user's alert channels, the events raised, the delivery log

Revision ID: 0009_notify
Revises: 0009_delivery
Create Date: 2026-12-04 18:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

from loa.db import UTCDateTime

revision = '0009_notify'
down_revision = '0009_delivery'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notify_profile',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('channels', sa.String(length=64), server_default='', nullable=False),
        sa.Column('quiet_from', sa.String(length=5), nullable=True),
        sa.Column('quiet_until', sa.String(length=5), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                                name=op.f('fk_notify_profile_user_id_app_user')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notify_profile')),
    )
    op.create_table(
        'notify_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('link', sa.String(length=300), nullable=False),
        sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'],
                                name=op.f('fk_notify_event_unit_id_admin_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_event')),
        sa.UniqueConstraint('key', name=op.f('uq_notify_event_key')),
    )
    op.create_index(op.f('ix_notify_event_unit_id'), 'notify_event', ['unit_id'])
    op.create_index(op.f('ix_notify_event_created_at'), 'notify_event', ['created_at'])
    op.create_table(
        'notify_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.Enum('inbox', 'email', 'webhook', name='channel',
                                     native_enum=False, length=16), nullable=False),
        sa.Column('status', sa.Enum('pending', 'sent', 'failed', 'skipped',
                                    name='deliverystatus', native_enum=False, length=16),
                  nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('sent_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['notify_event.id'],
                                name=op.f('fk_notify_delivery_event_id_notify_event')),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                                name=op.f('fk_notify_delivery_user_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_delivery')),
    )
    op.create_index(op.f('ix_notify_delivery_event_id'), 'notify_delivery', ['event_id'])
    op.create_index(op.f('ix_notify_delivery_user_id'), 'notify_delivery', ['user_id'])
    op.create_index(op.f('ix_notify_delivery_status'), 'notify_delivery', ['status'])
    op.create_index(op.f('ix_notify_delivery_next_attempt_at'), 'notify_delivery',
                    ['next_attempt_at'])


def downgrade() -> None:
    op.drop_table('notify_delivery')
    op.drop_table('notify_event')
    op.drop_table('notify_profile')
