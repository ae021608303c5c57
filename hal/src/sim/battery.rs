//! battery (being written).
