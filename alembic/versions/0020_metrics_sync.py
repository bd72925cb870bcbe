"""metric sync: sync runs, snapshots tied to their run (one per run and post), tracked post status

Revision ID: 0020
Revises: 0010
Create Date: 2026-12-02 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DT = sqlmodel.sql.sqltypes.UTCDateTime
STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", STR(length=20), nullable=False),
        sa.Column("trigger", STR(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("status", STR(length=20), nullable=False),
        sa.Column("started_at", UTC_DT(), nullable=False),
        sa.Column("finished_at", UTC_DT(), nullable=True),
        sa.Column("connections_total", sa.Integer(), nullable=False),
        sa.Column("connections_done", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("deferred", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_runs_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sync_runs_started_at"), ["started_at"], unique=False)

    with op.batch_alter_table("tracked_posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", STR(length=20), nullable=False, server_default="active"))
        batch_op.add_column(sa.Column("removed_at", UTC_DT(), nullable=True))

    with op.batch_alter_table("metric_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sync_run_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_metric_snapshots_sync_run", "sync_runs", ["sync_run_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_unique_constraint("uq_metric_snapshot_run_post", ["sync_run_id", "tracked_post_id"])

    with op.batch_alter_table("account_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sync_run_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_account_snapshots_sync_run", "sync_runs", ["sync_run_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_unique_constraint("uq_account_snapshot_run_conn", ["sync_run_id", "connection_id"])


def downgrade() -> None:
    with op.batch_alter_table("account_snapshots", schema=None) as batch_op:
        batch_op.drop_constraint("uq_account_snapshot_run_conn", type_="unique")
        batch_op.drop_constraint("fk_account_snapshots_sync_run", type_="foreignkey")
        batch_op.drop_column("sync_run_id")
    with op.batch_alter_table("metric_snapshots", schema=None) as batch_op:
        batch_op.drop_constraint("uq_metric_snapshot_run_post", type_="unique")
        batch_op.drop_constraint("fk_metric_snapshots_sync_run", type_="foreignkey")
        batch_op.drop_column("sync_run_id")
    with op.batch_alter_table("tracked_posts", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
        batch_op.drop_column("status")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_runs_started_at"))
        batch_op.drop_index(batch_op.f("ix_sync_runs_user_id"))
    op.drop_table("sync_runs")
