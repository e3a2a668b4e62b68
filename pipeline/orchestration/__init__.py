"""What the Airflow DAGs in ``dags/`` need beyond wiring, kept out of the DAG files and free of Airflow.

- ``defaults``: retries, schedules, asset names and batch size: plain constants the DAG files import at parse
  time (standard library only, so parsing stays cheap).
- ``batches``: inbox ids into numbered batches for dynamic task mapping, and their names in the UI.
- ``dates``: which day a daily-notice run covers and which period a close-period run closes, from the run's
  own timestamps (never ``logical_date``, which is None for manual and asset-triggered runs).
- ``faults``: our fault families turned into Airflow's retry semantics (Airflow is imported lazily there).
- ``report``: per-run summaries as log lines that operations can read.

Nothing here imports Airflow, pandas, SQLAlchemy, lxml or boto3 at module level.
"""
