//! GB/T 27930-2015 (being written).
