"""What the Airflow DAGs in ``dags/`` need beyond wiring, kept out of the DAG files and free of Airflow.

- ``defaults``: retries, schedules, asset names: constants the DAG files import at parse time (standard library
  only, so parsing stays cheap). The intake batch size is configuration, not one of them:
  ``Settings.intake_batch_size`` (``CARM_INTAKE_BATCH_SIZE``), read by the discovery task at run time.
- ``batches``: inbox ids into numbered batches for dynamic task mapping, and their names in the UI.
- ``dates``: which day a daily-notice run covers, which period a close-period run closes, and the moment a
  scheduled run acts at, from the run's ``run_after`` (never ``logical_date``, None for manual and
  asset-triggered runs); the checks of run configuration values.
- ``faults``: our fault families turned into Airflow's retry semantics (Airflow is imported lazily there).
- ``intake_results``: intake summaries through XCom and back, added with ``IntakeSummary.merge``.
- ``report``: run summaries as log lines operations can read.
- ``airflow_api``: a small client of Airflow's REST API (tokens, asset events, runs, logs), standard library
  only: for producers that wake the DAGs up after an upload, ``make airflow`` and the integration test.
- ``process_session``: stopping every process of a session (``make airflow``'s Airflow), and the watchdog that
  does it when the process that started it is killed.

Nothing here imports Airflow, pandas, SQLAlchemy, lxml or boto3 at module level (``intake_results`` imports the
intake package, so it is only imported inside task bodies).
"""
