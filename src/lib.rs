//! chargerd: the charge controller daemon for high-power DC truck chargers.
//!
//! Layout (see ARCHITECTURE.md): [`station`] is the pure core; [`runtime`] binds it to hardware
//! and time; [`store`] is the SQLite journal; [`control`] is the Unix-socket API `chargerctl`
//! talks to; [`config`] reads and validates the configuration.

pub mod config;
pub mod control;
pub mod daemon;
pub mod evsim;
pub mod files;
pub mod hardware;
pub mod logging;
pub mod metrics;
pub mod notify;
pub mod ocpp;
pub mod ocpp_actor;
pub mod power;
pub mod probe;
pub mod runtime;
pub mod station;
pub mod steps;
pub mod store;
pub mod thermal;
pub mod wall_time;
