"""pending account choice after a multi-account consent

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("oauth_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_accounts_enc", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("oauth_states", schema=None) as batch_op:
        batch_op.drop_column("pending_accounts_enc")
