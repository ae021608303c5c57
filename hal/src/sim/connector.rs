//! connector (being written).
