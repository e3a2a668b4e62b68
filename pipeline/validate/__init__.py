"""Validation: the model in, findings out (errors as data). Pure: no database, no bucket, no clock.

``validate_submission(result, context)`` judges a parsed file and each of its declarations and returns a
``SubmissionVerdict``. Checks that need the ledger (B04, B05, S13, DU) are answered through
``ValidationContext.history``, which is None outside intake.
"""

from pipeline.validate.context import LedgerHistory, ValidationContext
from pipeline.validate.submission import validate_submission
from pipeline.validate.verdict import DeclarationVerdict, SubmissionVerdict

__all__ = ["DeclarationVerdict", "LedgerHistory", "SubmissionVerdict", "ValidationContext", "validate_submission"]
