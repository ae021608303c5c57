//! `chargerctl metrics`: the station's status in the Prometheus text exposition format,
//! version 0.0.4 — what node_exporter's textfile collector reads. Pure: built from the answers
//! the control socket already gives (`status`, and `ocpp` when there is an OCPP link).
//!
//! One family per measurement, each with `# HELP` and `# TYPE`, every sample labelled with its
//! connector; the binding current limit carries its source as a label, so a dashboard can say
//! *why* a truck gets what it gets. Label values are escaped as the format says (`\\`, `\"`,
//! `\n`); numbers that are not finite are written as Prometheus spells them (`NaN`, `+Inf`).

use std::fmt::Write;

use crate::control::StationStatus;
use crate::ocpp::client::OcppStatus;

/// The content type a scraper would be told (for a textfile collector, the file's format).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// A metric family being written: its samples follow its HELP and TYPE lines.
struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
}

impl Family<'_> {
    fn sample(&mut self, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(self.name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (name, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{name}=\"{}\"", escape_label_value(value));
            }
            self.out.push('}');
        }
        self.out.push(' ');
        self.out.push_str(&number(value));
        self.out.push('\n');
    }
}

fn family<'a>(out: &'a mut String, name: &'static str, kind: &str, help: &str) -> Family<'a> {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
    Family { out, name }
}

/// A label value as the format wants it: backslash, double quote and line feed escaped.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP text: backslash and line feed escaped.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A sample value: Go's float syntax, which Prometheus parses; `NaN`, `+Inf`, `-Inf` spelt
/// its way.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v == 0.0 {
        "0".into()
    } else if f64::from(v as f32) == v {
        // An f32 reading widened to f64 would print its binary noise (113.69999694824219):
        // printed as the f32 it was, it is the shortest decimal that reads back the same.
        format!("{}", v as f32)
    } else {
        format!("{v}")
    }
}

/// The whole exposition: station, each connector, the OCPP link (when there is one).
pub fn render(status: &StationStatus, ocpp: Option<&OcppStatus>) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "chargerd_info",
        "gauge",
        "The station's name and chargerd's version (always 1).",
    )
    .sample(
        &[("station", &status.name), ("version", &status.version)],
        1.0,
    );
    family(
        &mut out,
        "chargerd_uptime_seconds",
        "gauge",
        "Seconds since chargerd started.",
    )
    .sample(&[], status.uptime_s as f64);

    let connectors: Vec<(String, &crate::station::ConnectorSnapshot)> = status
        .connectors
        .iter()
        .map(|c| (c.station.id.to_string(), &c.station))
        .collect();
    let per_connector =
        |out: &mut String,
         name: &'static str,
         kind: &str,
         help: &str,
         value: &dyn Fn(&crate::station::ConnectorSnapshot) -> f64| {
            let mut f = family(out, name, kind, help);
            for (id, c) in &connectors {
                f.sample(&[("connector", id)], value(c));
            }
        };
    per_connector(
        &mut out,
        "chargerd_connector_current_amperes",
        "gauge",
        "Measured DC output current.",
        &|c| f64::from(c.current),
    );
    per_connector(
        &mut out,
        "chargerd_connector_voltage_volts",
        "gauge",
        "Measured DC output voltage.",
        &|c| f64::from(c.voltage),
    );
    per_connector(
        &mut out,
        "chargerd_connector_power_kilowatts",
        "gauge",
        "DC output power.",
        &|c| f64::from(c.power_kw),
    );
    per_connector(
        &mut out,
        "chargerd_connector_energy_watt_hours_total",
        "counter",
        "The connector's energy register (what OCPP reports as Energy.Active.Import.Register).",
        &|c| c.meter_wh,
    );
    per_connector(
        &mut out,
        "chargerd_connector_offered_current_amperes",
        "gauge",
        "Current the station offers the truck (every limit but the truck's own request).",
        &|c| f64::from(c.offered_current),
    );
    {
        let mut f = family(
            &mut out,
            "chargerd_connector_limit_amperes",
            "gauge",
            "The binding current limit (the smallest), labelled with its source.",
        );
        for (id, c) in &connectors {
            if let Some(limit) = &c.binding_limit {
                f.sample(
                    &[("connector", id), ("source", limit.source.name())],
                    f64::from(limit.amps),
                );
            }
        }
    }
    {
        let mut f = family(
            &mut out,
            "chargerd_connector_status",
            "gauge",
            "The connector's status as OCPP names it (1 for the present one).",
        );
        for (id, c) in &connectors {
            f.sample(&[("connector", id), ("status", &c.status.to_string())], 1.0);
        }
    }
    {
        let cooled: Vec<_> = status
            .connectors
            .iter()
            .filter_map(|c| Some((c.station.id.to_string(), c.thermal.as_ref()?)))
            .collect();
        let mut f = family(
            &mut out,
            "chargerd_cooling_power_watts",
            "gauge",
            "What the connector's cooling unit draws now (measured by it, or estimated from its pump and fan speeds); part of the site's auxiliary load.",
        );
        for (id, t) in &cooled {
            f.sample(&[("connector", id)], f64::from(t.cooling_power_w));
        }
        let mut f = family(
            &mut out,
            "chargerd_cooling_energy_watt_hours_total",
            "counter",
            "Energy the connector's cooling unit drew since chargerd started.",
        );
        for (id, t) in &cooled {
            f.sample(&[("connector", id)], t.cooling_energy_wh);
        }
    }
    per_connector(
        &mut out,
        "chargerd_connector_faults",
        "gauge",
        "Faults active on the connector.",
        &|c| c.faults.len() as f64,
    );
    if let Some(o) = ocpp {
        family(
            &mut out,
            "chargerd_ocpp_connected",
            "gauge",
            "1 while the OCPP link to the CSMS is up.",
        )
        .sample(&[], if o.connected { 1.0 } else { 0.0 });
        family(
            &mut out,
            "chargerd_ocpp_outbox_messages",
            "gauge",
            "Transaction messages and security events waiting to reach the CSMS.",
        )
        .sample(&[], o.outbox_depth as f64);
        family(
            &mut out,
            "chargerd_ocpp_refused_messages",
            "gauge",
            "Messages the CSMS refused too often, set aside (kept in the journal).",
        )
        .sample(&[], o.refused_messages as f64);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_and_help_are_escaped_as_the_format_says() {
        assert_eq!(escape_label_value(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label_value("two\nlines"), "two\\nlines");
        assert_eq!(escape_help("a\\b\nc"), "a\\\\b\\nc");
    }

    #[test]
    fn numbers_are_plain_and_special_values_spelt_as_prometheus_does() {
        assert_eq!(number(113.7f32 as f64), "113.7");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(12_345.678_901_234), "12345.678901234");
        assert_eq!(number(12_345_678.0), "12345678");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NEG_INFINITY), "-Inf");
    }
}
