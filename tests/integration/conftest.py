"""Fixtures shared by the integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.desk import migrated_template


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, worker_id) -> Path:
    """One migrated SQLite database for the whole run (every xdist worker shares it):
    each integration desk copies it instead of migrating (``desk.migrate``)."""
    base = tmp_path_factory.getbasetemp()
    folder = base if worker_id == "master" else base.parent
    return migrated_template(folder)
