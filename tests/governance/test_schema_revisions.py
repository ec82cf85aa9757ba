"""The schema revisions the governance store is checked against without alembic are alembic's own."""

from __future__ import annotations

import subprocess
import sys

from mlops_desktop.governance import db
from mlops_desktop.governance.store import open_governance


def test_revisions_are_the_migration_scripts_in_order() -> None:
    scripts = db._script_dir()
    ordered = [rev.revision for rev in reversed(list(scripts.walk_revisions()))]
    assert tuple(ordered) == db.REVISIONS
    assert scripts.get_current_head() == db.head_revision() == db.REVISIONS[-1]


def test_opening_a_store_at_head_imports_no_alembic(tmp_path) -> None:
    path = tmp_path / "gov.db"
    open_governance(str(path), create=True).close()  # created: migrated by alembic
    code = ("import sys; from mlops_desktop.governance.store import open_governance; "
            f"g = open_governance({str(path)!r}, create=False); "
            "print(g.schema_revision, g.read_only_reason, any(m.split('.')[0] == 'alembic' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert out == [db.head_revision(), "None", "False"]


def test_a_store_opened_while_another_thread_creates_it_is_whole(tmp_path) -> None:
    """The window's workers open the default store at once on a first start: one creates it, the
    others (never creating) must wait for its schema, not find a new empty file."""
    import threading

    from mlops_desktop.core.errors import StoreError

    for trial in range(5):
        path = tmp_path / f"gov{trial}.db"
        errors: list[str] = []
        opened: list[str] = []

        def reader(path=path, errors=errors, opened=opened) -> None:
            while not path.exists():
                pass
            try:
                gov = open_governance(str(path), create=False)
                opened.append(gov.schema_revision)
                gov.close()
            except StoreError as exc:
                errors.append(str(exc))

        readers = [threading.Thread(target=reader) for _ in range(3)]
        for t in readers:
            t.start()
        open_governance(str(path), create=True).close()
        for t in readers:
            t.join(timeout=30)
        assert errors == [] and opened == [db.head_revision()] * 3
