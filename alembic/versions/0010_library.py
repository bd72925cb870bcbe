"""library: tags on items; frame rate, codec, preview and carousel order on media files

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-02 03:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("library_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frame_rate", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("codec", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column("thumbnail_path", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.drop_column("position")
        batch_op.drop_column("thumbnail_path")
        batch_op.drop_column("codec")
        batch_op.drop_column("frame_rate")
    with op.batch_alter_table("library_items", schema=None) as batch_op:
        batch_op.drop_column("tags")
