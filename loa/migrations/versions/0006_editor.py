"""editor: who wrote, submitted and approved a programme; the leader's comment; clip library

Revision ID: 0006_editor
Revises: 0005_tamper
Create Date: 2026-11-28 01:40:00.000000

The ``leader`` role needs no change: roles are stored as plain strings.
"""

import sqlalchemy as sa
from alembic import op

import loa.db

revision = '0006_editor'
down_revision = '0005_tamper'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('programme') as batch:
        batch.add_column(sa.Column('created_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('submitted_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('submitted_at', loa.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('approved_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('review_comment', sa.Text(), nullable=True))
    op.create_table(
        'clip',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('asset_sha256', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ['asset_sha256'], ['audio_asset.sha256'],
            name=op.f('fk_clip_asset_sha256_audio_asset'),
        ),
        sa.ForeignKeyConstraint(
            ['unit_id'], ['admin_unit.id'], name=op.f('fk_clip_unit_id_admin_unit')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_clip')),
        sa.UniqueConstraint('unit_id', 'name', name=op.f('uq_clip_unit_id')),
    )
    op.create_index(op.f('ix_clip_unit_id'), 'clip', ['unit_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_clip_unit_id'), table_name='clip')
    op.drop_table('clip')
    with op.batch_alter_table('programme') as batch:
        for name in ('review_comment', 'approved_by', 'submitted_at', 'submitted_by', 'created_by'):
            batch.drop_column(name)
