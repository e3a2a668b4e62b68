"""carm-pipeline: read, check, assess, post and bill Commercial Accounting Declarations (CADs)."""

__version__ = "0.1.0"
