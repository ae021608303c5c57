//! Simulated digital I/O of one connector.
//!
//! Outputs are remembered as written; inputs are driven by the simulation (the plugged
//! vehicle, the emergency-stop button). The two feedback inputs lag their outputs as real
//! actuators do: a connector lock motor takes a couple of hundred milliseconds, a DC contactor
//! some tens. The station's checks ("lock feedback within 1 s", "contactor feedback matches
//! command") are only meaningful against such a lag.
//!
//! As in a real charger, the emergency-stop chain is wired in series with the contactor coils:
//! while it is open the contactors drop out whatever the station commands (see
//! [`SimIoParams::emergency_stop_opens_contactors`]).

use std::time::Duration;

use charger_protocol::Timestamp;

use crate::io::{DigitalInputs, DigitalIo, DigitalOutputs};

#[derive(Debug, Clone, PartialEq)]
pub struct SimIoParams {
    /// Lock feedback follows the lock output after this long. Default 200 ms.
    pub lock_delay: Duration,
    /// Contactor feedback (and the contacts themselves) follow the coil after this long.
    /// Default 30 ms.
    pub contactor_delay: Duration,
    /// The emergency-stop chain cuts the contactor coils. Default true.
    pub emergency_stop_opens_contactors: bool,
}

impl Default for SimIoParams {
    fn default() -> Self {
        SimIoParams {
            lock_delay: Duration::from_millis(200),
            contactor_delay: Duration::from_millis(30),
            emergency_stop_opens_contactors: true,
        }
    }
}

/// How an actuator has failed (the simulator's injected faults).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Stuck {
    #[default]
    No,
    /// Stays where it is, whatever the drive (a welded contact, a jammed lock).
    Here,
    /// Never reaches the driven-on position (a broken coil or its driver).
    Off,
}

/// An actuator whose position follows its drive after a fixed delay.
#[derive(Debug, Clone, Copy, Default)]
struct Actuator {
    position: bool,
    drive: bool,
    /// When `drive` last changed.
    changed_at: Timestamp,
    stuck: Stuck,
}

impl Actuator {
    fn drive(&mut self, on: bool, now: Timestamp) {
        if on != self.drive {
            self.drive = on;
            self.changed_at = now;
        }
    }

    fn step(&mut self, now: Timestamp, delay: Duration) {
        match self.stuck {
            Stuck::Here => return,
            Stuck::Off => {
                self.position = false;
                return;
            }
            Stuck::No => {}
        }
        if self.position != self.drive && now.saturating_since(self.changed_at) >= delay {
            self.position = self.drive;
        }
    }
}

/// Simulated connector I/O; advance it with [`step`](Self::step).
#[derive(Debug, Clone, Default)]
pub struct SimIo {
    params: SimIoParams,
    outputs: DigitalOutputs,
    plugged: bool,
    vehicle_permission: bool,
    emergency_stop: bool,
    lock: Actuator,
    contactors: Actuator,
    /// The lock's feedback switch reads "unlocked" whatever the lock does.
    lock_feedback_lost: bool,
    /// The contactors weld the next time they close (at once if closed now).
    weld_pending: bool,
    /// The backend marks every snapshot stale (its device stopped answering).
    stale: bool,
    /// Time of the latest step; outputs written between steps take effect from then.
    now: Timestamp,
}

impl SimIo {
    pub fn new(params: SimIoParams) -> SimIo {
        SimIo {
            params,
            ..SimIo::default()
        }
    }

    /// Advance the actuators to `now`.
    pub fn step(&mut self, now: Timestamp) {
        self.now = now;
        self.update_drives();
        self.lock.step(now, self.params.lock_delay);
        self.contactors.step(now, self.params.contactor_delay);
        if self.weld_pending && self.contactors.position {
            self.weld_pending = false;
            self.contactors.stuck = Stuck::Here;
        }
    }

    /// The contactors' contacts weld: once closed (now, or the next time) they stay closed
    /// whatever the coil does, their auxiliary contacts with them.
    pub fn weld_contactors(&mut self) {
        self.weld_pending = true;
        if self.contactors.position {
            self.weld_pending = false;
            self.contactors.stuck = Stuck::Here;
        }
    }

    /// The contactors never close (a broken coil or driver); they open at once if closed.
    pub fn stick_contactors_open(&mut self) {
        self.contactors.stuck = Stuck::Off;
    }

    /// The lock motor jams where it is.
    pub fn jam_lock(&mut self) {
        self.lock.stuck = Stuck::Here;
    }

    /// The lock's feedback switch reads "unlocked" (a broken microswitch or wire).
    pub fn lose_lock_feedback(&mut self) {
        self.lock_feedback_lost = true;
    }

    /// The I/O backend marks its snapshots stale (`true`) or fresh.
    pub fn set_stale(&mut self, stale: bool) {
        self.stale = stale;
    }

    /// Repair every actuator fault: the actuators follow their drives again (after their
    /// delays), feedback and snapshots are true again.
    pub fn clear_faults(&mut self) {
        self.weld_pending = false;
        self.lock_feedback_lost = false;
        self.stale = false;
        for a in [&mut self.lock, &mut self.contactors] {
            if a.stuck != Stuck::No {
                a.stuck = Stuck::No;
                // From now: a repaired actuator moves after its delay.
                a.changed_at = self.now;
            }
        }
    }

    /// The last outputs the station wrote.
    pub fn outputs(&self) -> DigitalOutputs {
        self.outputs
    }

    /// Whether the output contactors' main contacts are closed right now (after the coil lag,
    /// and open while the emergency stop cuts the coils). The circuit follows this, not the
    /// command.
    pub fn contactors_closed(&self) -> bool {
        self.contactors.position
    }

    /// Whether the connector is mechanically locked right now.
    pub fn locked(&self) -> bool {
        self.lock.position
    }

    pub fn set_plugged(&mut self, plugged: bool) {
        self.plugged = plugged;
    }

    pub fn set_vehicle_permission(&mut self, permission: bool) {
        self.vehicle_permission = permission;
    }

    /// Open (true) or close the emergency-stop chain.
    pub fn set_emergency_stop(&mut self, pressed: bool) {
        self.emergency_stop = pressed;
        self.update_drives();
    }

    fn update_drives(&mut self) {
        let coil = self.outputs.contactors
            && !(self.emergency_stop && self.params.emergency_stop_opens_contactors);
        self.contactors.drive(coil, self.now);
        self.lock.drive(self.outputs.connector_lock, self.now);
    }
}

impl DigitalIo for SimIo {
    fn write(&mut self, outputs: &DigitalOutputs) {
        self.outputs = *outputs;
        self.update_drives();
    }

    fn read(&self) -> DigitalInputs {
        DigitalInputs {
            plugged: self.plugged,
            vehicle_permission: self.vehicle_permission,
            emergency_stop: self.emergency_stop,
            locked: self.lock.position && !self.lock_feedback_lost,
            contactors_closed: self.contactors.position,
            stale: self.stale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Timestamp {
        Timestamp::from_millis(v)
    }

    fn outputs(contactors: bool, lock: bool) -> DigitalOutputs {
        DigitalOutputs {
            contactors,
            connector_lock: lock,
            ..DigitalOutputs::default()
        }
    }

    #[test]
    fn feedback_follows_outputs_after_the_actuator_delays() {
        let mut io = SimIo::default();
        io.step(ms(1000));
        io.write(&outputs(true, true));
        assert_eq!(io.outputs(), outputs(true, true));
        io.step(ms(1020));
        assert!(!io.read().contactors_closed && !io.read().locked);
        io.step(ms(1030));
        assert!(io.read().contactors_closed);
        assert!(!io.read().locked);
        io.step(ms(1200));
        assert!(io.read().locked);
        // And back.
        io.write(&outputs(false, false));
        io.step(ms(1210));
        assert!(io.read().contactors_closed);
        io.step(ms(1230));
        assert!(!io.read().contactors_closed);
        assert!(io.read().locked);
        io.step(ms(1400));
        assert!(!io.read().locked);
    }

    #[test]
    fn a_short_pulse_does_not_move_the_actuator() {
        let mut io = SimIo::default();
        io.step(ms(0));
        io.write(&outputs(true, false));
        io.step(ms(10));
        io.write(&outputs(false, false));
        io.step(ms(100));
        assert!(!io.read().contactors_closed);
    }

    #[test]
    fn inputs_come_from_the_simulation() {
        let mut io = SimIo::default();
        io.set_plugged(true);
        io.set_vehicle_permission(true);
        let r = io.read();
        assert!(r.plugged && r.vehicle_permission && !r.emergency_stop);
        io.set_plugged(false);
        assert!(!io.read().plugged);
    }

    #[test]
    fn a_welded_contactor_stays_closed_until_repaired() {
        let mut io = SimIo::default();
        io.step(ms(0));
        io.weld_contactors();
        io.write(&outputs(true, false));
        io.step(ms(50));
        assert!(io.read().contactors_closed);
        io.write(&outputs(false, false));
        io.step(ms(1000));
        assert!(io.contactors_closed() && io.read().contactors_closed);
        io.clear_faults();
        io.step(ms(1010));
        assert!(
            io.contactors_closed(),
            "a repaired contactor moves after its delay"
        );
        io.step(ms(1030));
        assert!(!io.contactors_closed());
    }

    #[test]
    fn a_stuck_open_contactor_never_closes() {
        let mut io = SimIo::default();
        io.step(ms(0));
        io.stick_contactors_open();
        io.write(&outputs(true, true));
        io.step(ms(1000));
        assert!(!io.contactors_closed() && !io.read().contactors_closed);
        assert!(io.read().locked, "only the contactors failed");
    }

    #[test]
    fn a_jammed_lock_and_a_lost_lock_feedback() {
        let mut io = SimIo::default();
        io.step(ms(0));
        io.jam_lock();
        io.write(&outputs(false, true));
        io.step(ms(1000));
        assert!(!io.locked() && !io.read().locked);
        io.clear_faults();
        io.step(ms(1300));
        assert!(io.read().locked);
        io.lose_lock_feedback();
        assert!(io.locked(), "the lock holds");
        assert!(!io.read().locked, "its feedback says otherwise");
    }

    #[test]
    fn a_stale_backend_marks_its_snapshots() {
        let mut io = SimIo::default();
        io.set_plugged(true);
        io.set_stale(true);
        let r = io.read();
        assert!(r.stale && r.plugged, "last known values, marked stale");
        io.clear_faults();
        assert!(!io.read().stale);
    }

    #[test]
    fn emergency_stop_drops_the_contactors() {
        let mut io = SimIo::default();
        io.step(ms(0));
        io.write(&outputs(true, true));
        io.step(ms(300));
        assert!(io.contactors_closed() && io.locked());
        io.set_emergency_stop(true);
        io.step(ms(310));
        assert!(io.read().emergency_stop);
        io.step(ms(330));
        assert!(!io.contactors_closed());
        assert!(io.read().locked, "the lock is not on the e-stop chain");
        io.set_emergency_stop(false);
        io.step(ms(400));
        assert!(
            io.contactors_closed(),
            "coil powered again, command still closed"
        );
    }
}
