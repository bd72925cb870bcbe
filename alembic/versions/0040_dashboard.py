"""dashboard: metric_rollups (per connection and quarter hour), tracked_posts thumbnail and
(connection_id, published_at) index

Revision ID: 0040
Revises: 0030
Create Date: 2026-12-02 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0040"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METRICS = ("views", "likes", "comments", "shares", "saves", "reach")


def upgrade() -> None:
    op.create_table(
        "metric_rollups",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        *[sa.Column(m, sa.BigInteger(), nullable=False) for m in METRICS],
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "bucket"),
    )
    with op.batch_alter_table("tracked_posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thumbnail_url", sa.Text(), nullable=True))
    op.create_index("ix_tracked_posts_conn_published", "tracked_posts", ["connection_id", "published_at"])


def downgrade() -> None:
    op.drop_index("ix_tracked_posts_conn_published", table_name="tracked_posts")
    with op.batch_alter_table("tracked_posts", schema=None) as batch_op:
        batch_op.drop_column("thumbnail_url")
    op.drop_table("metric_rollups")
