//! J1939 identifiers and transport protocol (being written).
