//! A connector whose DC meter, insulation monitor or cooling unit are devices of their own
//! (`[[devices]]`), around the hardware that provides the rest (CAN, power, I/O).
//!
//! The rest is the simulated connector or the board's ([`crate::board::BoardConnector`]);
//! the parts named in the configuration replace its own, and a connector with an `io` table
//! reads and drives its board's lines ([`BoardIo`]) instead of the simulator's (a simulated
//! plant then follows the board's outputs: a bench with a real I/O module charges the
//! simulated truck). Each part keeps its backend's rules: a stale Modbus meter reading says
//! so (the station records a gap), a stale or silent insulation monitor reports a device
//! fault (the station stops safely), and the station never sees which kind of backend it
//! reads.

use charger_protocol::Timestamp;

use crate::board::BoardIo;
use crate::connector::{ConnectorHardware, SimulatorControl};
use crate::imd::InsulationMonitor;
use crate::module::{CoolingUnit, DcMeter};
use crate::{CanPort, DigitalIo, PowerSupply};

/// See the module documentation.
#[derive(Debug)]
pub struct DeviceBackedConnector {
    base: Box<dyn ConnectorHardware>,
    meter: Option<Box<dyn DcMeter>>,
    imd: Option<Box<dyn InsulationMonitor>>,
    cooling: Option<Box<dyn CoolingUnit>>,
    io: Option<BoardIo>,
    /// The simulated plant behind the board: its contactors, lock and vehicle lines follow
    /// what the board's terminals carry.
    plant_behind_board: bool,
}

impl DeviceBackedConnector {
    /// `base` with none of its parts replaced yet.
    pub fn new(base: Box<dyn ConnectorHardware>) -> Self {
        DeviceBackedConnector {
            base,
            meter: None,
            imd: None,
            cooling: None,
            io: None,
            plant_behind_board: false,
        }
    }

    /// The session's energy comes from `meter`.
    pub fn with_meter(mut self, meter: Box<dyn DcMeter>) -> Self {
        self.meter = Some(meter);
        self
    }

    /// The cable check and the insulation supervision drive `imd`, and the cable voltage
    /// (vehicle side of the output contactor) is what it measures.
    pub fn with_imd(mut self, imd: Box<dyn InsulationMonitor>) -> Self {
        self.imd = Some(imd);
        self
    }

    /// The station reads and drives the board's lines: `io`'s snapshot is refreshed at each
    /// [`step`](ConnectorHardware::step), with the station's time.
    pub fn with_io(mut self, io: BoardIo) -> Self {
        self.io = Some(io);
        self
    }

    /// With [`with_io`](Self::with_io) on a simulated `base`: the simulated plant stands for
    /// the contactors, lock and vehicle behind the board's terminals. At each step it follows
    /// the outputs the board carries (one step late, as a contactor follows its coil); an
    /// output the configuration does not map stays at rest in the plant too, so a line the
    /// board lacks is missed there as it would be on the cabinet. The inputs still come from
    /// the board alone (the wiring, e.g. an auxiliary contact, is the I/O module's business).
    pub fn with_plant_behind_board(mut self) -> Self {
        self.plant_behind_board = true;
        self
    }

    pub fn with_cooling(mut self, cooling: Box<dyn CoolingUnit>) -> Self {
        self.cooling = Some(cooling);
        self
    }
}

impl ConnectorHardware for DeviceBackedConnector {
    fn can(&mut self) -> &mut dyn CanPort {
        self.base.can()
    }

    fn power(&mut self) -> &mut dyn PowerSupply {
        self.base.power()
    }

    fn io(&mut self) -> &mut dyn DigitalIo {
        match &mut self.io {
            Some(io) => io,
            None => self.base.io(),
        }
    }

    fn imd(&mut self) -> &mut dyn InsulationMonitor {
        match &mut self.imd {
            Some(imd) => imd.as_mut(),
            None => self.base.imd(),
        }
    }

    fn meter(&mut self) -> Option<&mut dyn DcMeter> {
        match &mut self.meter {
            Some(meter) => Some(meter.as_mut()),
            None => self.base.meter(),
        }
    }

    fn cooling(&mut self) -> Option<&mut dyn CoolingUnit> {
        match &mut self.cooling {
            Some(cooling) => Some(cooling.as_mut()),
            None => self.base.cooling(),
        }
    }

    fn step(&mut self, now: Timestamp) {
        if let (true, Some(terminals)) = (
            self.plant_behind_board,
            self.io.as_ref().and_then(BoardIo::on_the_terminals),
        ) {
            self.base.io().write(&terminals);
        }
        self.base.step(now);
        if let Some(io) = &mut self.io {
            io.refresh(now);
        }
    }

    fn simulator(&mut self) -> Option<&mut dyn SimulatorControl> {
        self.base.simulator()
    }

    fn unavailable(&self) -> Option<String> {
        self.base.unavailable()
    }
}
