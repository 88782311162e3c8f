"""segment.spoken_words: the words TTS will read, counted once when the text is written

Revision ID: 0008_render
Revises: 0008_secrets
Create Date: 2026-12-04 15:40:00.000000

Lists and the programme page estimate lengths from it instead of normalising every
text on every view. Existing texts are counted here (with the built-in readings).
"""

import sqlalchemy as sa
from alembic import op

revision = '0008_render'
down_revision = '0008_secrets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from loa.audio.normalize import normalize_vi

    with op.batch_alter_table('segment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spoken_words', sa.Integer(), nullable=True))
    segment = sa.table('segment', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                       sa.column('text', sa.Text), sa.column('spoken_words', sa.Integer))
    connection = op.get_bind()
    rows = connection.execute(sa.select(segment.c.id, segment.c.text).where(
        segment.c.kind == 'tts', segment.c.text.is_not(None))).all()
    for row in rows:
        connection.execute(segment.update().where(segment.c.id == row.id).values(
            spoken_words=len(normalize_vi(row.text).split())))


def downgrade() -> None:
    with op.batch_alter_table('segment', schema=None) as batch_op:
        batch_op.drop_column('spoken_words')
