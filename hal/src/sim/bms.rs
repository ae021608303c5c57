//! bms (being written).
