"""The benchmark behind ``bench/run.py`` (the command line), one module per concern:

  config     where files go, the migrations measured, PostgreSQL's address, the targets
  processes  child processes (manage.py, bench/seed.py, bench/pages.py): wall time, peak RSS
  rows       the generated rows, the same on both engines, in SQLite's and PostgreSQL's SQL
  postgres   the PostgreSQL server: reachable?, create/copy/drop the bench's databases
  datasets   the data sets of each size, cached under bench/work/
  measure    the measurements: plain against safe_migrate, backup parts, read-only modes, pages
  report     the machine, the targets met or missed, the Markdown tables

Kept under bench/orbbench/ (not as bench/*.py) because bench/ is on the PYTHONPATH of every
manage.py child (for bench/scenarios/): top-level names like ``datasets`` would shadow packages.
"""
