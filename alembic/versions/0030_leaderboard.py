"""leaderboard: public accounts, pre-aggregated entries, refresh log; users.is_disabled

Revision ID: 0030
Revises: 0020
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0030"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METRICS = ("views", "engagement", "likes", "shares")


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_disabled", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "leaderboard_accounts",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id"),
    )
    op.create_index("ix_leaderboard_accounts_user_id", "leaderboard_accounts", ["user_id"])

    columns = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
    ]
    columns += [sa.Column(m, sa.BigInteger(), nullable=False) for m in METRICS]
    columns += [sa.Column(f"prev_{m}", sa.BigInteger(), nullable=False) for m in METRICS]
    columns += [sa.Column(f"rank_{m}", sa.Integer(), nullable=False) for m in METRICS]
    columns += [sa.Column(f"prev_rank_{m}", sa.Integer(), nullable=False) for m in METRICS]
    columns.append(sa.Column("refreshed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False))
    op.create_table(
        "leaderboard_entries",
        *columns,
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period", "platform", "user_id", name="uq_leaderboard_entry"),
    )
    op.create_index("ix_leaderboard_entries_user_id", "leaderboard_entries", ["user_id"])
    for m in METRICS:
        op.create_index(f"ix_leaderboard_{m}", "leaderboard_entries", ["period", "platform", f"rank_{m}"])

    op.create_table(
        "leaderboard_refreshes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("creators", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_leaderboard_refreshes_refreshed_at", "leaderboard_refreshes", ["refreshed_at"])


def downgrade() -> None:
    op.drop_index("ix_leaderboard_refreshes_refreshed_at", table_name="leaderboard_refreshes")
    op.drop_table("leaderboard_refreshes")
    for m in METRICS:
        op.drop_index(f"ix_leaderboard_{m}", table_name="leaderboard_entries")
    op.drop_index("ix_leaderboard_entries_user_id", table_name="leaderboard_entries")
    op.drop_table("leaderboard_entries")
    op.drop_index("ix_leaderboard_accounts_user_id", table_name="leaderboard_accounts")
    op.drop_table("leaderboard_accounts")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_disabled")
