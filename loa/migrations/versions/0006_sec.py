"""web security and scoped acronyms: session versions, login attempts, unit report settings

Revision ID: 0006_sec
Revises: 0006_editor
Create Date: 2026-11-28 02:00:00.000000

Usernames become trimmed and lower case (logins compare them so). Acronyms gain
a unit: the entries that exist become global (no unit), read everywhere as before.
"""

import sqlalchemy as sa
from alembic import op

revision = '0006_sec'
down_revision = '0006_editor'
branch_labels = None
depends_on = None

USERS = sa.table('app_user', sa.column('id'), sa.column('username'))
OLD_ACRONYM = sa.table('acronym', sa.column('word'), sa.column('spoken'))


def _normalise_usernames(conn: sa.Connection) -> None:
    """Trim and lower-case every username; two that would then collide stop the upgrade."""
    rows = conn.execute(sa.select(USERS.c.id, USERS.c.username)).all()
    seen: dict[str, str] = {}
    for _, name in rows:
        key = name.strip().lower()
        if key in seen:
            raise RuntimeError(
                f"Tên đăng nhập {seen[key]!r} và {name!r} trùng nhau khi bỏ phân biệt hoa thường: "
                "đổi tên một người trước khi nâng cấp (usernames collide once case-insensitive)"
            )
        seen[key] = name
    for user_id, name in rows:
        if name != name.strip().lower():
            conn.execute(USERS.update().where(USERS.c.id == user_id)
                         .values(username=name.strip().lower()))


def _acronym_table(scoped: bool) -> None:
    if scoped:
        op.create_table(
            'acronym',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('unit_id', sa.Integer(), nullable=True),
            sa.Column('word', sa.String(length=32), nullable=False),
            sa.Column('spoken', sa.String(length=200), nullable=False),
            sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'],
                                    name=op.f('fk_acronym_unit_id_admin_unit')),
            sa.PrimaryKeyConstraint('id', name=op.f('pk_acronym')),
            sa.UniqueConstraint('unit_id', 'word', name=op.f('uq_acronym_unit_id')),
        )
        op.create_index(op.f('ix_acronym_unit_id'), 'acronym', ['unit_id'])
    else:
        op.create_table(
            'acronym',
            sa.Column('word', sa.String(length=32), nullable=False),
            sa.Column('spoken', sa.String(length=200), nullable=False),
            sa.PrimaryKeyConstraint('word', name=op.f('pk_acronym')),
        )


def upgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='0'))
    _normalise_usernames(conn)
    op.create_table(
        'unit_report',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('signer_title', sa.String(length=200), nullable=True),
        sa.Column('signer_name', sa.String(length=200), nullable=True),
        sa.Column('place', sa.String(length=100), nullable=True),
        sa.Column('report_to', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'],
                                name=op.f('fk_unit_report_unit_id_admin_unit')),
        sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_unit_report')),
    )
    op.create_table(
        'login_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt')),
    )
    for column in ('username', 'address', 'at'):
        op.create_index(op.f(f'ix_login_attempt_{column}'), 'login_attempt', [column])
    # The dictionary is small: read it, rebuild the table with its new key, write it back.
    entries = [dict(r._mapping) for r in conn.execute(sa.select(OLD_ACRONYM))]
    op.drop_table('acronym')
    _acronym_table(scoped=True)
    if entries:
        op.bulk_insert(sa.table('acronym', sa.column('unit_id'), sa.column('word'),
                                sa.column('spoken')),
                       [{'unit_id': None, **e} for e in entries])


def downgrade() -> None:
    conn = op.get_bind()
    scoped = sa.table('acronym', sa.column('unit_id'), sa.column('word'), sa.column('spoken'))
    # Global entries first, so a word some unit also defines keeps its global reading.
    kept: dict[str, str] = {}
    for word, spoken, _ in conn.execute(
        sa.select(scoped.c.word, scoped.c.spoken, scoped.c.unit_id)
        .order_by(scoped.c.unit_id.is_(None).desc())
    ):
        kept.setdefault(word, spoken)
    op.drop_index(op.f('ix_acronym_unit_id'), table_name='acronym')
    op.drop_table('acronym')
    _acronym_table(scoped=False)
    if kept:
        op.bulk_insert(OLD_ACRONYM, [{'word': w, 'spoken': s} for w, s in kept.items()])
    for column in ('username', 'address', 'at'):
        op.drop_index(op.f(f'ix_login_attempt_{column}'), table_name='login_attempt')
    op.drop_table('login_attempt')
    op.drop_table('unit_report')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
