//! The rig: the station core bound to its connectors' hardware, stepped by whatever clock the
//! caller has. The daemon steps it from tokio's clock; tests step it in simulated time. Nothing
//! here decides anything: it moves readings in and commands out.

use charger_hal::{
    ConnectorHardware, InletReport, InletState, ModuleCommand, PowerModule, SimCommand, SimError,
    SimulatorControl, SwitchingMatrix, TruckState,
};
use charger_protocol::{StopReason, Timestamp};
use serde::{Deserialize, Serialize};

use crate::power::{PoolCommands, PoolInputs, PoolSnapshot};
use crate::station::{
    CommandError, CommandOutcome, ConnectorSnapshot, HardwareInputs, HardwareOutputs, Offer,
    Station, StationCommand, StationEvent,
};

/// Below this current, in amperes, contactors may open without arcing ([`Rig::force_safe`]).
pub const SAFE_OPEN_CURRENT_A: f32 = 1.0;

/// A connector id and the hardware behind it.
pub type ConnectorBinding = (u32, Box<dyn ConnectorHardware>);

/// The module pool's hardware: its modules and matrix contactors, in the configured order.
#[derive(Debug)]
pub struct PoolHardware {
    pub modules: Vec<Box<dyn PowerModule>>,
    pub matrix: Box<dyn SwitchingMatrix>,
    /// How many contactors the matrix has.
    pub contactors: usize,
}

impl PoolHardware {
    fn inputs(&self) -> PoolInputs {
        PoolInputs {
            modules: self.modules.iter().map(|m| m.reading()).collect(),
            feedback: (0..self.contactors)
                .map(|i| self.matrix.feedback(i))
                .collect(),
        }
    }

    fn apply(&mut self, cmds: &PoolCommands, now: Timestamp) {
        for (i, m) in self.modules.iter_mut().enumerate() {
            if let Some(Some(range)) = cmds.ranges.get(i) {
                m.set_range(*range, now);
            }
            if cmds.fault_resets.get(i) == Some(&true) {
                m.reset_fault(now);
            }
            m.command(
                cmds.modules.get(i).copied().unwrap_or(ModuleCommand::OFF),
                now,
            );
        }
        for (i, closed) in cmds.contactors.iter().enumerate() {
            self.matrix.set(i, *closed, now);
        }
    }
}

/// See [`Rig::probe`].
#[derive(Debug, Clone)]
pub struct Probe {
    pub outputs: HardwareOutputs,
    pub power: charger_hal::PowerReading,
    pub truck: Option<TruckState>,
    pub offer: Offer,
}

/// A connector's status, with what the simulator knows of the truck when it is simulated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorView {
    #[serde(flatten)]
    pub station: ConnectorSnapshot,
    pub simulated: bool,
    pub truck: Option<TruckState>,
    /// The simulated cooling plant's truth (true hottest pin, ambient), which the station
    /// sees only through its sensors; absent without a simulated cooling plant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plant: Option<charger_hal::SimPlantView>,
    /// The thermal derating controller's view (`chargerctl thermal`); absent without a
    /// cooling unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thermal: Option<crate::thermal::ThermalStatus>,
}

#[derive(Debug, thiserror::Error, Serialize, Deserialize, Clone, PartialEq)]
pub enum SimRequestError {
    #[error("no connector {0}")]
    UnknownConnector(u32),
    #[error("connector {0} is not simulated: a real vehicle plugs in there")]
    NotSimulated(u32),
    #[error("{0}")]
    Sim(#[from] SimError),
}

struct Slot {
    id: u32,
    hardware: Box<dyn ConnectorHardware>,
    can_errors: u64,
    last: HardwareOutputs,
    /// The bus's last frames, both ways (`chargerctl hw can-dump`).
    can_log: CanLog,
}

/// Frames a connector's CAN log keeps: at 10 ms steps and a dozen frames a step, about a
/// second, more than a client polling every 100 ms needs.
pub const CAN_LOG_FRAMES: usize = 1024;

/// One frame on a connector's bus as `chargerctl hw can-dump` gets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedFrame {
    /// Counts every frame logged on this connector since the daemon started.
    pub seq: u64,
    /// The station's clock, in ms.
    pub at_ms: u64,
    /// From the vehicle (`true`) or to it.
    pub received: bool,
    pub id: u32,
    pub extended: bool,
    pub data: Vec<u8>,
}

/// The last [`CAN_LOG_FRAMES`] frames of one bus.
#[derive(Debug, Default)]
pub struct CanLog {
    frames: std::collections::VecDeque<LoggedFrame>,
    next: u64,
}

impl CanLog {
    fn push(&mut self, at: Timestamp, received: bool, frame: &charger_protocol::CanFrame) {
        if self.frames.len() == CAN_LOG_FRAMES {
            self.frames.pop_front();
        }
        self.frames.push_back(LoggedFrame {
            seq: self.next,
            at_ms: at.as_millis(),
            received,
            id: frame.id(),
            extended: frame.is_extended(),
            data: frame.data().to_vec(),
        });
        self.next = self.next.saturating_add(1);
    }

    /// The frames from sequence number `from` on (all kept, for `None`), the number to ask
    /// from next time, and how many from `from` on are no longer kept (the client was slow).
    pub fn since(&self, from: Option<u64>) -> (Vec<LoggedFrame>, u64, u64) {
        let first_kept = self.frames.front().map_or(self.next, |f| f.seq);
        // Past the end: the daemon restarted under the reader; start again from what is kept.
        let from = from.filter(|f| *f <= self.next).unwrap_or(first_kept);
        let missed = first_kept.saturating_sub(from);
        let frames = self
            .frames
            .iter()
            .filter(|f| f.seq >= from)
            .cloned()
            .collect();
        (frames, self.next, missed)
    }
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("id", &self.id)
            .field("can_errors", &self.can_errors)
            .finish()
    }
}

/// The station and its hardware. See the module documentation.
#[derive(Debug)]
pub struct Rig {
    station: Station,
    slots: Vec<Slot>,
    pool: Option<PoolHardware>,
}

impl Rig {
    /// `hardware` pairs each configured connector id with its hardware.
    pub fn new(station: Station, hardware: Vec<ConnectorBinding>) -> Rig {
        let slots = hardware
            .into_iter()
            .map(|(id, hardware)| Slot {
                id,
                hardware,
                can_errors: 0,
                last: HardwareOutputs::default(),
                can_log: CanLog::default(),
            })
            .collect();
        Rig {
            station,
            slots,
            pool: None,
        }
    }

    /// The station's module pool runs on `pool` (the configuration's `[pool]`, in its order).
    pub fn with_pool(mut self, pool: PoolHardware) -> Rig {
        self.pool = Some(pool);
        self
    }

    /// Advance every connector to `now`: physics (for simulated hardware), readings in,
    /// one station step for all connectors (they share the station's budgets), commands out.
    /// The last word when the process must leave with sessions still energized (the shutdown
    /// grace period ran out): every supply off and every insulation test stopped now; once
    /// every output carries less than [`SAFE_OPEN_CURRENT_A`], the contactors open and the
    /// lines go to rest. `open_anyway` opens them whatever flows (the last resort, after the
    /// supplies had their time to ramp down). Returns whether the contactors are open.
    pub fn force_safe(&mut self, now: Timestamp, open_anyway: bool) -> bool {
        let mut quiet = true;
        if let Some(pool) = self.pool.as_mut() {
            pool.matrix.step(now);
            for m in &mut pool.modules {
                m.step(now);
                m.command(ModuleCommand::OFF, now);
                let flowing = m.reading().current.abs();
                if flowing.is_nan() || flowing >= SAFE_OPEN_CURRENT_A {
                    quiet = false;
                }
            }
        }
        for slot in &mut self.slots {
            let hw = &mut slot.hardware;
            hw.step(now);
            hw.power().command(charger_protocol::PowerCommand::OFF, now);
            hw.imd().set_measuring(false, now);
            let flowing = hw.power().reading().current.abs();
            // NaN counts as current flowing.
            if flowing.is_nan() || flowing >= SAFE_OPEN_CURRENT_A {
                quiet = false;
            }
        }
        if quiet || open_anyway {
            if let Some(pool) = self.pool.as_mut() {
                for i in 0..pool.contactors {
                    pool.matrix.set(i, false, now);
                }
            }
            for slot in &mut self.slots {
                slot.hardware
                    .io()
                    .write(&charger_hal::DigitalOutputs::default());
            }
        }
        quiet || open_anyway
    }

    pub fn step(&mut self, now: Timestamp) {
        if let Some(pool) = self.pool.as_mut() {
            pool.matrix.step(now);
        }
        let mut inputs = Vec::with_capacity(self.slots.len());
        for slot in &mut self.slots {
            let hw = &mut slot.hardware;
            hw.step(now);
            let mut frames = Vec::new();
            loop {
                match hw.can().try_recv() {
                    Ok(Some(f)) => {
                        slot.can_log.push(now, true, &f);
                        frames.push(f);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        slot.can_errors += 1;
                        // A dead bus shows as silence to the session, which stops on its
                        // deadline; the log says why without flooding.
                        if slot.can_errors.is_power_of_two() {
                            tracing::warn!(connector = slot.id, error = %e, count = slot.can_errors, "CAN receive error");
                        }
                        break;
                    }
                }
            }
            inputs.push((
                slot.id,
                HardwareInputs {
                    io: hw.io().read(),
                    power: hw.power().reading(),
                    imd: hw.imd().reading(),
                    meter: hw.meter().map(|m| m.reading()),
                    frames,
                    cooling: hw.cooling().map(|c| c.reading()),
                    unavailable: hw.unavailable(),
                },
            ));
        }
        let pool_inputs = self.pool.as_mut().map(|pool| {
            for m in &mut pool.modules {
                m.step(now);
            }
            pool.inputs()
        });
        let (outputs, pool_commands) =
            self.station
                .step_with_pool(&inputs, pool_inputs.as_ref(), now);
        if let (Some(pool), Some(cmds)) = (self.pool.as_mut(), pool_commands.as_ref()) {
            pool.apply(cmds, now);
        }
        for (slot, (_, out)) in self.slots.iter_mut().zip(outputs) {
            let pooled = self.station.pooled(slot.id);
            let hw = &mut slot.hardware;
            hw.io().write(&out.io);
            if !pooled {
                hw.power().command(out.power, now);
            }
            hw.imd().set_measuring(out.imd_measuring, now);
            // The cooling unit's command goes to its cached setpoints; never waits.
            if let (Some(cmd), Some(cooling)) = (out.cooling, hw.cooling()) {
                cooling.command(cmd, now);
            }
            for f in &out.frames {
                // Logged as sent only when the port took it.
                match hw.can().send(f) {
                    Ok(()) => slot.can_log.push(now, false, f),
                    Err(e) => {
                        slot.can_errors += 1;
                        if slot.can_errors.is_power_of_two() {
                            tracing::warn!(connector = slot.id, error = %e, count = slot.can_errors, "CAN send error");
                        }
                    }
                }
            }
            if let Err(e) = hw.can().flush() {
                slot.can_errors += 1;
                if slot.can_errors.is_power_of_two() {
                    tracing::warn!(connector = slot.id, error = %e, count = slot.can_errors, "CAN flush error");
                }
            }
            slot.last = out;
        }
    }

    pub fn command(
        &mut self,
        cmd: StationCommand,
        now: Timestamp,
    ) -> Result<CommandOutcome, CommandError> {
        self.station.command(cmd, now)
    }

    /// Drive the simulator of connector `id` (plug a truck in, inject a fault...).
    pub fn simulate(
        &mut self,
        id: u32,
        cmd: SimCommand,
        now: Timestamp,
    ) -> Result<(), SimRequestError> {
        let sim = self.simulator(id)?;
        tracing::info!(connector = id, command = ?cmd, "simulator command");
        sim.apply(cmd, now)?;
        Ok(())
    }

    fn simulator(&mut self, id: u32) -> Result<&mut dyn SimulatorControl, SimRequestError> {
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or(SimRequestError::UnknownConnector(id))?;
        slot.hardware
            .simulator()
            .ok_or(SimRequestError::NotSimulated(id))
    }

    /// An external vehicle simulator sets its side of connector `id`'s inlet and reads the
    /// charger's side.
    pub fn inlet(
        &mut self,
        id: u32,
        state: &InletState,
        now: Timestamp,
    ) -> Result<InletReport, SimRequestError> {
        Ok(self.simulator(id)?.inlet(state, now)?)
    }

    pub fn report_fault(&mut self, id: u32, reason: StopReason, now: Timestamp) {
        self.station.report_fault(id, reason, now);
    }

    pub fn poll_event(&mut self) -> Option<StationEvent> {
        self.station.poll_event()
    }

    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.station.poll_timeout()
    }

    /// The outputs last driven on connector `id` (for invariant checks in tests).
    /// Each connector's inputs as read, outputs as last commanded, and configured lines with
    /// their live state (`chargerctl hw`).
    pub fn board(
        &mut self,
        now: Timestamp,
    ) -> Vec<(
        u32,
        charger_hal::DigitalInputs,
        charger_hal::DigitalOutputs,
        Vec<charger_hal::LineStatus>,
    )> {
        self.slots
            .iter_mut()
            .map(|slot| {
                let io = slot.hardware.io();
                (slot.id, io.read(), slot.last.io, io.lines(now))
            })
            .collect()
    }

    /// Connector `id`'s logged frames from `from` on (see [`CanLog::since`]).
    pub fn can_log(&self, id: u32, from: Option<u64>) -> Option<(Vec<LoggedFrame>, u64, u64)> {
        self.slots
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.can_log.since(from))
    }

    /// Every output driven by hand goes back to the station (see [`Station::release_test_outputs`]).
    pub fn release_test_outputs(&mut self) {
        self.station.release_test_outputs();
    }

    /// The pool's matrix lines with their live state (`chargerctl hw`).
    pub fn matrix_lines(&self, now: Timestamp) -> Vec<charger_hal::LineStatus> {
        self.pool
            .as_ref()
            .map(|p| p.matrix.lines(now))
            .unwrap_or_default()
    }

    pub fn last_outputs(&self, id: u32) -> Option<&HardwareOutputs> {
        self.slots.iter().find(|s| s.id == id).map(|s| &s.last)
    }

    pub fn status(&mut self) -> Vec<ConnectorView> {
        let snapshots = self.station.snapshot();
        snapshots
            .into_iter()
            .map(|station| {
                let slot = self.slots.iter_mut().find(|s| s.id == station.id);
                let sim = slot.and_then(|s| s.hardware.simulator());
                ConnectorView {
                    simulated: sim.is_some(),
                    truck: sim.as_ref().and_then(|s| s.truck()),
                    plant: sim.and_then(|s| s.plant()),
                    thermal: self.station.thermal(station.id),
                    station,
                }
            })
            .collect()
    }

    /// Everything an invariant check needs about connector `id` this instant: what was driven,
    /// what the supply reads, what the simulated truck knows, what the station offers.
    pub fn probe(&mut self, id: u32) -> Option<Probe> {
        let offer = self.station.offer(id)?;
        let slot = self.slots.iter_mut().find(|s| s.id == id)?;
        let power = slot.hardware.power().reading();
        let truck = slot.hardware.simulator().and_then(|s| s.truck());
        Some(Probe {
            outputs: slot.last.clone(),
            power,
            truck,
            offer,
        })
    }

    /// The module pool's state; `None` without a pool.
    pub fn pool(&self) -> Option<PoolSnapshot> {
        self.station.pool()
    }

    pub fn station(&self) -> &Station {
        &self.station
    }
}

#[cfg(test)]
mod can_log_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_log_keeps_the_last_frames_and_says_how_many_a_slow_reader_missed() {
        let mut log = CanLog::default();
        let f = charger_protocol::CanFrame::new(0x100, false, &[1, 2, 3]).unwrap();
        let (frames, next, missed) = log.since(None);
        assert!(frames.is_empty() && next == 0 && missed == 0);
        for i in 0..3 {
            log.push(Timestamp::from_millis(i * 10), i % 2 == 0, &f);
        }
        let (frames, next, missed) = log.since(Some(0));
        assert_eq!((frames.len(), next, missed), (3, 3, 0));
        assert!(frames[0].received && !frames[1].received && frames[2].at_ms == 20);
        assert!(log.since(Some(next)).0.is_empty());
        for i in 0..(CAN_LOG_FRAMES as u64 + 7) {
            log.push(Timestamp::from_millis(100 + i), true, &f);
        }
        let (frames, next, missed) = log.since(Some(3));
        assert_eq!(frames.len(), CAN_LOG_FRAMES);
        assert_eq!(next, 3 + CAN_LOG_FRAMES as u64 + 7);
        assert_eq!(missed, 7);
        assert_eq!(frames[0].seq, 10);
    }
}
