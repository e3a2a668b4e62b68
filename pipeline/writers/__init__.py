"""Writers: the canonical model (and the answers) → bytes in an interface syntax.

``pipeline.writers.edifact`` holds the generic EDIFACT layer (escaping, segments, UNH/UNT messages, the UNB/UNZ
envelope), shared by the CUSDEC serializer there and the CONTRL/CUSRES answers; ``pipeline.writers.xml`` writes
the XML syntax.
"""
