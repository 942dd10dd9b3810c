"""The server's schema history starts here; each later revision adds the tables of one part.

Revision ID: s0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
