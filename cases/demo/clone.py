"""The bulk of a large synthetic history, expanded in SQL (PostgreSQL only).

Simulating a case in Python costs about a millisecond (``cases.demo.generate``): a million
would take a quarter of an hour. So above ``generate.SIMULATE_UP_TO`` cases only two parts
are simulated — every case of the last ``generate.RECENT_DAYS`` days (their state depends on
"now") and a *pool* of stories spread over the older days on the same seasonal rhythm — and
the rest of the history is made in SQL from the pool's finished stories: each clone is a
pool case whose whole timeline (case, events, clocks, answers, feedback) is moved by a whole
number of weeks (whole years when it stays in range, so the season is kept; whole weeks
keep the weekday and the working hours). The story stays the simulator's; SQL only copies
and shifts it, one ``INSERT … SELECT`` per table and batch.

Only finished stories are cloned (closed, rejected, forwarded, or published without a
reaction wait, and no clock running), so moving one back in time keeps every row
consistent: its clocks were met or cancelled, its breaches and escalations stamped as the
sweep would have. A clone lands before the recent window and never after "now".

Columns are copied generically (a field added to a model later is copied from the
template; a ``DateTimeField`` is shifted too), except those that are the clone's own: its
id, external id, registration number, search text and the per-id author details.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

from cases.models import Answer, Case, CaseEvent, Feedback
from deadlines.models import Deadline

# Answers per case are at most six (generate: three per cycle, two cycles).
ANSWERS_PER_CASE = 6
BATCH = 100_000
TERMINAL = ("closed", "rejected", "forwarded", "published")
# Weeks a clone may move (and whole years, 52 weeks, when they keep it in range).
WEEKS = 6

_HASH_A, _HASH_B = 2_654_435_761, 40_503  # Knuth's multiplicative hashing constants


def _select(model, alias: str, own: dict[str, str]) -> tuple[list[str], list[str]]:
    """Column names and the expressions that fill them from the template row ``alias``."""
    columns, exprs = [], []
    for field in model._meta.concrete_fields:
        column = field.column
        if column in own:
            columns.append(column)
            exprs.append(own[column])
        elif field.primary_key:
            continue  # identity: the database numbers the row
        elif isinstance(field, models.DateTimeField):
            columns.append(column)
            exprs.append(f"{alias}.{column} + m.shift")
        else:
            columns.append(column)
            exprs.append(f"{alias}.{column}")
    return [f'"{c}"' for c in columns], exprs


def _case_own_columns() -> dict[str, str]:
    # The clone's registration number: the template's prefix, the clone's year and id (as
    # generate.emit writes it: f"{prefix}-{yy}-{pk:06d}").
    number = "CASE WHEN m.id < 1000000 THEN lpad(m.id::text, 6, '0') ELSE m.id::text END"
    year = "to_char((t.received_at + m.shift) AT TIME ZONE 'UTC', 'YY')"
    prefix_of = "regexp_replace({}, '-[0-9]+-[0-9]+$', '')"
    reg = f"{prefix_of.format('t.registration_number')} || '-' || {year} || '-' || {number}"
    # The search text is the template's with the clone's number and external id: the
    # lower-cased prefix is taken from the template's own (already folded) search text.
    folded_reg = (
        f"{prefix_of.format('left(t.search_text, length(t.registration_number))')}"
        f" || '-' || {year} || '-' || {number}"
    )
    middle = (
        "substr(t.search_text, length(t.registration_number) + 1, "
        "length(t.search_text) - length(t.registration_number) - length(t.external_id))"
    )
    return {
        "id": "m.id",
        "external_id": "'gen-' || m.id",
        "registration_number": reg,
        "search_text": f"{folded_reg} || {middle} || 'gen-' || m.id",
        "source_url": (
            "CASE WHEN t.channel = 'vk' THEN 'https://vk.com/wall-' || (m.id %% 9000 + 1000)"
            " || '_' || m.id ELSE '' END"
        ),
        "author_url": (
            "CASE WHEN t.channel = 'vk' THEN 'https://vk.com/id' || (1000000 + m.id) ELSE '' END"
        ),
        "author_contacts": (
            "CASE WHEN t.kind = 'incident' THEN '' ELSE '+7 913 ' || lpad((m.id %% 1000)::text,"
            " 3, '0') || '-' || (m.id %% 89 + 10) || '-11' END"
        ),
    }


def clone(
    cur,
    *,
    pool: tuple[int, int],
    first_id: int,
    count: int,
    first_answer_id: int,
    start: int,
    recent_start: int,
    now: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write ``count`` clones with ids ``first_id`` … of the finished stories among the
    pool cases ``pool`` (an id range); the numbers of rows written per table."""
    lo, hi = pool
    cur.execute(
        f"""
        CREATE TEMP TABLE gen_tpl ON COMMIT DROP AS
        WITH running AS (
            SELECT DISTINCT case_id FROM {Deadline._meta.db_table}
            WHERE case_id BETWEEN %(lo)s AND %(hi)s AND met_at IS NULL AND cancelled_at IS NULL
        ), first_answer AS (
            SELECT case_id, min(id) AS first FROM {Answer._meta.db_table}
            WHERE case_id BETWEEN %(lo)s AND %(hi)s GROUP BY case_id
        )
        SELECT (row_number() OVER (ORDER BY c.id) - 1)::bigint AS n, c.id,
               c.received_at, c.updated_at, coalesce(fa.first, 0) AS first_answer
        FROM {Case._meta.db_table} c
        LEFT JOIN first_answer fa ON fa.case_id = c.id
        WHERE c.id BETWEEN %(lo)s AND %(hi)s AND c.status = ANY(%(terminal)s)
          AND c.id NOT IN (SELECT case_id FROM running)
        """,
        {"lo": lo, "hi": hi, "terminal": list(TERMINAL)},
    )
    cur.execute("SELECT count(*) FROM gen_tpl")
    (templates,) = cur.fetchone()
    if not templates:
        raise RuntimeError("no finished story in the pool to clone")
    for name, model in (("ev", CaseEvent), ("dl", Deadline), ("an", Answer), ("fb", Feedback)):
        cur.execute(
            f"CREATE TEMP TABLE gen_{name} ON COMMIT DROP AS SELECT x.* FROM "
            f"{model._meta.db_table} x WHERE x.case_id IN (SELECT id FROM gen_tpl)"
        )
    # The clone map: which template, moved by how many weeks. A shift is valid when the
    # clone is received in [start, recent_start) and its last step is not after now.
    valid = (
        "t.received_at + make_interval(weeks => {w}) >= to_timestamp(%(start)s) "
        "AND t.received_at + make_interval(weeks => {w}) < to_timestamp(%(recent)s) "
        "AND t.updated_at + make_interval(weeks => {w}) <= to_timestamp(%(now)s)"
    )
    span = 2 * WEEKS + 1
    cur.execute(
        f"""
        CREATE TEMP TABLE gen_map ON COMMIT DROP AS
        SELECT g, %(first)s + g - 1 AS id, t.id AS tpl, t.first_answer,
               make_interval(weeks => s.w) AS shift
        FROM generate_series(1::bigint, %(count)s) AS g
        CROSS JOIN LATERAL (
            SELECT (g * {_HASH_A} + %(seed)s) %% %(templates)s AS n,
                   ((g * {_HASH_B} + %(seed)s) %% {span}) - {WEEKS} AS w0,
                   ((g * {_HASH_B} / {span} + %(seed)s) %% 3 - 1) * 52 AS y
        ) AS h
        JOIN gen_tpl t ON t.n = h.n
        CROSS JOIN LATERAL (
            SELECT CASE
                WHEN {valid.format(w="(h.w0 + h.y)::int")} THEN h.w0 + h.y
                WHEN {valid.format(w="h.w0::int")} THEN h.w0
                WHEN {valid.format(w="(-abs(h.w0))::int")} THEN -abs(h.w0)
                ELSE 0 END::int AS w
        ) AS s
        """,
        {
            "first": first_id,
            "count": count,
            "seed": seed % 1_000_003,
            "templates": templates,
            "start": start,
            "recent": recent_start,
            "now": now,
        },
    )
    cur.execute("CREATE INDEX ON gen_map (g)")
    for name in ("tpl", "ev", "dl", "an", "fb", "map"):
        cur.execute(f"ANALYZE gen_{name}")

    answer_id = (
        f"{first_answer_id} + (m.g - 1) * {ANSWERS_PER_CASE} + ({{a}}.{{c}} - m.first_answer)"
    )
    plans = [
        ("cases", Case, "t", f"{Case._meta.db_table} t ON t.id = m.tpl", _case_own_columns()),
        ("events", CaseEvent, "e", "gen_ev e ON e.case_id = m.tpl", {"case_id": "m.id"}),
        ("clocks", Deadline, "d", "gen_dl d ON d.case_id = m.tpl", {"case_id": "m.id"}),
        (
            "answers",
            Answer,
            "a",
            "gen_an a ON a.case_id = m.tpl",
            {"id": answer_id.format(a="a", c="id"), "case_id": "m.id"},
        ),
        (
            "feedback",
            Feedback,
            "f",
            "gen_fb f ON f.case_id = m.tpl",
            {
                "case_id": "m.id",
                "answer_id": (
                    f"CASE WHEN f.answer_id IS NULL THEN NULL ELSE "
                    f"{answer_id.format(a='f', c='answer_id')} END"
                ),
            },
        ),
    ]
    statements = []
    for what, model, alias, join, own in plans:
        columns, exprs = _select(model, alias, own)
        statements.append(
            (
                what,
                f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
                f"SELECT {', '.join(exprs)} FROM gen_map m JOIN {join} "
                "WHERE m.g BETWEEN %(a)s AND %(b)s",
            )
        )
    written = dict.fromkeys((what for what, *_ in plans), 0)
    done = 0
    while done < count:
        n = min(BATCH, count - done)
        for what, sql in statements:
            cur.execute(sql, {"a": done + 1, "b": done + n})
            written[what] += cur.rowcount
        done += n
        if progress:
            progress(done)
    return written


def drop_secondary_indexes(cur, tables: list[str]) -> list[str]:
    """Drop every index of ``tables`` but the primary keys and constraint-backed ones, and
    return their definitions: building an index once after the load is several times
    faster than maintaining it row by row (the caller recreates them in its transaction,
    so a failure leaves the schema as it was)."""
    cur.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [tables],
    )
    found = cur.fetchall()
    for name, _definition in found:
        cur.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in found]


def create_indexes(cur, definitions: list[str]) -> None:
    cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for definition in definitions:
        cur.execute(definition)
