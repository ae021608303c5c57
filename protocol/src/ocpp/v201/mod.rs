//! OCPP 2.0.1's messages as types ([`messages`], generated from the schemas by
//! [`crate::ocpp::codegen`]).

#[rustfmt::skip]
pub mod messages;

pub use messages::*;
