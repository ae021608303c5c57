//! truck (being written).
