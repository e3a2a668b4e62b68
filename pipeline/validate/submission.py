"""Validation of a parsed file: file-level codes (the reader's S codes, A01, A03), then every declaration.

Each declaration is judged on its own and in full even when the file is already rejected, so that a service
provider sees every problem of a file in one answer (spec/codes.md: S codes, A01 and A03 reject the file; A02
and the B codes reject the one declaration) — until the file's findings reach the cap: the declarations of a
rejected file after that are rejected by the file's errors alone and not judged further. Warnings (W codes) are not raised here: assessment and intake add
them to accepted declarations.

Every finding of a file passes here, whatever its syntax, so this is where a file's findings are capped
(``FindingBudget``: the first ``MAX_FINDINGS`` listed, the rest counted per code), which bounds ``carm validate``,
the answers and the stored outcome alike.
"""

from __future__ import annotations

from pipeline.findings import Finding, FindingBudget
from pipeline.parsers import ParseResult
from pipeline.validate.context import ValidationContext
from pipeline.validate.declaration import DeclarationChecker
from pipeline.validate.lookups import ReferenceLookups
from pipeline.validate.verdict import DeclarationVerdict, SubmissionVerdict


def validate_submission(result: ParseResult, context: ValidationContext) -> SubmissionVerdict:
    interchange = result.interchange
    budget = FindingBudget()
    file_findings: list[Finding] = list(result.findings)
    if interchange is None:
        return SubmissionVerdict(None, budget.take(file_findings), ())

    sender = interchange.sender
    sender_where = interchange.where.get("sender") or interchange.location
    sender_registered = True
    if context.registry is not None and sender not in context.registry.providers:
        sender_registered = False
        file_findings.append(Finding("A01", f'sender "{sender}" is not registered', sender_where))
    if context.sender_folder is not None and sender != context.sender_folder:
        file_findings.append(Finding(
            "A03", f'sender "{sender}" in the file differs from the sender folder "{context.sender_folder}"',
            sender_where,
        ))
    file_rejected = any(not finding.is_warning for finding in file_findings)
    listed_file_findings = budget.take(file_findings)  # the file's own findings spend the budget first

    checker = DeclarationChecker(context, ReferenceLookups(context.reference), sender, sender_registered)
    verdicts: list[DeclarationVerdict] = []
    for declaration in interchange.declarations:
        if file_rejected and budget.remaining <= 0:
            # The file's errors already reject this declaration and the answer has no room left to list its own:
            # judging it would only cost time and memory (a file of thousands of empty messages).
            verdicts.append(DeclarationVerdict(declaration, ()))
            continue
        findings = checker.check(declaration)
        if not file_rejected and not findings:
            checker.record_accepted(declaration)
        verdicts.append(DeclarationVerdict(declaration, budget.take(findings)))
    return SubmissionVerdict(interchange, listed_file_findings, tuple(verdicts))
