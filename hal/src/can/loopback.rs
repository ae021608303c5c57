//! In-process loopback CAN bus.
