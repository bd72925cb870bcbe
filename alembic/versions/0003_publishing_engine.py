"""publishing engine: target states as strings, due time, lease, event log

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = ("draft", "scheduled", "publishing", "unconfirmed", "published", "failed")


def upgrade() -> None:
    with op.batch_alter_table("post_targets", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sa.Enum(*OLD_STATES, name="targetstatus"),
            type_=sa.String(length=20),
            existing_nullable=False,
            postgresql_using="status::text",
        )
        batch_op.add_column(sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("lease_owner", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
        )
        batch_op.add_column(sa.Column("lease_expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("native_schedule", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("error_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))
        batch_op.add_column(
            sa.Column(
                "created_at",
                sqlmodel.sql.sqltypes.UTCDateTime(),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )
        batch_op.create_index(batch_op.f("ix_post_targets_due_at"), ["due_at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TYPE IF EXISTS targetstatus")

    op.create_table(
        "post_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("platform_status", sa.Integer(), nullable=True),
        sa.Column("error_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["target_id"], ["post_targets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("post_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_events_target_id"), ["target_id"], unique=False)


    op.create_table(
        "media_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("media_file_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["media_file_id"], ["media_files.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["target_id"], ["post_targets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("media_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_grants_token_hash"), ["token_hash"], unique=True)
        batch_op.create_index(batch_op.f("ix_media_grants_target_id"), ["target_id"], unique=False)


def downgrade() -> None:
    op.drop_table("media_grants")
    op.drop_table("post_events")
    with op.batch_alter_table("post_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_targets_due_at"))
        for column in ("created_at", "error_code", "native_schedule", "lease_expires_at", "lease_owner", "due_at"):
            batch_op.drop_column(column)
    old = sa.Enum(*OLD_STATES, name="targetstatus")
    if op.get_bind().dialect.name == "postgresql":
        old.create(op.get_bind(), checkfirst=True)
    with op.batch_alter_table("post_targets", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=20),
            type_=old,
            existing_nullable=False,
            postgresql_using="status::targetstatus",
        )
