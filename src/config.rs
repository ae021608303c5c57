//! Configuration: one TOML file, overridable by `CHARGERD_*` environment variables, deserialized
//! into typed structs and validated before anything starts.
//!
//! Every error names the file, the key and the reason, because the person reading it is a
//! technician on a ladder next to a charger, not the author of the file. Unknown keys are
//! errors: a misspelt `max_curent` silently ignored would leave a limit at its default.
//!
//! Environment overrides use `__` between levels: `CHARGERD_STATION__STATE_DIR=/tmp/x`.

pub mod io;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use charger_protocol::session::ChargerRating;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Where the daemon looks when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/chargerd/chargerd.toml";
/// The prefix of environment overrides.
pub const ENV_PREFIX: &str = "CHARGERD";

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {reason}")]
    Read { file: String, reason: String },
    #[error("{file}: key `{key}`: {reason}")]
    Invalid {
        file: String,
        key: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub station: StationSection,
    #[serde(default)]
    pub authorization: AuthorizationSection,
    #[serde(default)]
    pub insulation: InsulationSection,
    #[serde(default)]
    pub safety: SafetySection,
    /// `[supervision]`: deadlines on what the board I/O tells (contactor and lock feedback,
    /// the stop on a lost plug or lock, the output bleeder).
    #[serde(default)]
    pub supervision: SupervisionSection,
    /// The grid connection and how station-wide budgets are shared (the station allocator).
    #[serde(default)]
    pub site: SiteSection,
    pub connectors: Vec<ConnectorSection>,
    /// The OCPP 1.6J link to a CSMS; absent: the station runs stand-alone.
    #[serde(default)]
    pub ocpp: Option<crate::ocpp::OcppSection>,
    /// `[[devices]]`: the Modbus devices the station drives, each a profile, a role and a
    /// transport (README "Device instances").
    #[serde(default)]
    pub devices: Vec<charger_hal::devices::DeviceInstance>,
    /// `[[io_sources]]`: the GPIO chips and IIO ADCs the connectors' `io` tables map their
    /// lines to (README "Board I/O").
    #[serde(default)]
    pub io_sources: Vec<io::IoSourceSection>,
    /// The cabinet's shared pool of power modules and its switching matrix ("group
    /// charging"); absent: every connector has a power supply of its own.
    #[serde(default)]
    pub pool: Option<PoolSection>,
    /// The daemon's own rotated log file.
    #[serde(default)]
    pub log: LogSection,
    /// `[thermal]`: the thermal derating and cooling controller of each connector that has a
    /// cooling unit (README "Thermal derating"); without a cooling unit it has no effect.
    #[serde(default)]
    pub thermal: crate::thermal::ThermalSettings,
    /// `[simulator]`: the built-in plant simulator's physics (README "Thermal plant
    /// simulator").
    #[serde(default)]
    pub simulator: SimulatorSection,
    /// Why the `[ocpp]` section was set aside by [`Config::load_for_daemon`]: OCPP trouble
    /// never stops local charging, so the daemon runs without it and says why.
    #[serde(skip)]
    pub ocpp_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationSection {
    /// A name for logs and status output.
    #[serde(default = "default_station_name")]
    pub name: String,
    /// Where the session journal lives; must be writable.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// The read-only control socket (mode 0660, the service's group): status, sessions, OCPP
    /// status, configuration keys.
    #[serde(default = "default_control_socket")]
    pub control_socket: PathBuf,
    /// The admin socket (mode 0600: the service user and root): everything, including
    /// start/stop, availability, `config set` and the simulator. Default: `admin.sock` next to
    /// `control_socket`.
    #[serde(default)]
    pub admin_socket: Option<PathBuf>,
    /// Period of the control loop, in milliseconds.
    #[serde(default = "default_step_ms")]
    pub step_interval_ms: u64,
    /// Retired: it was applied to each connector on its own. Accepted by the parser only to
    /// refuse it with a message naming its replacement (`[site]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_max_current: Option<f32>,
    /// How often the energy register is persisted while charging, in seconds.
    #[serde(default = "default_meter_persist_s")]
    pub meter_persist_interval_s: u64,
}

fn default_station_name() -> String {
    "chargerd".into()
}
fn default_state_dir() -> PathBuf {
    PathBuf::from("/var/lib/chargerd")
}
fn default_control_socket() -> PathBuf {
    PathBuf::from("/run/chargerd/control.sock")
}
fn default_step_ms() -> u64 {
    10
}
fn default_meter_persist_s() -> u64 {
    30
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthorizationMode {
    /// Anyone may charge; `start` needs no id tag.
    Free,
    /// Only id tags in `id_tags` may start a session.
    LocalList,
    /// The OCPP charge point decides (local authorization list, cache, or the CSMS); needs an
    /// `[ocpp]` section.
    Ocpp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationSection {
    #[serde(default = "default_auth_mode")]
    pub mode: AuthorizationMode,
    #[serde(default)]
    pub id_tags: Vec<String>,
    /// In free mode, start charging as soon as a truck is plugged in.
    #[serde(default)]
    pub auto_start: bool,
    /// "Autocharge": on connectors whose protocol carries the vehicle's VIN (GB/T), start the
    /// session at plug-in to read it, and charge if the VIN is in `id_tags` (local-list mode).
    /// No current flows until the VIN is authorized.
    #[serde(default)]
    pub autocharge: bool,
    /// How long an authorization waits for a truck to be plugged in, in seconds.
    #[serde(default = "default_connection_timeout_s")]
    pub connection_timeout_s: u64,
}

fn default_auth_mode() -> AuthorizationMode {
    AuthorizationMode::Free
}
fn default_connection_timeout_s() -> u64 {
    60
}

impl Default for AuthorizationSection {
    fn default() -> Self {
        AuthorizationSection {
            mode: default_auth_mode(),
            id_tags: Vec::new(),
            auto_start: false,
            autocharge: false,
            connection_timeout_s: default_connection_timeout_s(),
        }
    }
}

/// Insulation thresholds in ohms per volt of output voltage (IEC 61851-23: a DC charger stops
/// below 100 Ω/V and warns below 500 Ω/V).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsulationSection {
    #[serde(default = "default_warning_ohm_per_volt")]
    pub warning_ohm_per_volt: f32,
    #[serde(default = "default_fault_ohm_per_volt")]
    pub fault_ohm_per_volt: f32,
    /// After the contactors close, readings are ignored this long: ramp-up transients make
    /// some monitors trip falsely.
    #[serde(default = "default_imd_grace_ms")]
    pub grace_after_close_ms: u64,
}

fn default_warning_ohm_per_volt() -> f32 {
    500.0
}
fn default_fault_ohm_per_volt() -> f32 {
    100.0
}
fn default_imd_grace_ms() -> u64 {
    500
}

impl Default for InsulationSection {
    fn default() -> Self {
        InsulationSection {
            warning_ohm_per_volt: default_warning_ohm_per_volt(),
            fault_ohm_per_volt: default_fault_ohm_per_volt(),
            grace_after_close_ms: default_imd_grace_ms(),
        }
    }
}

/// Plausibility checks on measurements.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetySection {
    /// A reading older than this is a fault, not a value.
    #[serde(default = "default_max_reading_age_ms")]
    pub max_reading_age_ms: u64,
    /// Measured current may exceed the commanded limit by this much…
    #[serde(default = "default_current_tolerance_a")]
    pub current_tolerance_a: f32,
    /// …for at most this long before it is implausible.
    #[serde(default = "default_implausible_after_ms")]
    pub implausible_after_ms: u64,
    /// A stale or implausible DC meter ends the session and keeps the connector Faulted
    /// until it answers (where billing must rest on metered energy). Default: the session
    /// goes on and the gap is recorded.
    #[serde(default)]
    pub stop_on_meter_failure: bool,
}

fn default_max_reading_age_ms() -> u64 {
    1000
}
fn default_current_tolerance_a() -> f32 {
    10.0
}
fn default_implausible_after_ms() -> u64 {
    500
}

impl Default for SafetySection {
    fn default() -> Self {
        SafetySection {
            max_reading_age_ms: default_max_reading_age_ms(),
            current_tolerance_a: default_current_tolerance_a(),
            implausible_after_ms: default_implausible_after_ms(),
            stop_on_meter_failure: false,
        }
    }
}

/// Deadlines on what the board I/O tells (README "Supervision of the board I/O"). Each is
/// checked once a control step, so each must be at least three steps long.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisionSection {
    /// The contactors' auxiliary contacts must follow the command within this long: still
    /// open this long after the close command is a contactor that failed to close, still
    /// closed this long after the open command a welded one. DC contactors operate in
    /// 20-50 ms. 20 to 2000 ms; default 200.
    #[serde(default = "default_contactor_feedback_deadline_ms")]
    pub contactor_feedback_deadline_ms: u64,
    /// The lock's feedback must report locked within this long of the lock command (a lock
    /// motor takes a few hundred ms); the contactors do not close before it does. 100 to
    /// 10000 ms; default 1000.
    #[serde(default = "default_lock_feedback_deadline_ms")]
    pub lock_feedback_deadline_ms: u64,
    /// After the plug (CHAdeMO proximity, GB/T CC1) or the lock feedback is lost, or the I/O
    /// went stale, while the output is energized: the supply goes off at once and the
    /// contactors open when the current is below 5 A or this long after, whichever comes
    /// first. GB/T's own rule is 5 A or 120 ms; the default leaves a supply that ramps down at
    /// 2 kA/s (ours, simulated) the time to bring 400 A below 5 A first, so that the deadline
    /// only acts for a supply that does not follow. 20 to 1000 ms; default 250.
    #[serde(default = "default_open_deadline_ms")]
    pub open_deadline_ms: u64,
    /// The output bleeder stays engaged at most this long after the contactors opened or a
    /// cable check ended, or until the cable is below 60 V (its resistor is rated for a
    /// discharge, not continuous duty). 200 to 30000 ms; default 4000.
    #[serde(default = "default_bleeder_deadline_ms")]
    pub bleeder_deadline_ms: u64,
}

fn default_contactor_feedback_deadline_ms() -> u64 {
    200
}
fn default_lock_feedback_deadline_ms() -> u64 {
    1000
}
fn default_open_deadline_ms() -> u64 {
    250
}
fn default_bleeder_deadline_ms() -> u64 {
    4000
}

impl Default for SupervisionSection {
    fn default() -> Self {
        SupervisionSection {
            contactor_feedback_deadline_ms: default_contactor_feedback_deadline_ms(),
            lock_feedback_deadline_ms: default_lock_feedback_deadline_ms(),
            open_deadline_ms: default_open_deadline_ms(),
            bleeder_deadline_ms: default_bleeder_deadline_ms(),
        }
    }
}

impl SupervisionSection {
    /// Each deadline in its range and at least three control steps of `step_ms`.
    fn validate(&self, step_ms: u64) -> Result<(), (String, String)> {
        for (key, value, lo, hi) in [
            (
                "contactor_feedback_deadline_ms",
                self.contactor_feedback_deadline_ms,
                20,
                2000,
            ),
            (
                "lock_feedback_deadline_ms",
                self.lock_feedback_deadline_ms,
                100,
                10_000,
            ),
            ("open_deadline_ms", self.open_deadline_ms, 20, 1000),
            ("bleeder_deadline_ms", self.bleeder_deadline_ms, 200, 30_000),
        ] {
            if !(lo..=hi).contains(&value) {
                return Err((
                    format!("supervision.{key}"),
                    format!("must be {lo} to {hi} ms"),
                ));
            }
            let steps = step_ms.saturating_mul(3);
            if value < steps {
                return Err((
                    format!("supervision.{key}"),
                    format!(
                        "must be at least three control steps ({steps} ms with \
                         station.step_interval_ms = {step_ms})"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// How the station allocator shares station-wide budgets among connectors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllocationPolicyKind {
    /// The same DC power for every connector that wants it; what one does not use goes to the
    /// others.
    #[default]
    EqualShare,
    /// The connectors in `site.priority` first, in that order, each as much as fits.
    Priority,
}

/// The grid connection (`[site]`): the budget the station allocator shares, on the grid side
/// of the converters. Without `max_grid_power_kw` and `max_grid_current_a` there is no site
/// budget (the OCPP charge-point-wide profile, when set, is still shared by `policy`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSection {
    /// AC active power the station may take from the grid, in kW.
    #[serde(default)]
    pub max_grid_power_kw: Option<f32>,
    /// AC current per phase (rms) at the grid connection, in amperes.
    #[serde(default)]
    pub max_grid_current_a: Option<f32>,
    /// Nominal line-to-line voltage of the three-phase connection, in volts.
    #[serde(default = "default_grid_voltage_v")]
    pub grid_voltage_v: f32,
    /// Power factor of the converters' input (converts the current limit to power).
    #[serde(default = "default_power_factor")]
    pub power_factor: f32,
    /// DC output power ÷ AC input power of the power converters.
    #[serde(default = "default_converter_efficiency")]
    pub converter_efficiency: f32,
    /// The station's own consumption besides the connectors' cooling units (controls, cabinet
    /// fans, lighting), in kW, counted as always drawn. The cooling units' draw is added live.
    #[serde(default)]
    pub auxiliary_load_kw: f32,
    #[serde(default)]
    pub policy: AllocationPolicyKind,
    /// Connector ids in order of priority, for `policy = "priority"`.
    #[serde(default)]
    pub priority: Vec<u32>,
    /// A connector's demand is the vehicle's request plus this margin (in amperes), so that a
    /// vehicle that never asks above the offer (CHAdeMO) can ask for more.
    #[serde(default = "default_request_margin_a")]
    pub request_margin_a: f32,
}

fn default_grid_voltage_v() -> f32 {
    400.0
}
fn default_power_factor() -> f32 {
    0.95
}
fn default_converter_efficiency() -> f32 {
    0.95
}
fn default_request_margin_a() -> f32 {
    10.0
}

impl Default for SiteSection {
    fn default() -> Self {
        SiteSection {
            max_grid_power_kw: None,
            max_grid_current_a: None,
            grid_voltage_v: default_grid_voltage_v(),
            power_factor: default_power_factor(),
            converter_efficiency: default_converter_efficiency(),
            auxiliary_load_kw: 0.0,
            policy: AllocationPolicyKind::default(),
            priority: Vec::new(),
            request_margin_a: default_request_margin_a(),
        }
    }
}

/// `[simulator]`: physics of the built-in plant simulator, station-wide.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorSection {
    /// `[simulator.thermal]`: present, every simulated connector is liquid-cooled, with a
    /// simulated cooling unit of this thermal plant (pins, cable, coolant loop, heat
    /// exchanger) and ambient air; its keys default to a 500 A connector
    /// (`charger_hal::sim::thermal::ThermalPlantParams`). Absent: no cooling units, so no
    /// thermal limit.
    #[serde(default)]
    pub thermal: Option<charger_hal::sim::thermal::ThermalPlantParams>,
    /// `[simulator.temperature_sensors]`: the cooling unit's Pt1000 chain (lag, resolution,
    /// noise, poll rate, seed).
    #[serde(default)]
    pub temperature_sensors: charger_hal::sim::thermal::SensorChainParams,
}

impl SimulatorSection {
    fn validate(&self) -> Result<(), (String, String)> {
        if let Some(thermal) = &self.thermal {
            thermal
                .validate()
                .map_err(|(k, r)| (format!("simulator.thermal.{k}"), r))?;
        }
        self.temperature_sensors
            .validate()
            .map_err(|(k, r)| (format!("simulator.temperature_sensors.{k}"), r))
    }

    /// The simulated cooling unit of every simulated connector, with `[simulator.thermal]`.
    pub fn cooling(&self) -> Option<charger_hal::sim::cooling::SimCoolingParams> {
        self.thermal
            .as_ref()
            .map(|plant| charger_hal::sim::cooling::SimCoolingParams {
                plant: plant.clone(),
                sensors: self.temperature_sensors.clone(),
                ..charger_hal::sim::cooling::SimCoolingParams::default()
            })
    }
}

/// The daemon's own log file, which diagnostics archives carry (src/logging.rs).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// Where `chargerd.log` and its rotated files go. Default: systemd's `$LOGS_DIRECTORY`
    /// (the unit's `LogsDirectory=chargerd`, i.e. /var/log/chargerd); without either, no file.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// A file is rotated before it grows past this many bytes (64 KiB to 1 GiB).
    #[serde(default = "default_log_max_file_bytes")]
    pub max_file_bytes: u64,
    /// Rotated files kept besides the current one (0 to 100).
    #[serde(default = "default_log_keep_files")]
    pub keep_files: u32,
}

fn default_log_max_file_bytes() -> u64 {
    10 * 1024 * 1024
}
fn default_log_keep_files() -> u32 {
    4
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection {
            dir: None,
            max_file_bytes: default_log_max_file_bytes(),
            keep_files: default_log_keep_files(),
        }
    }
}

impl SiteSection {
    /// Checks serde cannot express; `ids` are the configured connector ids.
    fn validate(&self, ids: &BTreeSet<u32>) -> Result<(), (String, String)> {
        let bad = |key: &str, reason: String| Err((format!("site.{key}"), reason));
        let within = |v: f32, lo: f32, hi: f32| v.is_finite() && v >= lo && v <= hi;
        for (key, v, hi) in [
            ("max_grid_power_kw", self.max_grid_power_kw, 100_000.0),
            ("max_grid_current_a", self.max_grid_current_a, 100_000.0),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && v > 0.0 && v <= hi) {
                    return bad(key, format!("must be above 0 and at most {hi}"));
                }
            }
        }
        for (key, v, lo, hi, unit) in [
            (
                "grid_voltage_v",
                self.grid_voltage_v,
                100.0,
                1000.0,
                "V (line to line, low-voltage side)",
            ),
            ("power_factor", self.power_factor, 0.5, 1.0, ""),
            (
                "converter_efficiency",
                self.converter_efficiency,
                0.5,
                1.0,
                "",
            ),
            (
                "auxiliary_load_kw",
                self.auxiliary_load_kw,
                0.0,
                10_000.0,
                "kW",
            ),
            ("request_margin_a", self.request_margin_a, 1.0, 100.0, "A"),
        ] {
            if !within(v, lo, hi) {
                return bad(
                    key,
                    format!("must be between {lo} and {hi} {unit}")
                        .trim_end()
                        .to_string(),
                );
            }
        }
        if let Some(kw) = self.max_grid_power_kw {
            if self.auxiliary_load_kw >= kw {
                return bad(
                    "auxiliary_load_kw",
                    format!(
                        "{} kW leaves nothing of max_grid_power_kw = {kw} kW for charging",
                        self.auxiliary_load_kw
                    ),
                );
            }
        }
        match self.policy {
            AllocationPolicyKind::EqualShare if !self.priority.is_empty() => {
                return bad("priority", "is used only with policy = \"priority\"".into());
            }
            AllocationPolicyKind::Priority if self.priority.is_empty() => {
                return bad(
                    "priority",
                    "policy \"priority\" needs the connector ids in order, e.g. [2, 1]".into(),
                );
            }
            _ => {}
        }
        let mut seen = BTreeSet::new();
        for (i, id) in self.priority.iter().enumerate() {
            if !ids.contains(id) {
                return Err((
                    format!("site.priority[{i}]"),
                    format!("no connector {id} is configured"),
                ));
            }
            if !seen.insert(*id) {
                return Err((
                    format!("site.priority[{i}]"),
                    format!("connector {id} is listed twice"),
                ));
            }
        }
        Ok(())
    }
}

/// `[pool]`: the power modules of the cabinet and which connector outputs each can feed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSection {
    /// A matrix contactor's feedback must follow its command within this, in ms.
    #[serde(default = "default_contactor_deadline_ms")]
    pub contactor_deadline_ms: u64,
    /// A module leaving an output must carry no current within this, in ms (else it is
    /// switched off and out regardless); a joining one must match the bus voltage within it.
    #[serde(default = "default_ramp_deadline_ms")]
    pub ramp_deadline_ms: u64,
    /// A module its output no longer needs is kept this long, in s, unless another output
    /// needs it.
    #[serde(default = "default_release_after_s")]
    pub release_after_s: u64,
    /// A module joining a live output must be within this many percent of its voltage.
    #[serde(default = "default_match_tolerance_percent")]
    pub match_tolerance_percent: f32,
    /// A module that stopped answering is switched out of its output only after this, in ms:
    /// it must exceed the modules' own communication watchdog (their profiles'
    /// `device_timeout_ms`), until which the module may still deliver its last setpoint.
    #[serde(default = "default_stale_open_after_ms")]
    pub stale_open_after_ms: u64,
    /// A faulted module gets a fault reset once it has been off and out this long, in s, and
    /// again this long after each attempt...
    #[serde(default = "default_fault_reset_after_s")]
    pub fault_reset_after_s: u64,
    /// ... at most this many times an hour (0: never; a technician resets it).
    #[serde(default = "default_fault_resets_per_hour")]
    pub fault_resets_per_hour: u64,
    /// Serve the simulated cabinet's modules over Modbus TCP at their `[[devices]]`' loopback
    /// addresses, so that the pool drives them through the real Modbus path while the physics
    /// stays the simulator's (configs/sim-modbus.toml).
    #[serde(default)]
    pub simulate_devices: bool,
    /// Real modules (`device` without `simulate_devices`) with the matrix still simulated:
    /// only for bringing modules up on a test bench whose outputs feed no connector. Real
    /// modules otherwise need the matrix on the board's I/O (`[[pool.matrix]]` `coil` and
    /// `feedback`): a simulated matrix would switch nothing.
    #[serde(default)]
    pub bench_without_matrix: bool,
    /// `[[pool.modules]]`, in the order of the cabinet.
    pub modules: Vec<PoolModuleSection>,
    /// `[[pool.matrix]]`: one entry per matrix contactor, in the order of their outputs.
    pub matrix: Vec<MatrixContactorSection>,
}

fn default_contactor_deadline_ms() -> u64 {
    500
}
fn default_ramp_deadline_ms() -> u64 {
    2000
}
fn default_stale_open_after_ms() -> u64 {
    12_000
}
fn default_release_after_s() -> u64 {
    10
}
fn default_fault_reset_after_s() -> u64 {
    60
}
fn default_fault_resets_per_hour() -> u64 {
    3
}
fn default_match_tolerance_percent() -> f32 {
    2.0
}
fn default_module_min_voltage() -> f32 {
    150.0
}
fn default_module_max_voltage() -> f32 {
    1000.0
}

/// `[[pool.modules]]`: one power module.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolModuleSection {
    pub id: u32,
    pub max_power_kw: f32,
    pub max_current_a: f32,
    #[serde(default = "default_module_min_voltage")]
    pub min_voltage: f32,
    #[serde(default = "default_module_max_voltage")]
    pub max_voltage: f32,
    /// For a module with series/parallel (Hi/Lo) ranges: the top of the low range, in V.
    #[serde(default)]
    pub low_range_max_voltage: Option<f32>,
    /// The `[[devices]]` entry (role `power_module`) that is this module; absent: simulated.
    #[serde(default)]
    pub device: Option<String>,
}

/// `[[pool.matrix]]`: a contactor connecting module `module` to connector `connector`'s output.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixContactorSection {
    pub module: u32,
    pub connector: u32,
    /// The contactor's coil on the board's I/O (an output line, as in `[connectors.io]`).
    #[serde(default)]
    pub coil: Option<io::IoLineSection>,
    /// Its auxiliary contact on the board's I/O (an input line with its `deadline_ms`).
    #[serde(default)]
    pub feedback: Option<io::IoLineSection>,
}

impl PoolSection {
    /// The matrix contactors are on the board's I/O (the entries name their lines; the
    /// configuration checks that every entry names both or none does).
    pub fn board_matrix(&self) -> bool {
        self.matrix
            .iter()
            .any(|m| m.coil.is_some() || m.feedback.is_some())
    }
}

impl Config {
    /// Every device a connector names (`connectors[i].meter.device`, `.imd.device`,
    /// `.cooling.device`) is a `[[devices]]` entry of the role the part needs, and no device
    /// is two parts (of one connector or of two). With `simulate_devices`, the connector has
    /// at least one such part and each is on loopback at an address of its own (each is
    /// served as a lone device).
    fn check_connector_devices(&self) -> Result<(), (String, String)> {
        use charger_hal::devices::Transport;
        let mut used: BTreeMap<&str, String> = BTreeMap::new();
        for (i, c) in self.connectors.iter().enumerate() {
            let parts = c.devices();
            for part in &parts {
                let key = format!("connectors[{i}].{}", part.key);
                let name = part.device;
                let Some(device) = self.devices.iter().find(|d| d.name == name) else {
                    return Err((key, format!("no [[devices]] entry named {name:?}")));
                };
                if device.role != part.role {
                    return Err((
                        key,
                        format!(
                            "device {name:?} has role {}, not {}",
                            device.role, part.role
                        ),
                    ));
                }
                if let Some(other) = used.insert(name, key.clone()) {
                    return Err((key, format!("device {name:?} is already {other}")));
                }
            }
            if !c.simulate_devices {
                continue;
            }
            if parts.is_empty() {
                return Err((
                    format!("connectors[{i}].simulate_devices"),
                    "serves the connector's device-backed meter, imd or cooling unit: \
                     name at least one (e.g. meter = { backend = \"device\", device = \"…\" })"
                        .into(),
                ));
            }
            for part in &parts {
                let Some((j, d)) = self
                    .devices
                    .iter()
                    .enumerate()
                    .find(|(_, d)| d.name == part.device)
                else {
                    continue;
                };
                let Transport::ModbusTcp(t) = &d.transport else {
                    return Err((
                        format!("devices[{j}].transport.kind"),
                        format!(
                            "connectors[{i}].simulate_devices serves the connector's devices \
                             over Modbus TCP only"
                        ),
                    ));
                };
                let loopback = t.host == "localhost"
                    || t.host
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback());
                if !loopback {
                    return Err((
                        format!("devices[{j}].transport.host"),
                        format!(
                            "connectors[{i}].simulate_devices serves the connector's devices on \
                             loopback only (127.0.0.1)"
                        ),
                    ));
                }
                let shared = self.devices.iter().find(|o| {
                    let Transport::ModbusTcp(ot) = &o.transport else {
                        return false;
                    };
                    o.name != d.name && ot.host == t.host && ot.port == t.port
                });
                if let Some(other) = shared {
                    return Err((
                        format!("devices[{j}].transport.port"),
                        format!(
                            "connectors[{i}].simulate_devices serves each device on a port of \
                             its own; {:?} shares {}:{} with {:?}",
                            d.name, t.host, t.port, other.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every `pool.modules[].device` names a `[[devices]]` entry of role `power_module`, no
    /// device is two modules, and either every module has a device or none does (a cabinet
    /// is real or simulated, not half of each).
    fn check_pool_devices(&self, pool: &PoolSection) -> Result<(), (String, String)> {
        use charger_hal::profile::roles::Role;
        let mut used = BTreeSet::new();
        for (i, m) in pool.modules.iter().enumerate() {
            let key = format!("pool.modules[{i}].device");
            let Some(name) = &m.device else { continue };
            let Some(device) = self.devices.iter().find(|d| &d.name == name) else {
                return Err((key, format!("no [[devices]] entry named {name:?}")));
            };
            if device.role != Role::PowerModule {
                return Err((
                    key,
                    format!("device {name:?} has role {}, not power_module", device.role),
                ));
            }
            if !used.insert(name.as_str()) {
                return Err((key, format!("device {name:?} is already another module")));
            }
        }
        if pool.simulate_devices {
            if used.len() != pool.modules.len() {
                return Err((
                    "pool.simulate_devices".into(),
                    "serves the modules' [[devices]]: every module needs `device`".into(),
                ));
            }
            for (i, d) in self.devices.iter().enumerate() {
                if !used.contains(d.name.as_str()) {
                    continue;
                }
                use charger_hal::devices::{CanLink, Transport};
                let (key, loopback) = match &d.transport {
                    Transport::ModbusTcp(t) => (
                        "host",
                        t.host == "localhost"
                            || t.host
                                .parse::<std::net::IpAddr>()
                                .is_ok_and(|ip| ip.is_loopback()),
                    ),
                    Transport::Can(c) => match &c.link {
                        CanLink::Cannelloni { peer, .. } => ("link.peer", peer.ip().is_loopback()),
                        CanLink::Socketcan { .. } => ("link.backend", false),
                    },
                    Transport::ModbusRtu(_) => ("kind", false),
                };
                if !loopback {
                    return Err((
                        format!("devices[{i}].transport.{key}"),
                        "pool.simulate_devices serves the modules on loopback only: Modbus TCP \
                         at 127.0.0.1, or CAN over cannelloni with a 127.0.0.1 peer (RTU and \
                         SocketCAN modules are simulated by modbus-sim and can-module-sim, \
                         without simulate_devices)"
                            .into(),
                    ));
                }
            }
        }
        if !used.is_empty()
            && !pool.simulate_devices
            && !pool.bench_without_matrix
            && !pool.board_matrix()
        {
            let i = pool
                .modules
                .iter()
                .position(|m| m.device.is_some())
                .unwrap_or(0);
            return Err((
                format!("pool.modules[{i}].device"),
                "real modules need the matrix contactors on the board's I/O: give every \
                 [[pool.matrix]] entry its coil and feedback lines (the simulated matrix would \
                 switch nothing). Or use simulate_devices = true (simulator) or \
                 bench_without_matrix = true (modules on a test bench feeding no connector)"
                    .into(),
            ));
        }
        if !used.is_empty() && used.len() != pool.modules.len() {
            let i = pool
                .modules
                .iter()
                .position(|m| m.device.is_none())
                .unwrap_or(0);
            return Err((
                format!("pool.modules[{i}].device"),
                "either every module names its device or none does (then all are simulated)".into(),
            ));
        }
        Ok(())
    }
}

impl Config {
    /// `[[devices]]`: everything `hal::devices::check_instances` checks without I/O (names,
    /// each transport's settings and ranges, devices sharing an RTU or CAN bus agreeing on it),
    /// and no CAN device's cannelloni socket taken by a connector's `can`. Errors name the
    /// entry's key.
    fn check_devices(&self) -> Result<(), (String, String)> {
        use charger_hal::devices::{CanLink, Transport};
        charger_hal::devices::check_instances(&self.devices).map_err(|e| {
            (
                format!("devices[{}].{}", e.index, e.key),
                format!("device {}: {}", e.device, e.problem),
            )
        })?;
        for (i, d) in self.devices.iter().enumerate() {
            let Transport::Can(can) = &d.transport else {
                continue;
            };
            let CanLink::Cannelloni { bind, .. } = &can.link else {
                continue;
            };
            let taken = self.connectors.iter().find(|c| {
                matches!(&c.can, CanSection::Cannelloni { bind: b, .. } if b == bind && bind.port() != 0)
            });
            if let Some(c) = taken {
                return Err((
                    format!("devices[{i}].transport.link.bind"),
                    format!("{bind} is connector {}'s can.bind", c.id),
                ));
            }
        }
        Ok(())
    }
}

impl PoolSection {
    /// The pool's topology, checked; `ids` are the configured connector ids (every one is fed
    /// by the pool). Errors name the key.
    pub fn topology(
        &self,
        ids: &BTreeSet<u32>,
    ) -> Result<crate::power::PoolTopology, (String, String)> {
        use crate::power::{ContactorSpec, ModuleSpec, PoolTopology, TopologyError};
        let bad = |key: String, reason: String| Err((key, reason));
        for (key, v, lo, hi) in [
            (
                "contactor_deadline_ms",
                self.contactor_deadline_ms,
                20,
                5000,
            ),
            ("ramp_deadline_ms", self.ramp_deadline_ms, 100, 30_000),
            ("release_after_s", self.release_after_s, 0, 3600),
            (
                "stale_open_after_ms",
                self.stale_open_after_ms,
                1000,
                120_000,
            ),
            ("fault_reset_after_s", self.fault_reset_after_s, 5, 3600),
            ("fault_resets_per_hour", self.fault_resets_per_hour, 0, 20),
        ] {
            if !(lo..=hi).contains(&v) {
                return bad(format!("pool.{key}"), format!("must be {lo} to {hi}"));
            }
        }
        if !(self.match_tolerance_percent.is_finite()
            && (0.5..=10.0).contains(&self.match_tolerance_percent))
        {
            return bad(
                "pool.match_tolerance_percent".into(),
                "must be 0.5 to 10".into(),
            );
        }
        if self.modules.is_empty() {
            return bad(
                "pool.modules".into(),
                "a pool needs at least one module".into(),
            );
        }
        let mut modules = Vec::with_capacity(self.modules.len());
        for (i, m) in self.modules.iter().enumerate() {
            let key = |k: &str| format!("pool.modules[{i}].{k}");
            for (k, v, hi) in [
                ("max_power_kw", m.max_power_kw, 1000.0),
                ("max_current_a", m.max_current_a, 2000.0),
                ("max_voltage", m.max_voltage, 1500.0),
            ] {
                if !(v.is_finite() && v > 0.0 && v <= hi) {
                    return bad(key(k), format!("must be above 0 and at most {hi}"));
                }
            }
            modules.push(ModuleSpec {
                id: m.id,
                max_power_w: m.max_power_kw * 1000.0,
                max_current_a: m.max_current_a,
                min_voltage: m.min_voltage,
                max_voltage: m.max_voltage,
                low_range_max_voltage: m.low_range_max_voltage,
            });
        }
        let mut contactors = Vec::with_capacity(self.matrix.len());
        for (i, c) in self.matrix.iter().enumerate() {
            let Some(module) = self.modules.iter().position(|m| m.id == c.module) else {
                return bad(
                    format!("pool.matrix[{i}].module"),
                    format!("no module {} in [[pool.modules]]", c.module),
                );
            };
            contactors.push(ContactorSpec {
                module,
                output: c.connector,
            });
        }
        PoolTopology::new(modules, contactors, ids.iter().copied().collect()).or_else(|e| {
            let key = match &e {
                TopologyError::DuplicateModule(_) => "pool.modules".to_string(),
                TopologyError::BadRating { id, .. } => {
                    let i = self.modules.iter().position(|m| m.id == *id).unwrap_or(0);
                    format!("pool.modules[{i}]")
                }
                TopologyError::UnknownModule { index, .. } => {
                    format!("pool.matrix[{index}].module")
                }
                TopologyError::UnknownOutput { index, .. } => {
                    format!("pool.matrix[{index}].connector")
                }
                TopologyError::DuplicateContactor { index, .. } => format!("pool.matrix[{index}]"),
                TopologyError::UnwiredModule(_) | TopologyError::UnfedOutput(_) => {
                    "pool.matrix".to_string()
                }
            };
            bad(key, e.to_string())
        })
    }

    pub fn timing(&self) -> crate::power::PoolTiming {
        crate::power::PoolTiming {
            contactor_deadline: Duration::from_millis(self.contactor_deadline_ms),
            ramp_deadline: Duration::from_millis(self.ramp_deadline_ms),
            release_after: Duration::from_secs(self.release_after_s),
            stale_open_after: Duration::from_millis(self.stale_open_after_ms),
            match_tolerance: self.match_tolerance_percent / 100.0,
            fault_reset_after: Duration::from_secs(self.fault_reset_after_s),
            // Checked to 0..=20 with the topology.
            fault_resets_per_hour: u32::try_from(self.fault_resets_per_hour).unwrap_or(0),
        }
    }
}

impl LogSection {
    /// The log file's settings: `dir`, else the first of `$LOGS_DIRECTORY` (systemd may list
    /// several, separated by colons), given as `logs_directory`.
    pub fn file_settings(
        &self,
        logs_directory: Option<&str>,
    ) -> Option<crate::logging::LogFileSettings> {
        let dir = self.dir.clone().or_else(|| {
            logs_directory
                .and_then(|v| v.split(':').next())
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
        })?;
        Some(crate::logging::LogFileSettings {
            dir,
            max_file_bytes: self.max_file_bytes,
            keep_files: self.keep_files,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProtocolKind {
    /// CHAdeMO 1.x (IEEE 2030.1.1).
    Chademo,
    /// GB/T 27930-2015 (China), with the J1939 transport protocol.
    Gbt,
}

/// The protocol's name as people write it (`chargerctl` output, logs).
impl std::fmt::Display for ProtocolKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProtocolKind::Chademo => "CHAdeMO",
            ProtocolKind::Gbt => "GB/T 27930",
        })
    }
}

impl ProtocolKind {
    /// The protocol tells the charger the vehicle's VIN (GB/T in BRM), so autocharge works.
    pub fn carries_vin(self) -> bool {
        matches!(self, ProtocolKind::Gbt)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorSection {
    /// 1-based, as OCPP numbers connectors.
    pub id: u32,
    pub protocol: ProtocolKind,
    pub max_voltage: f32,
    #[serde(default = "default_min_voltage")]
    pub min_voltage: f32,
    pub max_current: f32,
    #[serde(default)]
    pub min_current: f32,
    /// Power rating in kW; the current limit is this divided by the present voltage.
    pub max_power_kw: f32,
    pub can: CanSection,
    /// Power supply, I/O and insulation monitor.
    #[serde(default)]
    pub hardware: HardwareKind,
    /// The DC energy meter on this connector's output. Without one, the station integrates
    /// its own cable voltage × supply current into the energy register.
    #[serde(default)]
    pub meter: Option<MeterSection>,
    /// The insulation monitor on this connector's output, when it is a `[[devices]]` entry;
    /// absent: the simulated connector's own.
    #[serde(default)]
    pub imd: Option<ImdSection>,
    /// The cooling unit of this connector's liquid-cooled cable, if it has one.
    #[serde(default)]
    pub cooling: Option<CoolingSection>,
    /// Serve this connector's device-backed meter, insulation monitor and cooling unit over
    /// Modbus TCP at their `[[devices]]`' loopback addresses, from the simulated connector's
    /// physics, so that the station reads them through the real Modbus path
    /// (configs/sim-modbus.toml; the `[pool] simulate_devices` of a connector).
    #[serde(default)]
    pub simulate_devices: bool,
    /// `[connectors.io]`: the board's lines of this connector (emergency stop, vehicle
    /// detection, contactors, lock, …) on `[[io_sources]]`; absent: the simulator's I/O.
    #[serde(default)]
    pub io: Option<io::ConnectorIoSection>,
    /// The vehicle's low-voltage auxiliary supply (GB/T A+/A−), in volts: 12 (the default)
    /// or 24 (trucks whose BMS runs on 24 V). Selected before the supply switches on.
    #[serde(default = "default_aux_supply_v")]
    pub aux_supply_v: u8,
}

fn default_aux_supply_v() -> u8 {
    12
}

/// A connector's DC energy meter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "backend", rename_all = "kebab-case")]
pub enum MeterSection {
    /// The plant simulator's meter on the simulated output (`chargerctl sim fault` injects
    /// `meter-silent`, `meter-frozen`, `meter-replaced`, `meter-jump`).
    Simulated {
        #[serde(default = "default_meter_serial")]
        serial: String,
        /// The register at start, in Wh.
        #[serde(default)]
        start_wh: f64,
        /// The register's modulus in Wh (4294967296 for a u32 Wh register); absent: never
        /// wraps.
        #[serde(default)]
        wrap_wh: Option<f64>,
    },
    /// A `[[devices]]` entry of role `dc_meter`, read through its profile.
    Device {
        /// The device's `name` in `[[devices]]`.
        device: String,
        /// The energy register's modulus in Wh (4294967296 for a u32 Wh register); absent:
        /// never wraps (u64, f64).
        #[serde(default)]
        wrap_wh: Option<f64>,
    },
}

/// A connector's insulation monitor (IMD), when it is not the simulated connector's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "backend", rename_all = "kebab-case")]
pub enum ImdSection {
    /// A `[[devices]]` entry of role `insulation_monitor`: the cable check enables it and
    /// reads its resistance, alarm and the cable voltage it sees.
    Device { device: String },
}

/// A connector's cooling unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "backend", rename_all = "kebab-case")]
pub enum CoolingSection {
    /// A `[[devices]]` entry of role `cooling_unit`.
    Device { device: String },
}

/// The `[[devices]]` a connector names, with the config key naming each and the role it needs.
#[derive(Debug, Clone, Copy)]
pub struct ConnectorDevice<'a> {
    pub key: &'static str,
    pub device: &'a str,
    pub role: charger_hal::profile::roles::Role,
}

fn default_meter_serial() -> String {
    "SIM-M-0001".into()
}

impl MeterSection {
    /// The register's modulus, for [`charger_hal::energy::EnergyCounter`].
    pub fn wrap_wh(&self) -> Option<f64> {
        match self {
            MeterSection::Simulated { wrap_wh, .. } | MeterSection::Device { wrap_wh, .. } => {
                *wrap_wh
            }
        }
    }
}

fn default_min_voltage() -> f32 {
    150.0
}

impl ConnectorSection {
    /// The `[[devices]]` this connector's meter, insulation monitor and cooling unit are.
    pub fn devices(&self) -> Vec<ConnectorDevice<'_>> {
        use charger_hal::profile::roles::Role;
        let mut out = Vec::new();
        if let Some(MeterSection::Device { device, .. }) = &self.meter {
            out.push(ConnectorDevice {
                key: "meter.device",
                device,
                role: Role::DcMeter,
            });
        }
        if let Some(ImdSection::Device { device }) = &self.imd {
            out.push(ConnectorDevice {
                key: "imd.device",
                device,
                role: Role::InsulationMonitor,
            });
        }
        if let Some(CoolingSection::Device { device }) = &self.cooling {
            out.push(ConnectorDevice {
                key: "cooling.device",
                device,
                role: Role::CoolingUnit,
            });
        }
        out
    }

    pub fn rating(&self) -> ChargerRating {
        ChargerRating {
            max_voltage: self.max_voltage,
            min_voltage: self.min_voltage,
            max_current: self.max_current,
            min_current: self.min_current,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "backend", rename_all = "kebab-case")]
pub enum CanSection {
    /// The built-in simulator's in-process bus, with a simulated truck on the far end.
    Simulated,
    /// A Linux SocketCAN interface.
    Socketcan { interface: String },
    /// A CAN bus carried over UDP in cannelloni's format (version 2): to a real bus bridged by
    /// the upstream `cannelloni` tool, or to a vehicle simulator in another process
    /// (`chargerd-evsim`). With `hardware = "simulated"`, the vehicle's side of the inlet is
    /// driven through the control API.
    Cannelloni {
        /// Local address to receive datagrams on, e.g. "127.0.0.1:20001".
        bind: std::net::SocketAddr,
        /// The only address datagrams are accepted from and sent to.
        peer: std::net::SocketAddr,
        /// The one network interface the link uses, e.g. "eth1" (`SO_BINDTODEVICE`):
        /// datagrams from any other interface never reach the port, even with the peer's
        /// address. cannelloni has no authentication: give it a dedicated, trusted link
        /// (see SECURITY.md). Absent: any interface.
        #[serde(default)]
        interface: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HardwareKind {
    /// Simulated power supply, I/O and insulation monitor (the plant simulator).
    #[default]
    Simulated,
    /// A real cabinet's connector: its vehicle bus on SocketCAN (or cannelloni to a bridged
    /// bus), its power from the `[pool]`'s modules through the matrix on the board's I/O, its
    /// lines the `io` table's, its insulation monitor (and meter, cooling unit) `[[devices]]`.
    Board,
}

impl Config {
    /// Read `path`, apply `CHARGERD_*` overrides from the process environment, validate.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Self::load_with_env(path, std::env::vars())
    }

    /// As [`load`](Self::load), with the environment given (tests must not touch the
    /// process-wide one).
    pub fn load_with_env(
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        Self::load_inner(path, env, false)
    }

    /// As [`load`](Self::load), for the running daemon: an `[ocpp]` section that does not
    /// parse or validate is set aside (its error in [`Config::ocpp_error`]) instead of keeping
    /// the station from charging. `chargerd --check-config` stays strict.
    pub fn load_for_daemon(path: &Path) -> Result<Config, ConfigError> {
        Self::load_inner(path, std::env::vars(), true)
    }

    fn load_inner(
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
        lenient_ocpp: bool,
    ) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        let layers = Layers::read(path, &env)?;
        let layered = layers.merged()?;
        let fail = |key: String, reason: String| ConfigError::Invalid {
            file: layers.origin_of(&key),
            key,
            reason,
        };
        if !lenient_ocpp {
            let cfg: Config = serde_path_to_error::deserialize(layered)
                .map_err(|e| fail(error_key(&e), e.inner().to_string()))?;
            cfg.validate().map_err(|(key, reason)| fail(key, reason))?;
            return Ok(cfg);
        }
        let mut doc: serde_json::Value = layered
            .try_deserialize()
            .map_err(|e| fail("(file)".into(), e.to_string()))?;
        let ocpp_error = doc.get("ocpp").cloned().and_then(|section| {
            let parsed: Result<crate::ocpp::OcppSection, _> =
                serde_path_to_error::deserialize(section);
            let error = match parsed {
                Err(e) => Some((format!("ocpp.{}", error_key(&e)), e.inner().to_string())),
                Ok(section) => section.validate().err(),
            };
            error.map(|(key, reason)| fail(key, reason).to_string())
        });
        if ocpp_error.is_some() {
            if let Some(map) = doc.as_object_mut() {
                map.remove("ocpp");
            }
        }
        let mut cfg: Config = serde_path_to_error::deserialize(doc)
            .map_err(|e| fail(error_key(&e), e.inner().to_string()))?;
        cfg.ocpp_error = ocpp_error;
        cfg.validate().map_err(|(key, reason)| fail(key, reason))?;
        Ok(cfg)
    }

    /// Parse and validate a TOML document (no environment), for tests and tools.
    pub fn from_toml_str(text: &str, name: &str) -> Result<Config, ConfigError> {
        let cfg: Config = serde_path_to_error::deserialize(toml_deserializer(text, name)?)
            .map_err(|e| ConfigError::Invalid {
                file: name.into(),
                key: e.path().to_string(),
                reason: e.inner().to_string(),
            })?;
        cfg.validate()
            .map_err(|(key, reason)| ConfigError::Invalid {
                file: name.into(),
                key,
                reason,
            })?;
        Ok(cfg)
    }

    /// Checks serde cannot express. Returns the offending key and why.
    fn validate(&self) -> Result<(), (String, String)> {
        let bad = |key: String, reason: &str| Err((key, reason.to_string()));
        if !(64 * 1024..=1024 * 1024 * 1024).contains(&self.log.max_file_bytes) {
            return bad(
                "log.max_file_bytes".into(),
                "must be 64 KiB to 1 GiB (65536-1073741824)",
            );
        }
        if self.log.keep_files > 100 {
            return bad("log.keep_files".into(), "must be 0 to 100");
        }
        if self.station.step_interval_ms == 0 || self.station.step_interval_ms > 50 {
            return bad(
                "station.step_interval_ms".into(),
                "must be between 1 and 50 ms (CAN periods are 10-100 ms)",
            );
        }
        if self.admin_socket() == self.station.control_socket {
            return bad(
                "station.admin_socket".into(),
                "must differ from station.control_socket (one is read-only, the other is not)",
            );
        }
        if self.station.meter_persist_interval_s == 0 {
            return bad(
                "station.meter_persist_interval_s".into(),
                "must be positive",
            );
        }
        if self.station.site_max_current.is_some() {
            return bad(
                "station.site_max_current".into(),
                "is no longer supported: it was applied to each connector on its own, not shared. \
                 Set the grid connection's budget in [site] instead: max_grid_power_kw (AC kW) \
                 and/or max_grid_current_a (AC amperes per phase), with grid_voltage_v, \
                 power_factor, converter_efficiency and auxiliary_load_kw",
            );
        }
        if self.connectors.is_empty() {
            return bad("connectors".into(), "at least one connector is required");
        }
        self.simulator.validate()?;
        if let Some(ocpp) = &self.ocpp {
            ocpp.validate()?;
        }
        self.thermal
            .validate()
            .map_err(|e| (format!("thermal.{}", e.key), e.reason))?;
        let mut ids = BTreeSet::new();
        for (i, c) in self.connectors.iter().enumerate() {
            let key = |field: &str| format!("connectors[{i}].{field}");
            if c.id == 0 {
                return bad(
                    key("id"),
                    "connector ids start at 1 (0 is the station in OCPP)",
                );
            }
            if !ids.insert(c.id) {
                return bad(key("id"), &format!("connector id {} is used twice", c.id));
            }
            match (c.aux_supply_v, c.protocol) {
                (12, _) | (24, ProtocolKind::Gbt) => {}
                (24, ProtocolKind::Chademo) => {
                    return bad(
                        key("aux_supply_v"),
                        "24 V is for GB/T trucks' BMS supply; CHAdeMO has no auxiliary supply",
                    );
                }
                _ => return bad(key("aux_supply_v"), "must be 12 or 24 (volts)"),
            }
            for (field, v) in [
                ("max_voltage", c.max_voltage),
                ("max_current", c.max_current),
                ("max_power_kw", c.max_power_kw),
            ] {
                if !(v.is_finite() && v > 0.0) {
                    return bad(key(field), "must be a positive number");
                }
            }
            if !(c.min_voltage.is_finite() && c.min_voltage >= 0.0 && c.min_voltage < c.max_voltage)
            {
                return bad(key("min_voltage"), "must be ≥ 0 and below max_voltage");
            }
            if !(c.min_current.is_finite() && c.min_current >= 0.0 && c.min_current < c.max_current)
            {
                return bad(key("min_current"), "must be ≥ 0 and below max_current");
            }
            if c.max_voltage > 1500.0 {
                return bad(
                    key("max_voltage"),
                    "above 1500 V is outside DC charging standards",
                );
            }
            if c.protocol == ProtocolKind::Gbt && c.max_current > 400.0 {
                return bad(
                    key("max_current"),
                    "GB/T 27930-2015 carries currents with a -400 A offset: at most 400 A per connector",
                );
            }
            if let CanSection::Cannelloni {
                bind,
                peer,
                interface,
            } = &c.can
            {
                if let Some(name) = interface {
                    if !charger_hal::can::valid_interface_name(name) {
                        return bad(
                            key("can.interface"),
                            "a Linux interface name has 1 to 15 characters, no '/', no spaces",
                        );
                    }
                }
                if peer.port() == 0 || peer.ip().is_unspecified() {
                    return bad(
                        key("can.peer"),
                        "must be a concrete address and port (the simulator or bridge to talk to)",
                    );
                }
                if bind == peer {
                    return bad(key("can.bind"), "must differ from can.peer");
                }
                let reused = self.connectors.iter().any(|o| {
                    o.id != c.id
                        && matches!(&o.can, CanSection::Cannelloni { bind: b, .. } if b == bind && bind.port() != 0)
                });
                if reused {
                    return bad(key("can.bind"), "is used by another connector");
                }
            }
            if let CanSection::Socketcan { interface } = &c.can {
                if !charger_hal::can::valid_interface_name(interface) {
                    return bad(
                        key("can.interface"),
                        "a Linux interface name has 1 to 15 characters",
                    );
                }
            }
            if let Some(MeterSection::Device {
                wrap_wh: Some(w), ..
            }) = &c.meter
            {
                if !(w.is_finite() && *w >= 1000.0) {
                    return bad(key("meter.wrap_wh"), "must be at least 1000 Wh");
                }
            }
            if let Some(MeterSection::Simulated {
                serial,
                start_wh,
                wrap_wh,
            }) = &c.meter
            {
                if serial.is_empty() || serial.len() > 64 {
                    return bad(key("meter.serial"), "must have 1 to 64 characters");
                }
                if let Some(w) = wrap_wh {
                    if !(w.is_finite() && *w >= 1000.0) {
                        return bad(key("meter.wrap_wh"), "must be at least 1000 Wh");
                    }
                }
                if !(start_wh.is_finite()
                    && *start_wh >= 0.0
                    && wrap_wh.is_none_or(|w| *start_wh < w))
                {
                    return bad(key("meter.start_wh"), "must be ≥ 0 and below wrap_wh");
                }
            }
        }
        self.site.validate(&ids)?;
        self.check_devices()?;
        self.check_connector_devices()?;
        self.check_io()?;
        if let Some(pool) = &self.pool {
            pool.topology(&ids)?;
            // The feedback is read once a step: a deadline of fewer than three steps would
            // take a contactor's ordinary operate time for a failure (or a weld).
            let steps = 3 * self.station.step_interval_ms;
            if pool.contactor_deadline_ms < steps {
                return Err((
                    "pool.contactor_deadline_ms".into(),
                    format!(
                        "must be at least three control steps ({steps} ms with \
                         station.step_interval_ms = {})",
                        self.station.step_interval_ms
                    ),
                ));
            }
            self.check_pool_devices(pool)?;
        }
        let ins = &self.insulation;
        if !(ins.fault_ohm_per_volt > 0.0 && ins.warning_ohm_per_volt >= ins.fault_ohm_per_volt) {
            return bad(
                "insulation.warning_ohm_per_volt".into(),
                "must be ≥ fault_ohm_per_volt, and both positive",
            );
        }
        if self.authorization.autocharge && self.authorization.mode == AuthorizationMode::Free {
            return bad(
                "authorization.autocharge".into(),
                "needs mode = \"local-list\" with the fleet's VINs in id_tags, or mode = \"ocpp\" (in free mode, use auto_start)",
            );
        }
        if self.authorization.mode == AuthorizationMode::Ocpp
            && self.ocpp.is_none()
            && self.ocpp_error.is_none()
        {
            return bad(
                "authorization.mode".into(),
                "mode \"ocpp\" needs an [ocpp] section",
            );
        }
        if self.authorization.mode == AuthorizationMode::LocalList
            && self.authorization.id_tags.is_empty()
        {
            return bad(
                "authorization.id_tags".into(),
                "mode local-list needs at least one id tag",
            );
        }
        for (i, tag) in self.authorization.id_tags.iter().enumerate() {
            // OCPP 1.6 IdToken: CiString20.
            if tag.is_empty() || tag.len() > 20 {
                return bad(
                    format!("authorization.id_tags[{i}]"),
                    "an id tag has 1 to 20 characters",
                );
            }
        }
        self.supervision.validate(self.station.step_interval_ms)?;
        if self.safety.current_tolerance_a <= 0.0 || self.safety.max_reading_age_ms == 0 {
            return bad(
                "safety".into(),
                "current_tolerance_a and max_reading_age_ms must be positive",
            );
        }
        Ok(())
    }

    /// Checks that need the file system: the state directory exists (or can be created) and is
    /// writable, and the control socket's directory exists or can be created.
    pub fn check_environment(&self, file: &Path) -> Result<(), ConfigError> {
        let fail = |key: &str, reason: String| ConfigError::Invalid {
            file: file.display().to_string(),
            key: key.into(),
            reason,
        };
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        let dir = &self.station.state_dir;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(crate::files::PRIVATE_DIR)
            .create(dir)
            .map_err(|e| fail("station.state_dir", format!("{}: {e}", dir.display())))?;
        let probe = dir.join(".chargerd-write-test");
        let _ = std::fs::remove_file(&probe);
        crate::files::write_atomic(&probe, b"ok", crate::files::PRIVATE_FILE).map_err(|e| {
            fail(
                "station.state_dir",
                format!("{} is not writable: {e}", dir.display()),
            )
        })?;
        // The probe is ours: its owner is the service user.
        let me = std::fs::metadata(&probe).map(|m| m.uid());
        let _ = std::fs::remove_file(&probe);
        // The journal, keys and staged firmware live below: nobody but the service may write
        // here (a technician's account would swap an image or plant a root).
        let meta = std::fs::metadata(dir)
            .map_err(|e| fail("station.state_dir", format!("{}: {e}", dir.display())))?;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o022 != 0 {
            if me.as_ref().is_ok_and(|uid| *uid == meta.uid()) {
                let tight = mode & !0o022;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(tight)).map_err(
                    |e| {
                        fail(
                            "station.state_dir",
                            format!("{}: chmod: {e}", dir.display()),
                        )
                    },
                )?;
                tracing::warn!(dir = %dir.display(), was = format!("{mode:o}"),
                    now = format!("{tight:o}"), "state directory was writable by others: tightened");
            } else {
                return Err(fail(
                    "station.state_dir",
                    format!(
                        "{} (mode {mode:o}) is writable by its group or others and not owned \
                         by the service user: chown it to the service user and chmod go-w",
                        dir.display()
                    ),
                ));
            }
        }
        for (key, socket) in [
            (
                "station.control_socket",
                self.station.control_socket.clone(),
            ),
            ("station.admin_socket", self.admin_socket()),
        ] {
            if let Some(parent) = socket.parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| fail(key, format!("{}: {e}", parent.display())))?;
                }
            }
        }
        Ok(())
    }

    /// The admin socket: as configured, or `admin.sock` beside the control socket.
    pub fn admin_socket(&self) -> PathBuf {
        self.station
            .admin_socket
            .clone()
            .unwrap_or_else(|| crate::control::admin_socket_beside(&self.station.control_socket))
    }

    pub fn step_interval(&self) -> Duration {
        Duration::from_millis(self.station.step_interval_ms)
    }

    pub fn journal_path(&self) -> PathBuf {
        self.station.state_dir.join("journal.sqlite")
    }
}

/// The drop-in directory of a configuration file: `chargerd.toml.d/` beside `chargerd.toml`.
pub fn drop_in_dir(config: &Path) -> PathBuf {
    let mut name = config.as_os_str().to_owned();
    name.push(".d");
    PathBuf::from(name)
}

/// The drop-ins that apply to `config`: the `*.toml` files in its drop-in directory, in
/// lexical (byte) order of their names; none if the directory does not exist. Other files
/// (an editor's backup, a README) are ignored, as systemd does with its own drop-ins.
pub fn drop_ins(config: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let dir = drop_in_dir(config);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(ConfigError::Read {
                file: dir.display().to_string(),
                reason: e.to_string(),
            })
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ConfigError::Read {
            file: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Secrets that may come as systemd credentials (`LoadCredential=`): the credential's name in
/// `$CREDENTIALS_DIRECTORY` and the key whose file it replaces. A credential wins over the
/// files and the environment; what the CSMS set at run time (a rotated AuthorizationKey, a
/// renewed client certificate, under the state directory) wins over it in turn.
pub const CREDENTIALS: &[(&str, &str)] = &[
    ("ocpp-authorization-key", "ocpp.authorization_key_file"),
    ("ocpp-client-key", "ocpp.client_key"),
];

/// Where a value of the configuration came from, for error messages.
#[derive(Debug)]
struct Layer {
    /// A file's path, `environment variable CHARGERD_…` or `credential …`.
    name: String,
    /// This layer alone, to look up which keys it sets.
    values: config::Config,
}

/// The configuration's layers, lowest first: the file, its drop-ins in order, the
/// environment, the credentials.
#[derive(Debug)]
struct Layers {
    file: String,
    layers: Vec<Layer>,
}

impl Layers {
    fn read(path: &Path, env: &[(String, String)]) -> Result<Layers, ConfigError> {
        let file = path.display().to_string();
        let mut layers = Vec::new();
        for source in std::iter::once(path.to_path_buf()).chain(drop_ins(path)?) {
            let name = source.display().to_string();
            let text = std::fs::read_to_string(&source).map_err(|e| ConfigError::Read {
                file: name.clone(),
                reason: e.to_string(),
            })?;
            let values = toml_deserializer(&text, &name)?;
            layers.push(Layer { name, values });
        }
        for (var, value) in env {
            let Some(rest) = var.strip_prefix(&format!("{ENV_PREFIX}_")) else {
                continue;
            };
            let overrides: config::Map<String, String> =
                std::iter::once((var.clone(), value.clone())).collect();
            let values = config::Config::builder()
                .add_source(
                    config::Environment::with_prefix(ENV_PREFIX)
                        .prefix_separator("_")
                        .separator("__")
                        .try_parsing(true)
                        .source(Some(overrides)),
                )
                .build()
                .map_err(|e| ConfigError::Invalid {
                    file: format!("environment variable {var}"),
                    key: rest.to_lowercase().replace("__", "."),
                    reason: e.to_string(),
                })?;
            layers.push(Layer {
                name: format!("environment variable {var}"),
                values,
            });
        }
        let has_ocpp = layers
            .iter()
            .any(|l| l.values.get::<config::Value>("ocpp").is_ok());
        let credentials = env
            .iter()
            .find(|(k, _)| k == "CREDENTIALS_DIRECTORY")
            .map(|(_, v)| PathBuf::from(v))
            .filter(|_| has_ocpp);
        for (credential, key) in credentials.iter().flat_map(|dir| {
            CREDENTIALS
                .iter()
                .map(move |(name, key)| (dir.join(name), *key))
        }) {
            if !credential.is_file() {
                continue;
            }
            let name = format!("credential {}", credential.display());
            let values = config::Config::builder()
                .set_override(key, credential.display().to_string())
                .and_then(|b| b.build())
                .map_err(|e| ConfigError::Invalid {
                    file: name.clone(),
                    key: key.into(),
                    reason: e.to_string(),
                })?;
            layers.push(Layer { name, values });
        }
        Ok(Layers { file, layers })
    }

    /// All layers merged, tables key by key, a later layer's value winning.
    fn merged(&self) -> Result<config::Config, ConfigError> {
        self.layers
            .iter()
            .fold(config::Config::builder(), |b, l| {
                b.add_source(l.values.clone())
            })
            .build()
            .map_err(|e| ConfigError::Invalid {
                file: self.file.clone(),
                key: "(file)".into(),
                reason: e.to_string(),
            })
    }

    /// The layer that set `key` last (the one that decided its value), else the one that set
    /// its closest parent; the main file when none did (a key that is missing).
    fn origin_of(&self, key: &str) -> String {
        let mut probe = key.to_string();
        loop {
            if let Some(layer) = self
                .layers
                .iter()
                .rev()
                .find(|l| l.values.get::<config::Value>(&probe).is_ok())
            {
                return layer.name.clone();
            }
            match probe.rfind(['.', '[']) {
                Some(cut) => probe.truncate(cut),
                None => return self.file.clone(),
            }
        }
    }
}

/// The key an error is about: its path, with the unknown field named in the message appended
/// (serde reports `unknown field` at the table that holds it).
fn error_key<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> String {
    let path = e.path().to_string();
    let message = e.inner().to_string();
    let unknown = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next());
    match unknown {
        Some(field) if !path.ends_with(field) => {
            if path == "." || path.is_empty() {
                field.to_string()
            } else {
                format!("{path}.{field}")
            }
        }
        _ => path,
    }
}

fn toml_deserializer(text: &str, name: &str) -> Result<config::Config, ConfigError> {
    config::Config::builder()
        .add_source(config::File::from_str(text, config::FileFormat::Toml))
        .build()
        .map_err(|e| ConfigError::Invalid {
            file: name.into(),
            key: "(file)".into(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[station]
state_dir = "/tmp/x"

[[connectors]]
id = 1
protocol = "chademo"
max_voltage = 750
max_current = 250
max_power_kw = 150
can = { backend = "simulated" }
"#;

    fn err_of(text: &str) -> String {
        Config::from_toml_str(text, "test.toml")
            .expect_err("must be rejected")
            .to_string()
    }

    /// MINIMAL with a pool of two modules, both wired to connector 1; `extra` is appended to
    /// each module's entry.
    fn with_pool(module_extra: [&str; 2], devices: &str) -> String {
        let mut text = format!("{MINIMAL}\n{devices}\n[pool]\n");
        for (id, extra) in [(1, module_extra[0]), (2, module_extra[1])] {
            text.push_str(&format!(
                "[[pool.modules]]\nid = {id}\nmax_power_kw = 30\nmax_current_a = 100\n{extra}\n"
            ));
        }
        text.push_str("[[pool.matrix]]\nmodule = 1\nconnector = 1\n[[pool.matrix]]\nmodule = 2\nconnector = 1\n");
        text
    }

    #[test]
    fn pool_mistakes_are_named_by_key() {
        assert!(Config::from_toml_str(&with_pool(["", ""], ""), "t.toml").is_ok());
        let unfed = format!(
            "{}\n[[connectors]]\nid = 2\nprotocol = \"gbt\"\nmax_voltage = 750\nmax_current = 250\nmax_power_kw = 150\ncan = {{ backend = \"simulated\" }}\n",
            with_pool(["", ""], "")
        );
        let e = err_of(&unfed);
        assert!(e.contains("pool.matrix") && e.contains("output 2"), "{e}");
        let e = err_of(
            &with_pool(["", ""], "")
                .replace("module = 2\nconnector = 1", "module = 7\nconnector = 1"),
        );
        assert!(
            e.contains("pool.matrix[1].module") && e.contains("no module 7"),
            "{e}"
        );
        let e = err_of(&with_pool(["", ""], "").replace(
            "max_power_kw = 30\nmax_current_a = 100\n\n[[pool.modules]]\nid = 2\nmax_power_kw = 30",
            "max_power_kw = 30\nmax_current_a = 100\n\n[[pool.modules]]\nid = 2\nmax_power_kw = -1",
        ));
        assert!(e.contains("pool.modules[1].max_power_kw"), "{e}");
        let e = err_of(
            &with_pool(["", ""], "")
                .replacen("[station]\n", "[station]\nstep_interval_ms = 50\n", 1)
                .replacen("[pool]\n", "[pool]\ncontactor_deadline_ms = 100\n", 1),
        );
        assert!(
            e.contains("pool.contactor_deadline_ms") && e.contains("150 ms"),
            "{e}"
        );
        let e = err_of(&with_pool(["device = \"nope\"", ""], ""));
        assert!(
            e.contains("pool.modules[0].device") && e.contains("nope"),
            "{e}"
        );
        let meter = "[[devices]]\nname = \"m\"\nrole = \"dc_meter\"\nprofile = \"x.toml\"\ntransport = { kind = \"modbus_tcp\", host = \"127.0.0.1\", unit = 1 }\n";
        let e = err_of(&with_pool(["device = \"m\"", ""], meter));
        assert!(
            e.contains("pool.modules[0].device") && e.contains("not power_module"),
            "{e}"
        );
        let module = meter.replace("dc_meter", "power_module");
        let e = err_of(&with_pool(["device = \"m\"", ""], &module));
        assert!(
            e.contains("pool.modules[0].device") && e.contains("bench_without_matrix"),
            "{e}"
        );
        let bench = |extra: [&str; 2], devices: &str| {
            with_pool(extra, devices).replacen(
                "[pool]\n",
                "[pool]\nbench_without_matrix = true\n",
                1,
            )
        };
        let e = err_of(&bench(["device = \"m\"", ""], &module));
        assert!(
            e.contains("pool.modules[1].device") && e.contains("every module"),
            "{e}"
        );
        let e = err_of(&bench(["device = \"m\"", "device = \"m\""], &module));
        assert!(
            e.contains("pool.modules[1].device") && e.contains("already"),
            "{e}"
        );
        let e = err_of(
            &with_pool(["", ""], "").replace("[pool]\n", "[pool]\nrelease_after_s = 99999\n"),
        );
        assert!(e.contains("pool.release_after_s"), "{e}");
    }

    #[test]
    fn device_transport_mistakes_are_named_by_file_and_key() {
        let device = |name: &str, role: &str, transport: &str| {
            format!(
                "\n[[devices]]\nname = \"{name}\"\nrole = \"{role}\"\nprofile = \"p.toml\"\ntransport = {transport}\n"
            )
        };
        let rtu = |name: &str, extra: &str| {
            device(
                name,
                "dc_meter",
                &format!("{{ kind = \"modbus_rtu\", path = \"/dev/ttyUSB0\", {extra} }}"),
            )
        };
        let can = |name: &str, role: &str, link: &str| {
            device(
                name,
                role,
                &format!("{{ kind = \"can\", address = 1, link = {link} }}"),
            )
        };
        let ok = format!(
            "{MINIMAL}{}{}{}",
            rtu("meter", "unit = 1, baud = 9600"),
            rtu("imd", "unit = 2, baud = 9600"),
            can(
                "module",
                "power_module",
                "{ backend = \"socketcan\", interface = \"can1\" }"
            )
        );
        let c = Config::from_toml_str(&ok, "test.toml").unwrap();
        assert_eq!(c.devices.len(), 3);
        // The shipped fragment is a valid [[devices]] list.
        let c = Config::from_toml_str(
            &format!(
                "{MINIMAL}\n{}",
                include_str!("../configs/devices-rtu-can.toml")
            ),
            "devices-rtu-can.toml",
        )
        .unwrap();
        assert_eq!(c.devices.len(), 4);
        for (devices, key, what) in [
            (rtu("meter", "unit = 248"), "devices[0].transport.unit", "1..=247"),
            (rtu("meter", "unit = 1, baud = 9601"), "devices[0].transport.baud", "standard"),
            (
                rtu("meter", "unit = 1, data_bits = 7"),
                "devices[0].transport.data_bits",
                "8-bit",
            ),
            (
                rtu("meter", "unit = 1, baud = 9600") + &rtu("imd", "unit = 2, baud = 19200"),
                "devices[1].transport.baud",
                "device meter",
            ),
            (
                rtu("meter", "unit = 1") + &rtu("imd", "unit = 1"),
                "devices[1].transport.unit",
                "also device meter",
            ),
            (
                can(
                    "imd",
                    "insulation_monitor",
                    "{ backend = \"socketcan\", interface = \"can1\" }",
                ),
                "devices[0].role",
                "power module",
            ),
            (
                can(
                    "m",
                    "power_module",
                    "{ backend = \"cannelloni\", bind = \"127.0.0.1:20000\", peer = \"127.0.0.1:0\" }",
                ),
                "devices[0].transport.link.peer",
                "concrete",
            ),
        ] {
            let e = err_of(&format!("{MINIMAL}{devices}"));
            assert!(
                e.contains("test.toml") && e.contains(key) && e.contains(what),
                "{key}: {e}"
            );
        }
        // A module's cannelloni socket that is a connector's.
        let taken = MINIMAL.replace(
            "can = { backend = \"simulated\" }",
            "can = { backend = \"cannelloni\", bind = \"127.0.0.1:20000\", peer = \"127.0.0.1:20001\" }",
        ) + &can(
            "m",
            "power_module",
            "{ backend = \"cannelloni\", bind = \"127.0.0.1:20000\", peer = \"127.0.0.1:20002\" }",
        );
        let e = err_of(&taken);
        assert!(
            e.contains("devices[0].transport.link.bind") && e.contains("connector 1"),
            "{e}"
        );
        // pool.simulate_devices serves Modbus TCP only.
        let e = err_of(
            &with_pool(
                ["device = \"module\"", "device = \"module2\""],
                &(can(
                    "module",
                    "power_module",
                    "{ backend = \"socketcan\", interface = \"can1\" }",
                ) + &device(
                    "module2",
                    "power_module",
                    "{ kind = \"modbus_tcp\", host = \"127.0.0.1\", unit = 1 }",
                )),
            )
            .replace("[pool]\n", "[pool]\nsimulate_devices = true\n"),
        );
        assert!(e.contains("devices[0].transport.link.backend"), "{e}");
    }

    #[test]
    fn site_settings_are_range_checked_by_name() {
        let with = |site: &str| format!("{MINIMAL}\n[site]\n{site}\n");
        let ok = Config::from_toml_str(
            &with("max_grid_power_kw = 200\nmax_grid_current_a = 320\nauxiliary_load_kw = 4"),
            "test.toml",
        )
        .unwrap();
        assert_eq!(ok.site.max_grid_power_kw, Some(200.0));
        assert_eq!(ok.site.power_factor, 0.95);
        for (site, key) in [
            ("max_grid_power_kw = 0", "site.max_grid_power_kw"),
            ("max_grid_current_a = nan", "site.max_grid_current_a"),
            ("power_factor = 1.2", "site.power_factor"),
            ("converter_efficiency = 0.3", "site.converter_efficiency"),
            ("grid_voltage_v = 20000", "site.grid_voltage_v"),
            ("auxiliary_load_kw = -1", "site.auxiliary_load_kw"),
            ("request_margin_a = 0", "site.request_margin_a"),
            (
                "max_grid_power_kw = 5\nauxiliary_load_kw = 5",
                "site.auxiliary_load_kw",
            ),
            ("policy = \"priority\"", "site.priority"),
            ("priority = [1]", "site.priority"),
            (
                "policy = \"priority\"\npriority = [1, 7]",
                "site.priority[1]",
            ),
            (
                "policy = \"priority\"\npriority = [1, 1]",
                "site.priority[1]",
            ),
            ("max_grid_kw = 100", "site"),
        ] {
            let e = err_of(&with(site));
            assert!(e.contains("test.toml") && e.contains(key), "{site}: {e}");
        }
        let e = err_of(&MINIMAL.replace(
            "state_dir = \"/tmp/x\"",
            "state_dir = \"/tmp/x\"\nsite_max_current = 150",
        ));
        assert!(
            e.contains("station.site_max_current") && e.contains("[site]"),
            "{e}"
        );
    }

    #[test]
    fn each_security_profile_example_is_a_valid_ocpp_section() {
        let sim = include_str!("../configs/sim.toml").replace("mode = \"free\"", "mode = \"ocpp\"");
        for (profile, fragment) in [
            (0, include_str!("../configs/ocpp/profile-0.toml")),
            (1, include_str!("../configs/ocpp/profile-1.toml")),
            (2, include_str!("../configs/ocpp/profile-2.toml")),
            (3, include_str!("../configs/ocpp/profile-3.toml")),
        ] {
            let c = Config::from_toml_str(&format!("{sim}\n{fragment}"), "sim+profile.toml")
                .unwrap_or_else(|e| panic!("profile-{profile}.toml: {e}"));
            let ocpp = c.ocpp.expect("an [ocpp] section");
            assert_eq!(ocpp.security_profile.as_u8(), profile);
            assert_eq!(c.authorization.mode, AuthorizationMode::Ocpp);
        }
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = Config::from_toml_str(MINIMAL, "test.toml").unwrap();
        assert_eq!(c.connectors[0].min_voltage, 150.0);
        assert_eq!(c.authorization.mode, AuthorizationMode::Free);
        assert_eq!(c.station.step_interval_ms, 10);
        assert_eq!(c.insulation.fault_ohm_per_volt, 100.0);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = err_of(&MINIMAL.replace("max_current = 250", "max_curent = 250"));
        assert!(e.contains("test.toml"), "{e}");
        assert!(e.contains("max_curent"), "{e}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let e = err_of(&MINIMAL.replace("max_voltage = 750", "max_voltage = \"high\""));
        assert!(e.contains("connectors[0].max_voltage"), "{e}");
    }

    /// `[simulator.thermal]` and `[simulator.temperature_sensors]`: defaults when absent,
    /// values taken, out-of-range and unknown keys named with the file.
    #[test]
    fn simulator_thermal_section_has_defaults_ranges_and_named_keys() {
        let cfg = Config::from_toml_str(MINIMAL, "test.toml").unwrap();
        assert_eq!(cfg.simulator.cooling(), None, "absent: no cooling units");
        let cfg =
            Config::from_toml_str(&format!("{MINIMAL}\n[simulator.thermal]\n"), "t.toml").unwrap();
        assert_eq!(
            cfg.simulator.cooling().unwrap().plant,
            charger_hal::sim::thermal::ThermalPlantParams::default()
        );
        let text = format!(
            "{MINIMAL}\n[simulator.thermal]\nambient_c = 45\npin_to_coolant_k_per_w = 1.2\n\
             [simulator.temperature_sensors]\npoll_hz = 4\n"
        );
        let cfg = Config::from_toml_str(&text, "test.toml").unwrap();
        let cooling = cfg.simulator.cooling().unwrap();
        assert_eq!(cooling.plant.ambient_c, 45.0);
        assert_eq!(cooling.plant.pin_to_coolant_k_per_w, 1.2);
        assert_eq!(cooling.sensors.poll_hz, 4.0);
        let e = err_of(&format!("{MINIMAL}\n[simulator.thermal]\nambient_c = 75\n"));
        assert!(
            e.contains("test.toml") && e.contains("simulator.thermal.ambient_c"),
            "{e}"
        );
        let e = err_of(&format!(
            "{MINIMAL}\n[simulator.temperature_sensors]\nnoise_k = -1\n"
        ));
        assert!(e.contains("simulator.temperature_sensors.noise_k"), "{e}");
        let e = err_of(&format!("{MINIMAL}\n[simulator.thermal]\npin_ohm = 1\n"));
        assert!(
            e.contains("simulator.thermal") && e.contains("pin_ohm"),
            "{e}"
        );
        // configs/sim.toml has liquid-cooled simulated connectors.
        let cfg = Config::from_toml_str(include_str!("../configs/sim.toml"), "sim.toml").unwrap();
        assert!(cfg.simulator.cooling().is_some());
    }

    #[test]
    fn duplicate_connector_ids_are_rejected() {
        let two = format!(
            "{MINIMAL}{}",
            &MINIMAL[MINIMAL.find("[[connectors]]").unwrap()..]
        );
        let e = err_of(&two);
        assert!(e.contains("connectors[1].id"), "{e}");
        assert!(e.contains("used twice"), "{e}");
    }

    #[test]
    fn non_positive_rating_is_rejected() {
        let e = err_of(&MINIMAL.replace("max_power_kw = 150", "max_power_kw = -1"));
        assert!(e.contains("connectors[0].max_power_kw"), "{e}");
    }

    #[test]
    fn supervision_deadlines_have_defaults_and_ranges_named_by_key() {
        let cfg = Config::from_toml_str(MINIMAL, "t.toml").unwrap();
        assert_eq!(cfg.supervision.contactor_feedback_deadline_ms, 200);
        assert_eq!(cfg.supervision.lock_feedback_deadline_ms, 1000);
        assert_eq!(cfg.supervision.open_deadline_ms, 250);
        assert_eq!(cfg.supervision.bleeder_deadline_ms, 4000);
        assert_eq!(cfg.connectors[0].aux_supply_v, 12);
        let ok = format!("{MINIMAL}\n[supervision]\nlock_feedback_deadline_ms = 2500\n");
        let cfg = Config::from_toml_str(&ok, "t.toml").unwrap();
        assert_eq!(cfg.supervision.lock_feedback_deadline_ms, 2500);
        for (key, bad, why) in [
            ("contactor_feedback_deadline_ms", 5000, "20 to 2000"),
            ("lock_feedback_deadline_ms", 50, "100 to 10000"),
            ("open_deadline_ms", 0, "20 to 1000"),
            ("bleeder_deadline_ms", 60_000, "200 to 30000"),
        ] {
            let e = err_of(&format!("{MINIMAL}\n[supervision]\n{key} = {bad}\n"));
            assert!(
                e.contains(&format!("supervision.{key}")) && e.contains(why),
                "{e}"
            );
        }
        // In range, but shorter than three steps of a slow control loop.
        let e = err_of(&format!(
            "{}\n[supervision]\nopen_deadline_ms = 60\n",
            MINIMAL.replace("[station]\n", "[station]\nstep_interval_ms = 50\n")
        ));
        assert!(
            e.contains("supervision.open_deadline_ms") && e.contains("three control steps"),
            "{e}"
        );
        let e = err_of(&format!("{MINIMAL}\n[supervision]\nbleed_ms = 1\n"));
        assert!(e.contains("bleed_ms"), "{e}");
    }

    #[test]
    fn the_auxiliary_supply_is_12_or_24_v_and_24_v_only_for_gbt() {
        let gbt = MINIMAL.replace("\"chademo\"", "\"gbt\"");
        let cfg =
            Config::from_toml_str(&gbt.replace("can =", "aux_supply_v = 24\ncan ="), "t.toml")
                .unwrap();
        assert_eq!(cfg.connectors[0].aux_supply_v, 24);
        let e = err_of(&gbt.replace("can =", "aux_supply_v = 48\ncan ="));
        assert!(
            e.contains("connectors[0].aux_supply_v") && e.contains("12 or 24"),
            "{e}"
        );
        let e = err_of(&MINIMAL.replace("can =", "aux_supply_v = 24\ncan ="));
        assert!(
            e.contains("connectors[0].aux_supply_v") && e.contains("GB/T"),
            "{e}"
        );
    }

    #[test]
    fn local_list_needs_tags() {
        let e = err_of(&format!(
            "{MINIMAL}\n[authorization]\nmode = \"local-list\"\n"
        ));
        assert!(e.contains("authorization.id_tags"), "{e}");
    }

    #[test]
    fn bad_enum_value_names_the_key() {
        let e = err_of(&MINIMAL.replace("\"chademo\"", "\"chademoo\""));
        assert!(e.contains("connectors[0].protocol"), "{e}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, MINIMAL).unwrap();
        let env = [
            (
                "CHARGERD_STATION__STATE_DIR".to_string(),
                "/tmp/y".to_string(),
            ),
            (
                "CHARGERD_STATION__STEP_INTERVAL_MS".to_string(),
                "20".to_string(),
            ),
            ("OTHER".to_string(), "ignored".to_string()),
        ];
        let c = Config::load_with_env(&path, env).unwrap();
        assert_eq!(c.station.state_dir, PathBuf::from("/tmp/y"));
        assert_eq!(c.station.step_interval_ms, 20);
    }

    #[test]
    fn unknown_environment_key_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, MINIMAL).unwrap();
        let env = [(
            "CHARGERD_STATION__STAET_DIR".to_string(),
            "/tmp/y".to_string(),
        )];
        let e = Config::load_with_env(&path, env).unwrap_err().to_string();
        assert!(e.contains("staet_dir"), "{e}");
    }

    /// A configuration file and its drop-ins in a temporary directory.
    fn with_drop_ins(main: &str, drop_ins: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chargerd.toml");
        std::fs::write(&path, main).unwrap();
        let d = drop_in_dir(&path);
        std::fs::create_dir(&d).unwrap();
        for (name, text) in drop_ins {
            std::fs::write(d.join(name), text).unwrap();
        }
        (dir, path)
    }

    #[test]
    fn drop_ins_merge_table_wise_in_lexical_order_over_the_file() {
        let (_dir, path) = with_drop_ins(
            MINIMAL,
            &[
                // Applied after 10-: its step interval wins; the meter interval from 10- stays.
                ("20-later.toml", "[station]\nstep_interval_ms = 20\n"),
                (
                    "10-site.toml",
                    "[station]\nstep_interval_ms = 15\nmeter_persist_interval_s = 42\n\n\
                     [authorization]\nauto_start = true\n",
                ),
                // Not a drop-in: ignored.
                ("30-off.toml.bak", "[station]\nstep_interval_ms = 40\n"),
            ],
        );
        let c = Config::load_with_env(&path, []).unwrap();
        assert_eq!(c.station.step_interval_ms, 20);
        assert_eq!(c.station.meter_persist_interval_s, 42);
        // The rest of the main file's [station] table is kept, not replaced.
        assert_eq!(c.station.state_dir, PathBuf::from("/tmp/x"));
        assert!(c.authorization.auto_start);
        assert_eq!(c.connectors.len(), 1);
        let names: Vec<_> = drop_ins(&path)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["10-site.toml", "20-later.toml"]);
    }

    #[test]
    fn the_environment_wins_over_the_drop_ins() {
        let (_dir, path) = with_drop_ins(
            MINIMAL,
            &[("10-step.toml", "[station]\nstep_interval_ms = 15\n")],
        );
        let env = [(
            "CHARGERD_STATION__STEP_INTERVAL_MS".to_string(),
            "25".to_string(),
        )];
        let c = Config::load_with_env(&path, env).unwrap();
        assert_eq!(c.station.step_interval_ms, 25);
    }

    #[test]
    fn a_typo_in_a_drop_in_names_the_drop_in_and_the_key() {
        let (_dir, path) = with_drop_ins(
            MINIMAL,
            &[
                ("10-good.toml", "[station]\nstep_interval_ms = 15\n"),
                ("20-typo.toml", "[station]\nsite_max_curent = 150\n"),
            ],
        );
        let e = Config::load_with_env(&path, []).unwrap_err().to_string();
        assert!(e.contains("20-typo.toml"), "{e}");
        assert!(e.contains("station.site_max_curent"), "{e}");
        assert!(!e.contains("10-good.toml"), "{e}");
    }

    #[test]
    fn a_bad_value_in_a_drop_in_names_the_drop_in_not_the_main_file() {
        let (_dir, path) = with_drop_ins(
            MINIMAL,
            &[("50-step.toml", "[station]\nstep_interval_ms = 0\n")],
        );
        let e = Config::load_with_env(&path, []).unwrap_err().to_string();
        assert!(e.contains("50-step.toml"), "{e}");
        assert!(e.contains("station.step_interval_ms"), "{e}");
        // A wrong type too.
        let (_dir, path) = with_drop_ins(
            MINIMAL,
            &[("50-step.toml", "[authorization]\nauto_start = \"maybe\"\n")],
        );
        let e = Config::load_with_env(&path, []).unwrap_err().to_string();
        assert!(e.contains("50-step.toml"), "{e}");
        assert!(e.contains("auto_start"), "{e}");
        // And a drop-in that is not TOML at all.
        let (_dir, path) = with_drop_ins(MINIMAL, &[("50-broken.toml", "[station\n")]);
        let e = Config::load_with_env(&path, []).unwrap_err().to_string();
        assert!(e.contains("50-broken.toml"), "{e}");
    }

    #[test]
    fn an_error_in_the_main_file_still_names_the_main_file() {
        let (_dir, path) = with_drop_ins(
            &MINIMAL.replace("max_current = 250", "max_curent = 250"),
            &[("10-step.toml", "[station]\nstep_interval_ms = 15\n")],
        );
        let e = Config::load_with_env(&path, []).unwrap_err().to_string();
        assert!(e.starts_with(&path.display().to_string()), "{e}");
        assert!(e.contains("max_curent"), "{e}");
    }

    const OCPP_PROFILE_1: &str = "\n[ocpp]\ncsms_url = \"ws://127.0.0.1:9/ocpp\"\n\
        charge_point_id = \"CP-1\"\nsecurity_profile = 1\n\
        authorization_key_file = \"/etc/chargerd/ocpp.key\"\n";

    #[test]
    fn a_credential_wins_over_file_drop_ins_and_environment_for_secrets() {
        let (dir, path) = with_drop_ins(
            &format!("{MINIMAL}{OCPP_PROFILE_1}"),
            &[(
                "10-key.toml",
                "[ocpp]\nauthorization_key_file = \"/etc/chargerd/dropin.key\"\n",
            )],
        );
        let creds = dir.path().join("credentials");
        std::fs::create_dir(&creds).unwrap();
        let env = |with_creds: bool| {
            let mut env = vec![(
                "CHARGERD_OCPP__AUTHORIZATION_KEY_FILE".to_string(),
                "/run/env.key".to_string(),
            )];
            if with_creds {
                env.push((
                    "CREDENTIALS_DIRECTORY".to_string(),
                    creds.display().to_string(),
                ));
            }
            env
        };
        let key_file = |c: &Config| c.ocpp.as_ref().unwrap().authorization_key_file.clone();
        // The directory is there but holds no such credential: the environment decides.
        let c = Config::load_with_env(&path, env(true)).unwrap();
        assert_eq!(key_file(&c), Some(PathBuf::from("/run/env.key")));
        std::fs::write(creds.join("ocpp-authorization-key"), "00".repeat(16)).unwrap();
        let c = Config::load_with_env(&path, env(true)).unwrap();
        assert_eq!(key_file(&c), Some(creds.join("ocpp-authorization-key")));
        // The daemon's lenient loading does the same.
        let c = Config::load_inner(&path, env(true), true).unwrap();
        assert_eq!(key_file(&c), Some(creds.join("ocpp-authorization-key")));
        // Without $CREDENTIALS_DIRECTORY: the environment, then the drop-in.
        let c = Config::load_with_env(&path, env(false)).unwrap();
        assert_eq!(key_file(&c), Some(PathBuf::from("/run/env.key")));
        let c = Config::load_with_env(&path, []).unwrap();
        assert_eq!(
            key_file(&c),
            Some(PathBuf::from("/etc/chargerd/dropin.key"))
        );
    }

    #[test]
    fn a_credential_alone_satisfies_a_profile_that_needs_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chargerd.toml");
        let section =
            OCPP_PROFILE_1.replace("authorization_key_file = \"/etc/chargerd/ocpp.key\"\n", "");
        std::fs::write(&path, format!("{MINIMAL}{section}")).unwrap();
        let e = Config::load_with_env(&path, []).unwrap_err().to_string();
        assert!(e.contains("ocpp.authorization_key_file"), "{e}");
        std::fs::write(dir.path().join("ocpp-authorization-key"), "00".repeat(16)).unwrap();
        let env = [(
            "CREDENTIALS_DIRECTORY".to_string(),
            dir.path().display().to_string(),
        )];
        let c = Config::load_with_env(&path, env).unwrap();
        assert_eq!(
            c.ocpp.unwrap().authorization_key_file,
            Some(dir.path().join("ocpp-authorization-key"))
        );
    }

    #[test]
    fn credentials_without_an_ocpp_section_add_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chargerd.toml");
        std::fs::write(&path, MINIMAL).unwrap();
        std::fs::write(dir.path().join("ocpp-authorization-key"), "00".repeat(16)).unwrap();
        let env = [(
            "CREDENTIALS_DIRECTORY".to_string(),
            dir.path().display().to_string(),
        )];
        let c = Config::load_with_env(&path, env).unwrap();
        assert!(c.ocpp.is_none());
    }

    #[test]
    fn an_array_in_a_drop_in_replaces_the_files_array_whole() {
        let (_dir, path) = with_drop_ins(
            &format!(
                "{MINIMAL}{}",
                MINIMAL[MINIMAL.find("[[connectors]]").unwrap()..].replace("id = 1", "id = 2")
            ),
            &[(
                "10-connectors.toml",
                "[[connectors]]\nid = 3\nprotocol = \"gbt\"\nmax_voltage = 750\n\
                 max_current = 100\nmax_power_kw = 60\ncan = { backend = \"simulated\" }\n",
            )],
        );
        let c = Config::load_with_env(&path, []).unwrap();
        let ids: Vec<u32> = c.connectors.iter().map(|c| c.id).collect();
        assert_eq!(ids, [3]);
    }

    #[test]
    fn the_log_file_goes_to_its_dir_else_to_systemds_logs_directory() {
        let c = Config::from_toml_str(MINIMAL, "test.toml").unwrap();
        assert_eq!(c.log.file_settings(None), None);
        let s = c
            .log
            .file_settings(Some("/var/log/chargerd:/var/log/other"))
            .unwrap();
        assert_eq!(s.dir, PathBuf::from("/var/log/chargerd"));
        assert_eq!((s.max_file_bytes, s.keep_files), (10 * 1024 * 1024, 4));
        let c = Config::from_toml_str(
            &format!("{MINIMAL}\n[log]\ndir = \"/data/log\"\nkeep_files = 2\n"),
            "test.toml",
        )
        .unwrap();
        let s = c.log.file_settings(Some("/var/log/chargerd")).unwrap();
        assert_eq!((s.dir, s.keep_files), (PathBuf::from("/data/log"), 2));
        let e = err_of(&format!("{MINIMAL}\n[log]\nmax_file_bytes = 10\n"));
        assert!(e.contains("log.max_file_bytes"), "{e}");
        let e = err_of(&format!("{MINIMAL}\n[log]\nkeep_files = 1000\n"));
        assert!(e.contains("log.keep_files"), "{e}");
    }

    #[test]
    fn missing_file_is_named() {
        let e = Config::load_with_env(Path::new("/nonexistent/c.toml"), [])
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/c.toml"), "{e}");
    }

    #[test]
    fn a_cannelloni_interface_must_be_a_linux_interface_name() {
        let with = |iface: &str| {
            MINIMAL.replace(
                "can = { backend = \"simulated\" }",
                &format!(
                    "can = {{ backend = \"cannelloni\", bind = \"127.0.0.1:20001\", \
                     peer = \"127.0.0.1:20101\", interface = \"{iface}\" }}"
                ),
            )
        };
        let c = Config::from_toml_str(&with("eth1"), "t.toml").unwrap();
        assert!(matches!(
            &c.connectors[0].can,
            CanSection::Cannelloni { interface: Some(i), .. } if i == "eth1"
        ));
        for bad in ["", "much-too-long-ifname", "eth/1", "eth 1", ".."] {
            let e = err_of(&with(bad));
            assert!(e.contains("connectors[0].can.interface"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn a_simulated_meter_is_checked_and_named_by_its_key() {
        let with = |meter: &str| {
            MINIMAL.replace(
                "can = { backend = \"simulated\" }",
                &format!("can = {{ backend = \"simulated\" }}\nmeter = {{ backend = \"simulated\"{meter} }}"),
            )
        };
        let c = Config::from_toml_str(&with(", start_wh = 10, wrap_wh = 65536"), "t.toml").unwrap();
        assert_eq!(
            c.connectors[0].meter.as_ref().unwrap().wrap_wh(),
            Some(65536.0)
        );
        let c = Config::from_toml_str(MINIMAL, "t.toml").unwrap();
        assert!(
            c.connectors[0].meter.is_none(),
            "no meter unless configured"
        );
        for (bad, key) in [
            (", start_wh = -1", "connectors[0].meter.start_wh"),
            (
                ", start_wh = 70000, wrap_wh = 65536",
                "connectors[0].meter.start_wh",
            ),
            (", wrap_wh = 10", "connectors[0].meter.wrap_wh"),
            (", serial = \"\"", "connectors[0].meter.serial"),
        ] {
            let e = err_of(&with(bad));
            assert!(e.contains(key), "{bad:?}: {e}");
        }
    }

    #[test]
    fn the_admin_socket_defaults_beside_the_control_socket_and_must_differ() {
        let c = Config::from_toml_str(MINIMAL, "t.toml").unwrap();
        assert_eq!(c.admin_socket(), PathBuf::from("/run/chargerd/admin.sock"));
        let e = err_of(&MINIMAL.replace(
            "state_dir = \"/tmp/x\"",
            "state_dir = \"/tmp/x\"\ncontrol_socket = \"/run/c/a.sock\"\nadmin_socket = \"/run/c/a.sock\"",
        ));
        assert!(e.contains("station.admin_socket"), "{e}");
    }

    #[test]
    fn a_state_dir_others_may_write_is_tightened_when_it_is_ours() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir(&state).unwrap();
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o770)).unwrap();
        let mut c = Config::from_toml_str(MINIMAL, "t.toml").unwrap();
        c.station.state_dir = state.clone();
        c.station.control_socket = dir.path().join("run/control.sock");
        c.check_environment(Path::new("t.toml")).unwrap();
        let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o750);
        // A new one is the service's own.
        c.station.state_dir = dir.path().join("fresh/state");
        c.check_environment(Path::new("t.toml")).unwrap();
        let mode = std::fs::metadata(&c.station.state_dir)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn unwritable_state_dir_is_reported() {
        let mut c = Config::from_toml_str(MINIMAL, "t.toml").unwrap();
        c.station.state_dir = PathBuf::from("/proc/chargerd-cannot-write-here");
        let e = c
            .check_environment(Path::new("t.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("station.state_dir"), "{e}");
    }

    /// MINIMAL's connector with `parts` (lines of the connector's table) and `devices`.
    fn with_connector_devices(parts: &str, devices: &str) -> String {
        format!("{MINIMAL}{parts}\n{devices}")
    }

    fn device(name: &str, role: &str, host: &str, port: u16) -> String {
        format!(
            "[[devices]]\nname = \"{name}\"\nrole = \"{role}\"\nprofile = \"x.toml\"\n\
             transport = {{ kind = \"modbus_tcp\", host = \"{host}\", port = {port}, unit = 1 }}\n"
        )
    }

    #[test]
    fn connector_devices_name_existing_devices_of_their_role_each_once() {
        let parts = "simulate_devices = true\nmeter = { backend = \"device\", device = \"m\", wrap_wh = 4294967296 }\n\
                     imd = { backend = \"device\", device = \"i\" }\ncooling = { backend = \"device\", device = \"c\" }\n";
        let devices = [
            device("m", "dc_meter", "127.0.0.1", 15031),
            device("i", "insulation_monitor", "127.0.0.1", 15032),
            device("c", "cooling_unit", "127.0.0.1", 15033),
        ]
        .concat();
        let cfg = Config::from_toml_str(&with_connector_devices(parts, &devices), "t.toml")
            .expect("valid");
        let c = &cfg.connectors[0];
        let named: Vec<(&str, &str)> = c.devices().iter().map(|d| (d.key, d.device)).collect();
        assert_eq!(
            named,
            [
                ("meter.device", "m"),
                ("imd.device", "i"),
                ("cooling.device", "c")
            ]
        );
        assert_eq!(
            c.meter.as_ref().and_then(MeterSection::wrap_wh),
            Some(4294967296.0)
        );

        // A device that does not exist, of another role, or used twice: file and key named.
        let e = err_of(&with_connector_devices(
            &parts.replace("device = \"i\"", "device = \"nope\""),
            &devices,
        ));
        assert!(
            e.starts_with("test.toml: key `connectors[0].imd.device`") && e.contains("nope"),
            "{e}"
        );
        let e = err_of(&with_connector_devices(
            &parts.replace("device = \"c\"", "device = \"m\""),
            &devices,
        ));
        assert!(
            e.contains("connectors[0].cooling.device") && e.contains("not cooling_unit"),
            "{e}"
        );
        let second = "\n[[connectors]]\nid = 2\nprotocol = \"gbt\"\nmax_voltage = 750\nmax_current = 250\nmax_power_kw = 150\ncan = { backend = \"simulated\" }\nimd = { backend = \"device\", device = \"i\" }\n";
        let e = err_of(&format!(
            "{}{second}",
            with_connector_devices(parts, &devices)
        ));
        assert!(
            e.contains("connectors[1].imd.device")
                && e.contains("already connectors[0].imd.device"),
            "{e}"
        );
        let e = err_of(&with_connector_devices(
            &parts.replace("wrap_wh = 4294967296", "wrap_wh = 10"),
            &devices,
        ));
        assert!(e.contains("connectors[0].meter.wrap_wh"), "{e}");
        let e = err_of(&with_connector_devices(
            &parts.replace(
                "backend = \"device\", device = \"i\"",
                "backend = \"simulated\"",
            ),
            &devices,
        ));
        assert!(e.contains("connectors[0].imd"), "{e}");
    }

    #[test]
    fn simulated_connector_devices_are_on_loopback_each_on_a_port_of_its_own() {
        let parts = "simulate_devices = true\nmeter = { backend = \"device\", device = \"m\" }\nimd = { backend = \"device\", device = \"i\" }\n";
        let ok = [
            device("m", "dc_meter", "127.0.0.1", 15031),
            device("i", "insulation_monitor", "localhost", 15032),
        ]
        .concat();
        assert!(Config::from_toml_str(&with_connector_devices(parts, &ok), "t.toml").is_ok());
        let far = [
            device("m", "dc_meter", "127.0.0.1", 15031),
            device("i", "insulation_monitor", "10.0.0.7", 15032),
        ]
        .concat();
        let e = err_of(&with_connector_devices(parts, &far));
        assert!(
            e.contains("devices[1].transport.host") && e.contains("loopback"),
            "{e}"
        );
        let shared = [
            device("m", "dc_meter", "127.0.0.1", 15031),
            device("i", "insulation_monitor", "127.0.0.1", 15031),
        ]
        .concat();
        let e = err_of(&with_connector_devices(parts, &shared));
        assert!(
            e.contains("devices[0].transport.port") && e.contains("port of its own"),
            "{e}"
        );
        // Real devices (no simulate_devices) may share a gateway.
        assert!(Config::from_toml_str(
            &with_connector_devices(&parts.replace("simulate_devices = true\n", ""), &shared),
            "t.toml"
        )
        .is_ok());
        let e = err_of(&with_connector_devices("simulate_devices = true\n", ""));
        assert!(e.contains("connectors[0].simulate_devices"), "{e}");
    }
}
