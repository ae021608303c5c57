//! OCPP 1.6J's messages as types ([`messages`], generated from the schemas by
//! [`crate::ocpp::codegen`]).

#[rustfmt::skip]
pub mod messages;

pub use messages::*;
