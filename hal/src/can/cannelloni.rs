//! cannelloni UDP transport (being written).
