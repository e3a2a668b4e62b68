"""The CUSDEC reader on well-formed files: mapping to the model, locations, service characters, encodings."""

from __future__ import annotations

import dataclasses

from pipeline.parsers import read_submission
from pipeline.parsers.edifact import parse_edifact
from pipeline.writers.edifact import write_interchange
from tests.edifact_samples import fixture, rich_declaration, sample_interchange, values_only
from tests.model_samples import valid_declaration, valid_line


def test_clean_file_with_two_messages_maps_every_field():
    result = parse_edifact(fixture("clean_two_messages.edi"))
    assert result.syntax_ok and result.findings == ()
    interchange = result.interchange
    assert (interchange.syntax, interchange.sender, interchange.recipient, interchange.control_reference,
            interchange.prepared_at, interchange.charset, interchange.decimal_mark) == (
        "edifact", "SP00042", "CBSACARM", "ICR000017", "261126:0930", "UNOC", ".")
    assert interchange.location == "UNB#2"  # the UNA is position 1
    assert interchange.where["sender"] == "UNB#2" and interchange.where["decimal_mark"] == "UNA#1"

    first, second = interchange.declarations
    assert (first.function, first.transaction_number, first.version, first.cad_type) == (
        "9", "10207000002945", "00001", "AB")
    assert (first.document_date, first.release_date, first.shipment_date) == (
        "2025-05-05", "2025-05-05", "2025-05-02")
    assert (first.office, first.export_country, first.transport_mode, first.currency) == ("0497", "US", "2", "USD")
    assert (first.invoice_number, first.cargo_control, first.change_reason, first.broker) == (
        "INV-1", None, None, None)
    assert (first.importer.role, first.importer.id, first.importer.name) == (
        "IM", "123456782RM0001", "Acme Imports Ltd")
    vendor = first.vendor
    assert (vendor.role, vendor.name, vendor.street, vendor.city, vendor.postcode, vendor.country) == (
        "SE", "US Vendor Co", "1 Main St", "Buffalo", "14201", "US")
    assert (first.message_reference, first.location, first.declared_line_count) == ("1", "UNH#1", "1")
    (line,) = first.lines
    assert (line.number, line.classification, line.treatment, line.description, line.origin) == (
        "1", "9503001010", "2", "Tricycles", "CN")
    assert (line.unit, line.quantity, line.gross_weight_unit, line.gross_weight, line.value) == (
        "NMB", "10", "KGM", "82.5", "1000.00")
    assert line.location == "CST#14"
    assert line.where["gross_weight"] == "MEA#18" and line.where["value"] == "MOA#19"

    assert (second.cad_type, second.transport_mode, second.message_reference) == ("C", "8", "2")
    assert (second.broker.role, second.broker.id, second.broker.name) == ("CB", "864015219", "Border Brokers Inc")
    (clvs_line,) = second.lines
    assert (clvs_line.cargo_control, clvs_line.special_authority, clvs_line.gross_weight) == (
        "ABCD7654321", "24-25-GSTTPS", None)
    (filer,) = clvs_line.filer_amounts
    assert (filer.charge_type, filer.amount, filer.location, filer.currency) == ("CUD", "0.00", "MOA#22", None)
    assert second.where["declared_line_count"] == "CNT#24"


def test_read_submission_dispatches_edifact_here():
    assert read_submission(fixture("clean_two_messages.edi")) == parse_edifact(fixture("clean_two_messages.edi"))


def test_locations_are_those_the_shared_model_samples_expect():
    """tests.model_samples places fields as 'TAG#position' independently; the reader must agree exactly."""
    expected = rich_declaration()
    parsed = parse_edifact(write_interchange(sample_interchange(expected))).interchange.declarations[0]
    assert parsed.lines == expected.lines  # values, locations, where-maps and filer amounts
    for role in ("importer", "broker", "vendor"):
        assert getattr(parsed, role) == getattr(expected, role)
    assert parsed.location == expected.location
    assert {field: parsed.where[field] for field in expected.where} == expected.where


def test_una_with_custom_separators_and_decimal_comma_is_honoured():
    result = parse_edifact(fixture("una_custom_separators.edi"))
    assert result.syntax_ok, result.findings
    interchange = result.interchange
    assert interchange.decimal_mark == "," and interchange.control_reference == "ICR000019"
    declaration = interchange.declarations[0]
    assert declaration.importer.name == "ACME*CO^ 50!~"  # released element/component separators, release, terminator
    assert declaration.currency == "EUR"
    (line,) = declaration.lines
    # Amounts and quantities reach the model with '.', whatever the UNA says.
    assert (line.quantity, line.gross_weight, line.value) == ("10.5", "82.25", "1000.50")
    assert [(a.charge_type, a.amount) for a in line.filer_amounts] == [("CUD", "95.75")]


def test_release_character_escapes_every_service_character():
    result = parse_edifact(fixture("release_characters.edi"))
    assert result.syntax_ok, result.findings
    declaration = result.interchange.declarations[0]
    assert declaration.importer.name == "SMITH + JONES: IMPORTS"
    assert declaration.vendor.name == "O'BRIEN ? SONS"
    assert declaration.lines[0].description == "WHEELS+AXLES 50? OFF"
    assert declaration.vendor.where["city"] == "NAD#9"  # the escaped terminator did not split the segment


def test_unoc_reads_iso_8859_1():
    result = parse_edifact(fixture("unoc_latin1.edi"))
    assert result.syntax_ok, result.findings
    declaration = result.interchange.declarations[0]
    assert declaration.importer.name == "Société Générale Ltée"
    assert declaration.lines[0].description == "Crème brûlée dishes"


def test_unoy_reads_utf_8():
    result = parse_edifact(fixture("unoy_utf8.edi"))
    assert result.syntax_ok, result.findings
    assert result.interchange.charset == "UNOY"
    declaration = result.interchange.declarations[0]
    assert declaration.importer.name == "Société Générale Ltée"
    assert declaration.lines[0].description == "Ceramic bowls 東京 — €5"


def test_crlf_tabs_and_a_junk_line_before_the_una_are_ignored():
    reference = parse_edifact(fixture("unoc_latin1.edi").replace("Société Générale Ltée".encode("latin-1"),
                                                                 b"ACME IMPORTS LTD")
                              .replace("Crème brûlée dishes".encode("latin-1"), b"TRICYCLES"))
    result = parse_edifact(fixture("crlf_tabs_junk.edi"))
    assert result.syntax_ok, result.findings
    assert values_only(result.interchange.declarations) == values_only(reference.interchange.declarations)
    # Positions count segments, not lines: the UNA is 1, the UNB 2, and a message starts again at UNH = 1.
    assert result.interchange.location == "UNB#2"
    assert result.interchange.declarations[0].lines[0].location == "CST#13"


def test_functional_groups_hold_messages():
    result = parse_edifact(fixture("groups.edi"))
    assert result.syntax_ok, result.findings
    assert [d.message_reference for d in result.interchange.declarations] == ["M1", "M2"]
    assert result.interchange.location == "UNB#1"  # no UNA: the UNB is position 1


def test_dates_that_are_not_eight_digits_are_kept_verbatim_for_validation():
    text = fixture("clean_two_messages.edi").replace(b"DTM+58:20250505:102'", b"DTM+58:2025-5-5:102'", 1)
    result = parse_edifact(text)
    assert result.syntax_ok
    assert result.interchange.declarations[0].release_date == "2025-5-5"


def test_values_are_kept_as_sent_for_validation_to_judge():
    declaration = valid_declaration(style="edifact", transaction_number="123", version="7", office="X",
                                    lines=(valid_line(1, classification="9503.00.10", value="-1,5", unit=""),))
    parsed = parse_edifact(write_interchange(sample_interchange(declaration)))
    assert parsed.syntax_ok
    (line,) = parsed.interchange.declarations[0].lines
    assert (line.classification, line.value, line.unit) == ("9503.00.10", "-1,5", "")
    assert parsed.interchange.declarations[0].transaction_number == "123"


def test_text_split_over_components_is_joined():
    text = fixture("clean_two_messages.edi").replace(b"FTX+AAA+++Tricycles'", b"FTX+AAA+++Tricycles for:children'", 1)
    result = parse_edifact(text)
    assert result.syntax_ok
    assert result.interchange.declarations[0].lines[0].description == "Tricycles for children"


def test_a_file_of_many_messages_reads_them_all():
    declarations = [dataclasses.replace(rich_declaration(n), message_reference=str(n)) for n in range(1, 41)]
    result = parse_edifact(write_interchange(sample_interchange(*declarations)))
    assert result.syntax_ok
    assert [d.message_reference for d in result.interchange.declarations] == [str(n) for n in range(1, 41)]
