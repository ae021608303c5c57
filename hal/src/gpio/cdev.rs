//! [`GpioBackend`] on the Linux GPIO character device, uAPI v2 (`gpiocdev`).
//!
//! One request per chip holds every configured line: inputs and outputs, each with its own
//! polarity, bias, debounce and edge detection (uAPI v2 allows per-line attributes). The
//! request is exclusive: another process asking for the same line gets EBUSY, and so does
//! this one if a line is taken — reported as a request error naming the chip.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use gpiocdev::line::{EdgeDetection, EdgeKind, Offset, Value, Values};

use super::{
    Bias, ChipInfo, EdgeEvent, GpioBackend, GpioError, GpioLines, LineAddress, LineConfig,
    LineDirection, LineInfo,
};

/// See the module documentation.
#[derive(Debug, Default, Clone, Copy)]
pub struct CdevBackend;

#[derive(Debug)]
struct CdevLines {
    chip: PathBuf,
    request: gpiocdev::Request,
    /// Each requested line's offset, in request order.
    offsets: Vec<Offset>,
}

impl GpioBackend for CdevBackend {
    fn inspect(
        &self,
        chip: &Path,
        lines: &[LineAddress],
    ) -> Result<(ChipInfo, Vec<Result<LineInfo, GpioError>>), GpioError> {
        let open_error = |e: gpiocdev::Error| GpioError::Open {
            chip: chip.to_path_buf(),
            reason: e.to_string(),
        };
        let opened = gpiocdev::chip::Chip::from_path(chip).map_err(open_error)?;
        let info = opened.info().map_err(open_error)?;
        let lines = lines
            .iter()
            .map(|address| {
                let line = match address {
                    LineAddress::Offset(o) => opened.line_info(*o).map_err(|e| GpioError::Io {
                        chip: chip.to_path_buf(),
                        reason: format!("offset {o}: {e}"),
                    })?,
                    LineAddress::Name(name) => {
                        opened
                            .find_line_info(name)
                            .ok_or_else(|| GpioError::NoSuchLine {
                                chip: chip.to_path_buf(),
                                name: name.clone(),
                            })?
                    }
                };
                Ok(LineInfo {
                    offset: line.offset,
                    name: line.name,
                    consumer: line.used.then(|| {
                        if line.consumer.is_empty() {
                            "kernel".to_string()
                        } else {
                            line.consumer
                        }
                    }),
                    output: line.direction == gpiocdev::line::Direction::Output,
                })
            })
            .collect();
        Ok((
            ChipInfo {
                name: info.name,
                label: info.label,
                lines: info.num_lines,
            },
            lines,
        ))
    }

    fn request(
        &self,
        chip: &Path,
        consumer: &str,
        lines: &[LineConfig],
    ) -> Result<Arc<dyn GpioLines>, GpioError> {
        let opened = gpiocdev::chip::Chip::from_path(chip).map_err(|e| GpioError::Open {
            chip: chip.to_path_buf(),
            reason: e.to_string(),
        })?;
        let offsets = lines
            .iter()
            .map(|l| match &l.address {
                LineAddress::Offset(o) => Ok(*o),
                LineAddress::Name(name) => opened
                    .find_line_info(name)
                    .map(|info| info.offset)
                    .ok_or_else(|| GpioError::NoSuchLine {
                        chip: chip.to_path_buf(),
                        name: name.clone(),
                    }),
            })
            .collect::<Result<Vec<Offset>, GpioError>>()?;
        let mut builder = gpiocdev::Request::builder();
        builder.on_chip(chip).with_consumer(consumer);
        for (line, offset) in lines.iter().zip(&offsets) {
            // Every attribute below applies to the line just added.
            builder.with_line(*offset);
            if line.active_low {
                builder.as_active_low();
            } else {
                builder.as_active_high();
            }
            match line.bias {
                Bias::AsIs => {}
                Bias::PullUp => {
                    builder.with_bias(gpiocdev::line::Bias::PullUp);
                }
                Bias::PullDown => {
                    builder.with_bias(gpiocdev::line::Bias::PullDown);
                }
                Bias::Disabled => {
                    builder.with_bias(gpiocdev::line::Bias::Disabled);
                }
            }
            match line.direction {
                LineDirection::Input { debounce, edges } => {
                    builder.as_input();
                    if let Some(period) = debounce {
                        builder.with_debounce_period(period);
                    }
                    if edges {
                        builder.with_edge_detection(EdgeDetection::BothEdges);
                    }
                }
                LineDirection::Output { safe } => {
                    builder.as_output(Value::from(safe));
                }
            }
        }
        let request = builder.request().map_err(|e| GpioError::Request {
            chip: chip.to_path_buf(),
            reason: e.to_string(),
        })?;
        Ok(Arc::new(CdevLines {
            chip: chip.to_path_buf(),
            request,
            offsets,
        }))
    }
}

impl CdevLines {
    fn io(&self, e: gpiocdev::Error) -> GpioError {
        GpioError::Io {
            chip: self.chip.clone(),
            reason: e.to_string(),
        }
    }
}

impl GpioLines for CdevLines {
    fn values(&self) -> Result<Vec<bool>, GpioError> {
        let mut values = Values::from_offsets(&self.offsets);
        self.request.values(&mut values).map_err(|e| self.io(e))?;
        Ok(self
            .offsets
            .iter()
            .map(|o| values.get(*o).is_some_and(bool::from))
            .collect())
    }

    fn set_values(&self, values: &[(usize, bool)]) -> Result<(), GpioError> {
        let values: Values = values
            .iter()
            .filter_map(|(i, level)| Some((*self.offsets.get(*i)?, Value::from(*level))))
            .collect();
        if values.is_empty() {
            return Ok(());
        }
        self.request.set_values(&values).map_err(|e| self.io(e))
    }

    fn wait_edges(&self, timeout: Duration) -> Result<Vec<EdgeEvent>, GpioError> {
        let mut events = Vec::new();
        if !self
            .request
            .wait_edge_event(timeout)
            .map_err(|e| self.io(e))?
        {
            return Ok(events);
        }
        while self.request.has_edge_event().map_err(|e| self.io(e))? {
            let event = self.request.read_edge_event().map_err(|e| self.io(e))?;
            if let Some(line) = self.offsets.iter().position(|o| *o == event.offset) {
                events.push(EdgeEvent {
                    line,
                    active: event.kind == EdgeKind::Rising,
                });
            }
        }
        Ok(events)
    }
}
