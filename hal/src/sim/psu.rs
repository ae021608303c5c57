//! psu (being written).
