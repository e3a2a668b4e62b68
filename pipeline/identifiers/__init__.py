"""Identifiers of the CAD world, each in the python-stdnum style (``compact``, ``validate``, ``is_valid``,
``format``; failures raise the ``stdnum.exceptions`` classes, which derive from ``ValueError``).

- ``business_number``: BN9 and BN15 (python-stdnum's ``stdnum.ca.bn``) and the RM import account of a CAD.
- ``transaction_number``: the 14-digit CAD transaction number and its check digit (spec/identifiers.md).
- ``cargo_control``: the cargo control number of a shipment (carrier code + carrier's reference).
"""

from pipeline.identifiers import business_number, cargo_control, transaction_number

__all__ = ["business_number", "cargo_control", "transaction_number"]
