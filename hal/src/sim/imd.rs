//! imd (being written).
