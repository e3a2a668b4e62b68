"""Assessment: validated declarations in, duties and taxes to the cent out (spec/assessment.md).

Pure: no I/O, no clock. ``assess_declarations`` assesses a whole batch at once in exact integer arithmetic
(``engine``), and ``assess_records`` the same from what the readers recorded of the batch's lines (intake);
``oracle`` is the line-by-line Decimal reference it is tested against; ``explain`` gives, on request, the trail
behind every amount; ``render`` writes the ``carm assess`` JSON and text.
"""

from pipeline.assess.engine import assess_declarations, assess_frame, assess_records
from pipeline.assess.explain import LineExplanation, Step, explain_declaration, explain_line
from pipeline.assess.frame import LineFrame, build_line_frame, frame_from_records
from pipeline.assess.oracle import assess_declaration_decimal, assess_line_decimal
from pipeline.assess.render import (
    accepted_declaration_json,
    assessment_json,
    document_text,
    explanation_text,
    rejected_declaration_json,
)
from pipeline.assess.result import Assessment, UnassessableLine
from pipeline.assess.rules import AMOUNTS

__all__ = [
    "AMOUNTS",
    "Assessment",
    "LineExplanation",
    "LineFrame",
    "Step",
    "UnassessableLine",
    "accepted_declaration_json",
    "assess_declaration_decimal",
    "assess_declarations",
    "assess_frame",
    "assess_records",
    "assess_line_decimal",
    "assessment_json",
    "build_line_frame",
    "frame_from_records",
    "document_text",
    "explain_declaration",
    "explain_line",
    "explanation_text",
    "rejected_declaration_json",
]
