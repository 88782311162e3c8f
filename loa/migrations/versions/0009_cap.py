"""cap_feed and cap_alert: CAP 1.2 alerts taken in once per unit, and the feeds polled

Revision ID: 0009_cap
Revises: 0009_offers
Create Date: 2026-12-04 18:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0009_cap'
down_revision = '0009_offers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cap_feed',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('every_s', sa.Integer(), nullable=False),
        sa.Column('auto_extreme', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_ok_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('imported', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'],
                                name=op.f('fk_cap_feed_unit_id_admin_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cap_feed')),
        sa.UniqueConstraint('unit_id', 'url', name=op.f('uq_cap_feed_unit_id')),
    )
    op.create_index(op.f('ix_cap_feed_unit_id'), 'cap_feed', ['unit_id'], unique=False)
    op.create_table(
        'cap_alert',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('sender', sa.String(length=300), nullable=False),
        sa.Column('identifier', sa.String(length=300), nullable=False),
        sa.Column('sent', sa.DateTime(timezone=True), nullable=False),
        sa.Column('msg_type', sa.String(length=16), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=True),
        sa.Column('bulletin_id', sa.Integer(), nullable=True),
        sa.Column('references_bulletin_id', sa.Integer(), nullable=True),
        sa.Column('feed_id', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'],
                                name=op.f('fk_cap_alert_unit_id_admin_unit')),
        sa.ForeignKeyConstraint(['bulletin_id'], ['bulletin.id'],
                                name=op.f('fk_cap_alert_bulletin_id_bulletin')),
        sa.ForeignKeyConstraint(['references_bulletin_id'], ['bulletin.id'],
                                name=op.f('fk_cap_alert_references_bulletin_id_bulletin')),
        sa.ForeignKeyConstraint(['feed_id'], ['cap_feed.id'], ondelete='SET NULL',
                                name=op.f('fk_cap_alert_feed_id_cap_feed')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cap_alert')),
        sa.UniqueConstraint('unit_id', 'sender', 'identifier', 'sent',
                            name=op.f('uq_cap_alert_unit_id')),
    )
    op.create_index(op.f('ix_cap_alert_unit_id'), 'cap_alert', ['unit_id'], unique=False)
    op.create_index(op.f('ix_cap_alert_bulletin_id'), 'cap_alert', ['bulletin_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_cap_alert_bulletin_id'), table_name='cap_alert')
    op.drop_index(op.f('ix_cap_alert_unit_id'), table_name='cap_alert')
    op.drop_table('cap_alert')
    op.drop_index(op.f('ix_cap_feed_unit_id'), table_name='cap_feed')
    op.drop_table('cap_feed')
