//! The module pool ("group charging"): the cabinet's power modules, shared among the
//! connectors through a switching matrix. Pure and time-injected, stepped by the station.
//!
//! See [`pool`] for the algorithm and its invariants.

pub mod pool;

pub use pool::{
    ContactorSpec, ModulePool, ModuleSpec, ModuleState, OutputDemand, PoolCommands, PoolInputs,
    PoolSnapshot, PoolTiming, PoolTopology, TopologyError,
};
