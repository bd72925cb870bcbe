"""login attempts keep the client address (per-client and global login throttles)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default='')
        )
        batch_op.create_index('ix_login_attempts_client_at', ['client', 'attempted_at'], unique=False)
        batch_op.create_index('ix_login_attempts_at', ['attempted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_at')
        batch_op.drop_index('ix_login_attempts_client_at')
        batch_op.drop_column('client')
