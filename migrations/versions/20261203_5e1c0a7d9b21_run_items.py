"""run items: each item's result in a row of its own (operation_run_items) instead of the
run's growing results list, which every item's progress rewrote whole

Revision ID: 5e1c0a7d9b21
Revises: ab1f8def5613
Create Date: 2026-12-03 08:40:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1c0a7d9b21'
down_revision = 'ab1f8def5613'
branch_labels = None
depends_on = None


def upgrade():
    items = op.create_table(
        'operation_run_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('succeeded', 'failed', 'cancelled')",
            name=op.f('ck_operation_run_items_status'),
        ),
        sa.ForeignKeyConstraint(
            ['run_id'], ['operation_runs.id'],
            name=op.f('fk_operation_run_items_run_id_operation_runs'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_run_items')),
        sa.UniqueConstraint(
            'run_id', 'position', name=op.f('uq_operation_run_items_run_id_position')
        ),
    )
    # The results already recorded move to the new rows, one per item.
    conn = op.get_bind()
    runs = sa.table(
        'operation_runs',
        sa.column('id', sa.Integer()),
        sa.column('results', sa.JSON()),
        sa.column('finished_at', sa.DateTime()),
        sa.column('created_at', sa.DateTime()),
    )
    for run_id, results, finished_at, created_at in conn.execute(
        sa.select(runs.c.id, runs.c.results, runs.c.finished_at, runs.c.created_at)
    ):
        if isinstance(results, str):
            results = json.loads(results)
        rows = [
            {
                'run_id': run_id,
                'position': position,
                'status': result.get('status', 'failed'),
                'result': result,
                'finished_at': finished_at or created_at,
            }
            for position, result in enumerate(results or [])
        ]
        if rows:
            conn.execute(items.insert(), rows)
    with op.batch_alter_table('operation_runs', schema=None) as batch_op:
        batch_op.drop_column('results')


def downgrade():
    with op.batch_alter_table('operation_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results', sa.JSON(), nullable=True))
    conn = op.get_bind()
    items = sa.table(
        'operation_run_items',
        sa.column('run_id', sa.Integer()),
        sa.column('position', sa.Integer()),
        sa.column('result', sa.JSON()),
    )
    runs = sa.table('operation_runs', sa.column('id', sa.Integer()), sa.column('results', sa.JSON()))
    gathered = {}
    for run_id, _position, result in conn.execute(
        sa.select(items.c.run_id, items.c.position, items.c.result).order_by(
            items.c.run_id, items.c.position
        )
    ):
        gathered.setdefault(run_id, []).append(
            json.loads(result) if isinstance(result, str) else result
        )
    for run_id, results in gathered.items():
        conn.execute(runs.update().where(runs.c.id == run_id).values(results=results))
    op.drop_table('operation_run_items')
