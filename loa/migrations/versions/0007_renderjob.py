"""render jobs as rows: queued by the web, run by the scheduler or `loa worker`

Revision ID: 0007_renderjob
Revises: 0007_bulletin
Create Date: 2026-11-28 03:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0007_renderjob'
down_revision = '0007_bulletin'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('queued', 'running')"


def upgrade() -> None:
    op.create_table(
        'render_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='renderstatus',
                                    native_enum=False, length=16), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('requested_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('worker', sa.String(length=120), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('shown_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], ondelete='CASCADE',
                                name=op.f('fk_render_job_programme_id_programme')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_render_job')),
    )
    op.create_index(op.f('ix_render_job_programme_id'), 'render_job', ['programme_id'])
    op.create_index(op.f('ix_render_job_status'), 'render_job', ['status'])
    op.create_index('uq_render_job_active', 'render_job', ['programme_id'], unique=True,
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))


def downgrade() -> None:
    op.drop_index('uq_render_job_active', table_name='render_job')
    op.drop_index(op.f('ix_render_job_status'), table_name='render_job')
    op.drop_index(op.f('ix_render_job_programme_id'), table_name='render_job')
    op.drop_table('render_job')
