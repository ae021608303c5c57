//! The vehicle side of CHAdeMO, sans IO: what the simulated truck and the tests plug into the
//! charger.
//!
//! It behaves like the field vehicles described in the reference notes (§1.6): it wakes on d1
//! and sends 0x100/0x101/0x102 every 100 ms; closes switch k about 1 s after the charger's
//! 108/109 show a compatible charger; closes its contactors about 1 s after d2; ramps its
//! current request toward what its BMS wants (slowly up, faster down); and on a stop waits for
//! the charger to report ≤ 5 A before it opens its contactors, runs its welding check and
//! reports 102.5.3 = 1. It has its own timeouts (charger silent for 1 s ⇒ stop) and flags a
//! current deviation (102.4.2) when the charger delivers ≥ 10 A more than requested for 5 s.
//! Faults are injectable, including going silent on CAN.

use std::collections::VecDeque;
use std::time::Duration;

use super::frames::{
    ChademoDecodeError, ChargerCapability, ChargerFrame, ChargerStatus, ChargingTime,
    ProtocolNumber, VehicleChargingTime, VehicleControl, VehicleFaults, VehicleLimits,
    VehicleStatusFlags, MAX_VOLTAGE_V,
};
use crate::can::CanFrame;
use crate::session::ControlLines;
use crate::time::Timestamp;

/// The vehicle sends its frames every 100 ms.
pub const VEHICLE_FRAME_PERIOD: Duration = Duration::from_millis(100);

/// How the simulated vehicle and its battery look on CHAdeMO.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChademoVehicleParams {
    /// 102.0
    pub protocol: ProtocolNumber,
    /// 100.4-5, volts.
    pub max_battery_voltage: f32,
    /// 100.2-3, volts.
    pub min_battery_voltage: f32,
    /// 102.1-2, volts.
    pub target_voltage: f32,
    /// 100.0, amperes.
    pub min_charge_current: f32,
    /// The most the vehicle ever requests (also sent in 100.1), amperes; CHAdeMO 1.x caps at 255.
    pub max_charge_current: f32,
    /// 101.5-6, kWh.
    pub capacity_kwh: f32,
    /// 101.1/2.
    pub max_charging_time: Duration,
    /// Charger's compatible 108/109 → switch k closed.
    pub permission_delay: Duration,
    /// d2 → contactors closed.
    pub contactor_delay: Duration,
    /// Contactors opened → 102.5.3 = 1 (the vehicle's own welding check).
    pub welding_check: Duration,
    /// Request ramp up, A/s (EVTV: +1 A per 100 ms frame is 10 A/s; field cars ~20 A/s).
    pub ramp_up: f32,
    /// Request ramp down, A/s.
    pub ramp_down: f32,
    /// No 108/109 for this long ⇒ the vehicle stops.
    pub charger_timeout: Duration,
    /// Current deviation: output above request by this much …
    pub deviation_margin: f32,
    /// … for this long ⇒ 102.4.2.
    pub deviation_time: Duration,
    /// Stop → contactors opened even if the charger still reports current (OSX: cars give up
    /// after 2.5 s).
    pub stop_timeout: Duration,
}

impl Default for ChademoVehicleParams {
    /// A heavy truck: 350 kWh around 600-750 V, 250 A.
    fn default() -> Self {
        ChademoVehicleParams {
            protocol: ProtocolNumber::V1_0,
            max_battery_voltage: 750.0,
            min_battery_voltage: 450.0,
            target_voltage: 740.0,
            min_charge_current: 0.0,
            max_charge_current: 250.0,
            capacity_kwh: 350.0,
            max_charging_time: Duration::from_secs(255 * 60),
            permission_delay: Duration::from_secs(1),
            contactor_delay: Duration::from_secs(1),
            welding_check: Duration::from_millis(500),
            ramp_up: 20.0,
            ramp_down: 100.0,
            charger_timeout: Duration::from_secs(1),
            deviation_margin: 10.0,
            deviation_time: Duration::from_secs(5),
            stop_timeout: Duration::from_millis(2500),
        }
    }
}

/// Where the vehicle's side of the sequence stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VehicleState {
    /// d1 off: silent.
    Asleep,
    /// Talking; waiting for the charger's 108 and 109.
    Handshake,
    /// The charger is compatible; switch k closes at `at`.
    Permitting { at: Timestamp },
    /// k closed and 102.5.0 = 1; waiting for d2.
    AwaitSetup,
    /// d2 seen; contactors close at `at`.
    ClosingContactors { at: Timestamp },
    /// Contactors closed; requesting current.
    Charging,
    /// Request at 0; waiting for the charger to reach ≤ 5 A.
    Stopping { since: Timestamp },
    /// Contactors open; own welding check runs until `until` (102.5.3 still 0).
    WeldingCheck { until: Timestamp },
    /// Finished (102.5.3 = 1, k open); waiting for d1 to drop.
    Done,
}

/// Why the vehicle stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VehicleStopCause {
    /// The BMS or driver asked ([`ChademoVehicle::request_stop`]).
    Requested,
    /// The charger stopped (109.5.5 after charging, a malfunction bit, or d2 dropped).
    ChargerStopped,
    /// No 108/109 for the charger timeout.
    ChargerSilent,
    /// A fault bit is set (injected, or the vehicle's own current-deviation check).
    Fault,
    /// The charger cannot supply the target voltage, or flagged the battery incompatible.
    Incompatible,
}

/// Faults that can be injected into the simulated vehicle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VehicleFault {
    BatteryOvervoltage,
    BatteryUndervoltage,
    CurrentDeviation,
    HighBatteryTemperature,
    VoltageDeviation,
    /// 102.5.1
    NotInPark,
    /// 102.5.2
    SystemFault,
}

/// The vehicle side of a CHAdeMO session. See the module documentation.
#[derive(Debug)]
pub struct ChademoVehicle {
    params: ChademoVehicleParams,
    state: VehicleState,
    lines: ControlLines,
    battery_voltage: f32,
    soc_percent: f32,
    battery_current: Option<f32>,
    bms_request: f32,
    /// The ramped request, amperes (quantized to whole amperes in 102.3).
    request: f32,
    charger_capability: Option<ChargerCapability>,
    charger_status: Option<ChargerStatus>,
    last_charger_frame_at: Option<Timestamp>,
    /// 109.5.0 has been seen at 1 this session: 109.5.5 = 1 from now on means "charger stops".
    charger_started: bool,
    permission: bool,
    charging_enabled: bool,
    contactors_closed: bool,
    stop_before_charging: bool,
    faults: VehicleFaults,
    not_in_park: bool,
    system_fault: bool,
    can_silent: bool,
    stop_requested: bool,
    stop_cause: Option<VehicleStopCause>,
    deviation_since: Option<Timestamp>,
    last_update: Option<Timestamp>,
    next_tx: Option<Timestamp>,
    tx_queue: VecDeque<CanFrame>,
    rejected_frames: u32,
    last_rejection: Option<ChademoDecodeError>,
}

impl ChademoVehicle {
    pub fn new(params: ChademoVehicleParams) -> Self {
        ChademoVehicle {
            params,
            state: VehicleState::Asleep,
            lines: ControlLines::default(),
            battery_voltage: 0.0,
            soc_percent: 0.0,
            battery_current: None,
            bms_request: 0.0,
            request: 0.0,
            charger_capability: None,
            charger_status: None,
            last_charger_frame_at: None,
            charger_started: false,
            permission: false,
            charging_enabled: false,
            contactors_closed: false,
            stop_before_charging: false,
            faults: VehicleFaults::default(),
            not_in_park: false,
            system_fault: false,
            can_silent: false,
            stop_requested: false,
            stop_cause: None,
            deviation_since: None,
            last_update: None,
            next_tx: None,
            tx_queue: VecDeque::new(),
            rejected_frames: 0,
            last_rejection: None,
        }
    }

    pub fn params(&self) -> &ChademoVehicleParams {
        &self.params
    }

    /// The charger's d1/d2 as the vehicle sees them; acted on at the next [`update`](Self::update).
    pub fn set_lines(&mut self, lines: ControlLines) {
        self.lines = lines;
    }

    /// The battery as the BMS measures it.
    pub fn set_battery(&mut self, voltage: f32, soc_percent: f32) {
        self.battery_voltage = finite_or(voltage, 0.0);
        self.soc_percent = finite_or(soc_percent, 0.0).clamp(0.0, 100.0);
    }

    /// The vehicle's own current measurement (charging positive). Without it the vehicle
    /// relies on the charger's 109.3.
    pub fn set_battery_current(&mut self, amps: f32) {
        self.battery_current = amps.is_finite().then_some(amps);
    }

    /// What the BMS wants now; 102.3 ramps toward it.
    pub fn set_current_request(&mut self, amps: f32) {
        self.bms_request = finite_or(amps, 0.0).max(0.0);
    }

    /// A normal stop (102.5.0 → 0), acted on at the next update. Requested while no session
    /// runs, it stops the next one before it charges (102.5.4).
    pub fn request_stop(&mut self) {
        self.stop_requested = true;
    }

    /// Raise a fault flag; the vehicle stops at the next update.
    pub fn inject_fault(&mut self, fault: VehicleFault) {
        match fault {
            VehicleFault::BatteryOvervoltage => self.faults.battery_overvoltage = true,
            VehicleFault::BatteryUndervoltage => self.faults.battery_undervoltage = true,
            VehicleFault::CurrentDeviation => self.faults.current_deviation = true,
            VehicleFault::HighBatteryTemperature => self.faults.high_battery_temperature = true,
            VehicleFault::VoltageDeviation => self.faults.voltage_deviation = true,
            VehicleFault::NotInPark => self.not_in_park = true,
            VehicleFault::SystemFault => self.system_fault = true,
        }
    }

    /// Stop (true) or resume (false) transmitting; everything else carries on.
    pub fn set_can_silent(&mut self, silent: bool) {
        self.can_silent = silent;
    }

    /// Clears injected faults, CAN silence and a stop request not yet acted on (a stop
    /// already taken stays taken).
    pub fn clear_faults(&mut self) {
        self.stop_requested = false;
        self.faults = VehicleFaults::default();
        self.not_in_park = false;
        self.system_fault = false;
        self.can_silent = false;
    }

    /// Switch k: the vehicle's charge permission.
    pub fn permission(&self) -> bool {
        self.permission
    }

    pub fn contactors_closed(&self) -> bool {
        self.contactors_closed
    }

    pub fn state(&self) -> VehicleState {
        self.state
    }

    pub fn stop_cause(&self) -> Option<VehicleStopCause> {
        self.stop_cause
    }

    /// The request as it goes out in 102.3, amperes.
    pub fn current_request(&self) -> u8 {
        amps_u8(self.request)
    }

    pub fn charger_capability(&self) -> Option<&ChargerCapability> {
        self.charger_capability.as_ref()
    }

    pub fn charger_status(&self) -> Option<&ChargerStatus> {
        self.charger_status.as_ref()
    }

    /// Malformed charger frames seen, and the last one's error.
    pub fn rejected_frames(&self) -> (u32, Option<&ChademoDecodeError>) {
        (self.rejected_frames, self.last_rejection.as_ref())
    }

    /// A frame from the charger.
    pub fn handle_frame(&mut self, frame: &CanFrame, now: Timestamp) {
        if self.state == VehicleState::Asleep {
            return;
        }
        match ChargerFrame::decode(frame) {
            Ok(ChargerFrame::Capability(c)) => {
                self.charger_capability = Some(c);
                self.last_charger_frame_at = Some(now);
            }
            Ok(ChargerFrame::Status(s)) => {
                if s.flags.charging {
                    self.charger_started = true;
                }
                self.charger_status = Some(s);
                self.last_charger_frame_at = Some(now);
            }
            Err(ChademoDecodeError::UnknownId(_)) | Err(ChademoDecodeError::ExtendedId(_)) => {}
            Err(e) => {
                self.rejected_frames = self.rejected_frames.saturating_add(1);
                self.last_rejection = Some(e);
            }
        }
    }

    /// Advance the vehicle's timers and sequence to `now`.
    pub fn update(&mut self, now: Timestamp) {
        let dt = self
            .last_update
            .map_or(Duration::ZERO, |last| now.saturating_since(last))
            .as_secs_f32();
        self.last_update = Some(now);

        if !self.lines.sequence_1 {
            if self.state != VehicleState::Asleep {
                self.sleep();
            }
            return;
        }
        if self.state == VehicleState::Asleep {
            self.wake(now);
        }

        self.check_stop_triggers(now);

        match self.state {
            VehicleState::Asleep | VehicleState::Done => {}
            VehicleState::Handshake => {
                if let (Some(cap), Some(status)) = (self.charger_capability, self.charger_status) {
                    if cap.available_voltage < volts_u16(self.params.target_voltage)
                        || status.flags.battery_incompatible
                    {
                        self.stop(VehicleStopCause::Incompatible, now);
                    } else {
                        self.state = VehicleState::Permitting {
                            at: now + self.params.permission_delay,
                        };
                    }
                }
            }
            VehicleState::Permitting { at } => {
                if now >= at {
                    self.permission = true;
                    self.charging_enabled = true;
                    self.state = VehicleState::AwaitSetup;
                }
            }
            VehicleState::AwaitSetup => {
                if self.lines.sequence_2 {
                    self.state = VehicleState::ClosingContactors {
                        at: now + self.params.contactor_delay,
                    };
                }
            }
            VehicleState::ClosingContactors { at } => {
                if !self.lines.sequence_2 {
                    self.stop(VehicleStopCause::ChargerStopped, now);
                } else if now >= at {
                    self.contactors_closed = true;
                    self.state = VehicleState::Charging;
                }
            }
            VehicleState::Charging => self.charge(now, dt),
            VehicleState::Stopping { since } => {
                self.request = 0.0;
                let charger_low = self
                    .charger_status
                    .is_none_or(|s| !s.flags.charging || s.output_current <= 5);
                let own_low = self.battery_current.is_none_or(|i| i <= 5.0);
                if !self.lines.sequence_2
                    || (charger_low && own_low)
                    || now >= since + self.params.stop_timeout
                {
                    self.contactors_closed = false;
                    self.state = VehicleState::WeldingCheck {
                        until: now + self.params.welding_check,
                    };
                }
            }
            VehicleState::WeldingCheck { until } => {
                if now >= until {
                    self.permission = false;
                    self.state = VehicleState::Done;
                }
            }
        }
    }

    /// The next frame to send: 0x100, 0x101, 0x102 in that order every 100 ms from d1.
    pub fn poll_transmit(&mut self, now: Timestamp) -> Option<CanFrame> {
        if self.state == VehicleState::Asleep {
            return None;
        }
        if let Some(due) = self.next_tx {
            if now >= due {
                let next = due + VEHICLE_FRAME_PERIOD;
                self.next_tx = Some(if next <= now {
                    now + VEHICLE_FRAME_PERIOD
                } else {
                    next
                });
                self.tx_queue.clear();
                if !self.can_silent {
                    let frames = [
                        self.limits_frame().encode(),
                        self.charging_time_frame().encode(),
                        self.control_frame().encode(),
                    ];
                    self.tx_queue.extend(frames.into_iter().flatten());
                }
            }
        }
        if self.can_silent {
            self.tx_queue.clear();
        }
        self.tx_queue.pop_front()
    }

    /// When the vehicle next needs `update`/`poll_transmit` even if nothing arrives.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let state_deadline = match self.state {
            VehicleState::Permitting { at } | VehicleState::ClosingContactors { at } => Some(at),
            VehicleState::WeldingCheck { until } => Some(until),
            VehicleState::Stopping { since } => Some(since + self.params.stop_timeout),
            _ => None,
        };
        let silence = self
            .last_charger_frame_at
            .map(|at| at + self.params.charger_timeout);
        [self.next_tx, state_deadline, silence]
            .into_iter()
            .flatten()
            .min()
    }

    /// 0x100 as it goes out now.
    pub fn limits_frame(&self) -> VehicleLimits {
        VehicleLimits {
            min_charge_current: amps_u8(self.params.min_charge_current),
            max_charge_current: amps_u8(self.params.max_charge_current),
            min_battery_voltage: volts_u16(self.params.min_battery_voltage),
            max_battery_voltage: volts_u16(self.params.max_battery_voltage),
            // Like a Leaf: 0xF0 until switch k closes, then the fixed 100 %.
            charged_rate_reference: if self.permission || self.charging_enabled {
                100
            } else {
                0xF0
            },
        }
    }

    /// 0x101 as it goes out now.
    pub fn charging_time_frame(&self) -> VehicleChargingTime {
        VehicleChargingTime {
            max_charging_time: ChargingTime::from_duration(self.params.max_charging_time),
            estimated_charging_time_min: self.estimated_minutes(),
            rated_capacity_0_1kwh: (finite_or(self.params.capacity_kwh, 0.0) * 10.0)
                .round()
                .clamp(0.0, f32::from(u16::MAX)) as u16,
        }
    }

    /// 0x102 as it goes out now.
    pub fn control_frame(&self) -> VehicleControl {
        VehicleControl {
            protocol: self.params.protocol,
            target_voltage: volts_u16(self.params.target_voltage),
            current_request: self.current_request(),
            faults: self.faults,
            status: VehicleStatusFlags {
                charging_enabled: self.charging_enabled,
                not_in_park: self.not_in_park,
                system_fault: self.system_fault,
                contactors_open: !self.contactors_closed
                    && !matches!(self.state, VehicleState::WeldingCheck { .. }),
                stop_before_charging: self.stop_before_charging,
                discharge_compatible: false,
            },
            charged_rate: self.soc_percent.round().clamp(0.0, 100.0) as u8,
        }
    }

    /// Minutes to full at the present power; 0 ("not given") while no current flows.
    fn estimated_minutes(&self) -> u8 {
        let power_kw = self.battery_voltage * self.request / 1000.0;
        if !(power_kw.is_finite() && power_kw > 1.0) {
            return 0;
        }
        let missing_kwh = self.params.capacity_kwh * (100.0 - self.soc_percent) / 100.0;
        let minutes = missing_kwh / power_kw * 60.0;
        finite_or(minutes, 0.0).ceil().clamp(0.0, 254.0) as u8
    }

    fn wake(&mut self, now: Timestamp) {
        let params = self.params;
        let battery = (self.battery_voltage, self.soc_percent, self.battery_current);
        let bms_request = self.bms_request;
        let injected = (
            self.faults,
            self.not_in_park,
            self.system_fault,
            self.can_silent,
            self.stop_requested,
        );
        let rejected = (self.rejected_frames, self.last_rejection.take());
        *self = ChademoVehicle::new(params);
        (self.battery_voltage, self.soc_percent, self.battery_current) = battery;
        self.bms_request = bms_request;
        (
            self.faults,
            self.not_in_park,
            self.system_fault,
            self.can_silent,
            self.stop_requested,
        ) = injected;
        (self.rejected_frames, self.last_rejection) = rejected;
        self.lines.sequence_1 = true;
        self.last_update = Some(now);
        self.state = VehicleState::Handshake;
        self.next_tx = Some(now);
    }

    /// d1 dropped: the session is over for the vehicle, whatever state it was in.
    fn sleep(&mut self) {
        self.state = VehicleState::Asleep;
        self.contactors_closed = false;
        self.permission = false;
        self.charging_enabled = false;
        self.request = 0.0;
        self.next_tx = None;
        self.tx_queue.clear();
    }

    fn check_stop_triggers(&mut self, now: Timestamp) {
        let active = matches!(
            self.state,
            VehicleState::Handshake
                | VehicleState::Permitting { .. }
                | VehicleState::AwaitSetup
                | VehicleState::ClosingContactors { .. }
                | VehicleState::Charging
        );
        if !active {
            return;
        }
        if self.faults.any() || self.system_fault {
            self.stop(VehicleStopCause::Fault, now);
        } else if self.stop_requested {
            self.stop_requested = false;
            self.stop(VehicleStopCause::Requested, now);
        } else if self
            .last_charger_frame_at
            .is_some_and(|at| now >= at + self.params.charger_timeout)
        {
            self.stop(VehicleStopCause::ChargerSilent, now);
        } else if let Some(s) = self.charger_status {
            let f = s.flags;
            if f.charger_malfunction
                || f.system_malfunction
                || f.battery_incompatible
                || (self.charger_started && f.stop_control)
            {
                let cause = if f.battery_incompatible {
                    VehicleStopCause::Incompatible
                } else {
                    VehicleStopCause::ChargerStopped
                };
                self.stop(cause, now);
            }
        }
    }

    /// One step of the current loop.
    fn charge(&mut self, now: Timestamp, dt: f32) {
        if !self.lines.sequence_2 {
            // The charger took d2 away: it has stopped; nothing to wait for.
            self.stop(VehicleStopCause::ChargerStopped, now);
            return;
        }
        let offered = self
            .charger_capability
            .map_or(0.0, |c| f32::from(c.available_current));
        let target = self
            .bms_request
            .min(self.params.max_charge_current)
            .min(offered)
            .clamp(0.0, 255.0);
        self.request = if target > self.request {
            (self.request + self.params.ramp_up * dt).min(target)
        } else {
            (self.request - self.params.ramp_down * dt).max(target)
        };

        let measured = self
            .battery_current
            .or_else(|| self.charger_status.map(|s| f32::from(s.output_current)));
        let limit = f32::from(self.current_request()) + self.params.deviation_margin;
        match measured {
            Some(i) if i > limit => {
                let since = *self.deviation_since.get_or_insert(now);
                if now >= since + self.params.deviation_time {
                    self.faults.current_deviation = true;
                    self.stop(VehicleStopCause::Fault, now);
                }
            }
            _ => self.deviation_since = None,
        }
    }

    fn stop(&mut self, cause: VehicleStopCause, now: Timestamp) {
        if self.stop_cause.is_none() {
            self.stop_cause = Some(cause);
        }
        if !matches!(self.state, VehicleState::Charging) {
            self.stop_before_charging = true;
        }
        self.charging_enabled = false;
        self.request = 0.0;
        self.deviation_since = None;
        self.state = if self.contactors_closed {
            VehicleState::Stopping { since: now }
        } else {
            self.permission = false;
            VehicleState::Done
        };
    }
}

fn finite_or(x: f32, fallback: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        fallback
    }
}

fn volts_u16(v: f32) -> u16 {
    finite_or(v, 0.0)
        .round()
        .clamp(0.0, f32::from(MAX_VOLTAGE_V)) as u16
}

fn amps_u8(a: f32) -> u8 {
    finite_or(a, 0.0).round().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: ControlLines = ControlLines {
        sequence_1: true,
        sequence_2: false,
        aux_power: false,
    };
    const D1_D2: ControlLines = ControlLines {
        sequence_1: true,
        sequence_2: true,
        aux_power: false,
    };

    fn ms(t: u64) -> Timestamp {
        Timestamp::from_millis(t)
    }

    fn drain(v: &mut ChademoVehicle, now: Timestamp) -> Vec<CanFrame> {
        std::iter::from_fn(|| v.poll_transmit(now)).collect()
    }

    fn charger_frames(available_v: u16, current: u8, flags: u8) -> [CanFrame; 2] {
        let cap = ChargerCapability {
            welding_detection: true,
            available_voltage: available_v,
            available_current: current,
            threshold_voltage: 750,
        };
        let mut status = ChargerStatus::decode(
            &CanFrame::standard(0x109, &[2, 0, 0, 0, 0, flags, 0, 0]).unwrap(),
        )
        .unwrap();
        status.output_current = 0;
        [cap.encode().unwrap(), status.encode().unwrap()]
    }

    #[test]
    fn silent_until_d1_then_sends_100_101_102_every_100ms() {
        let mut v = ChademoVehicle::new(ChademoVehicleParams::default());
        v.update(ms(0));
        assert!(drain(&mut v, ms(0)).is_empty());
        v.set_lines(D1);
        v.update(ms(10));
        let ids: Vec<u32> = drain(&mut v, ms(10)).iter().map(|f| f.id()).collect();
        assert_eq!(ids, vec![0x100, 0x101, 0x102]);
        assert!(drain(&mut v, ms(100)).is_empty());
        assert_eq!(v.poll_timeout(), Some(ms(110)));
        assert_eq!(drain(&mut v, ms(110)).len(), 3);
        let c = v.control_frame();
        assert!(c.status.contactors_open);
        assert!(!c.status.charging_enabled);
        assert_eq!(v.limits_frame().charged_rate_reference, 0xF0);
    }

    #[test]
    fn permission_after_compatible_charger_then_contactors_after_d2() {
        let mut v = ChademoVehicle::new(ChademoVehicleParams::default());
        v.set_lines(D1);
        v.update(ms(0));
        for f in charger_frames(1000, 200, 0x20) {
            v.handle_frame(&f, ms(100));
        }
        v.update(ms(100));
        assert!(!v.permission());
        v.update(ms(1099));
        assert!(!v.permission());
        for f in charger_frames(1000, 200, 0x20) {
            v.handle_frame(&f, ms(1100));
        }
        v.update(ms(1100));
        assert!(v.permission());
        assert!(v.control_frame().status.charging_enabled);
        assert_eq!(v.limits_frame().charged_rate_reference, 100);
        v.set_lines(D1_D2);
        v.update(ms(1200));
        assert!(!v.contactors_closed());
        for f in charger_frames(1000, 200, 0x24) {
            v.handle_frame(&f, ms(2200));
        }
        v.update(ms(2200));
        assert!(v.contactors_closed());
        assert!(!v.control_frame().status.contactors_open);
        // Ramps at 20 A/s toward min(BMS 300, max 250, offered 200).
        v.set_current_request(300.0);
        v.update(ms(2700));
        assert_eq!(v.current_request(), 10);
        for t in (2800..=20_000).step_by(100) {
            for f in charger_frames(1000, 200, 0x24) {
                v.handle_frame(&f, ms(t));
            }
            v.update(ms(t));
        }
        assert_eq!(v.current_request(), 200);
    }

    #[test]
    fn refuses_a_charger_below_its_target_voltage() {
        let mut v = ChademoVehicle::new(ChademoVehicleParams::default());
        v.set_lines(D1);
        v.update(ms(0));
        for f in charger_frames(500, 200, 0x20) {
            v.handle_frame(&f, ms(100));
        }
        v.update(ms(100));
        v.update(ms(3000));
        assert!(!v.permission());
        assert_eq!(v.stop_cause(), Some(VehicleStopCause::Incompatible));
    }

    #[test]
    fn stops_when_the_charger_goes_silent() {
        let mut v = ChademoVehicle::new(ChademoVehicleParams::default());
        v.set_lines(D1);
        v.update(ms(0));
        for f in charger_frames(1000, 200, 0x20) {
            v.handle_frame(&f, ms(100));
        }
        v.update(ms(1099));
        assert_eq!(v.stop_cause(), None);
        v.update(ms(1100));
        assert_eq!(v.stop_cause(), Some(VehicleStopCause::ChargerSilent));
        assert!(!v.permission());
        assert_eq!(v.state(), VehicleState::Done);
    }

    #[test]
    fn flags_current_deviation_after_five_seconds() {
        let mut v = ChademoVehicle::new(ChademoVehicleParams::default());
        v.set_lines(D1);
        v.update(ms(0));
        let feed_flags = |v: &mut ChademoVehicle, t: u64, flags: u8| {
            for f in charger_frames(1000, 200, flags) {
                v.handle_frame(&f, ms(t));
            }
            v.update(ms(t));
        };
        let feed = |v: &mut ChademoVehicle, t: u64| feed_flags(v, t, 0x05);
        feed_flags(&mut v, 100, 0x20);
        feed_flags(&mut v, 1100, 0x24);
        v.set_lines(D1_D2);
        feed_flags(&mut v, 1200, 0x24);
        feed_flags(&mut v, 2200, 0x24);
        assert!(v.contactors_closed());
        v.set_current_request(0.0);
        v.set_battery_current(30.0);
        for t in (2300..7200).step_by(100) {
            feed(&mut v, t);
        }
        assert_eq!(v.stop_cause(), None);
        feed(&mut v, 7300);
        assert_eq!(v.stop_cause(), Some(VehicleStopCause::Fault));
        assert!(v.control_frame().faults.current_deviation);
        // Still 30 A flowing: contactors stay closed until the stop timeout.
        assert!(v.contactors_closed());
        feed(&mut v, 9900);
        assert!(!v.contactors_closed(), "vehicle gives up after 2.5 s");
    }

    #[test]
    fn a_stop_requested_before_d1_applies_to_the_next_session() {
        let mut v = ChademoVehicle::new(ChademoVehicleParams::default());
        v.request_stop();
        v.update(ms(0));
        v.set_lines(D1);
        v.update(ms(10));
        assert_eq!(v.stop_cause(), Some(VehicleStopCause::Requested));
        assert!(v.control_frame().status.stop_before_charging);

        // Withdrawn before it was acted on: the next session runs.
        let mut v = ChademoVehicle::new(ChademoVehicleParams::default());
        v.request_stop();
        v.clear_faults();
        v.set_lines(D1);
        v.update(ms(10));
        assert_eq!(v.stop_cause(), None);
        assert_eq!(v.state(), VehicleState::Handshake);
    }

    #[test]
    fn can_silence_and_faults() {
        let mut v = ChademoVehicle::new(ChademoVehicleParams::default());
        v.set_lines(D1);
        v.update(ms(0));
        v.set_can_silent(true);
        assert!(drain(&mut v, ms(0)).is_empty());
        v.clear_faults();
        assert_eq!(drain(&mut v, ms(100)).len(), 3);
        v.inject_fault(VehicleFault::HighBatteryTemperature);
        v.update(ms(150));
        assert_eq!(v.stop_cause(), Some(VehicleStopCause::Fault));
        let c = v.control_frame();
        assert!(c.faults.high_battery_temperature);
        assert!(c.status.stop_before_charging);
        // d1 off: asleep and silent; rejected frames are counted, not fatal.
        v.handle_frame(&CanFrame::standard(0x109, &[9; 8]).unwrap(), ms(160));
        assert_eq!(v.rejected_frames().0, 1);
        v.set_lines(ControlLines::default());
        v.update(ms(200));
        assert_eq!(v.state(), VehicleState::Asleep);
        assert!(drain(&mut v, ms(300)).is_empty());
    }
}
