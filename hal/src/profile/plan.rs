//! The read planner: which Modbus requests read a set of points. Pure.
//!
//! Fewer requests mean less latency per poll, so neighbouring points are read together; but a
//! request must never exceed the device's size limit (at most 125 registers or 2000 bits by the
//! protocol, often less by the vendor) and must never touch a declared gap — addresses the
//! device answers with "illegal data address", which would fail the whole request.

use super::Table;

/// One point to read: where it lives and how many registers (or bits) it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub table: Table,
    /// Zero-based PDU address of the first register or bit.
    pub address: u16,
    /// Registers (or bits) taken, at least 1.
    pub count: u16,
}

impl Span {
    /// One past the last address, widened so that it cannot overflow.
    pub fn end(&self) -> u32 {
        u32::from(self.address) + u32::from(self.count)
    }
}

/// A run of addresses a read must not span: `start..=end`, zero-based, in one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub table: Table,
    pub start: u16,
    pub end: u16,
}

/// What the device accepts in one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadLimits {
    pub max_registers: u16,
    pub max_bits: u16,
    pub gaps: Vec<Gap>,
}

/// One request: `count` registers or bits from `address` in `table`, and which of the input
/// spans (by index) it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRequest {
    pub table: Table,
    pub address: u16,
    pub count: u16,
    pub points: Vec<usize>,
}

impl ReadRequest {
    pub fn end(&self) -> u32 {
        u32::from(self.address) + u32::from(self.count)
    }
}

/// Why a set of points cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("point {index} takes {count} units, more than the {max} one request may read")]
    TooLarge { index: usize, count: u16, max: u16 },
    #[error("point {index} overlaps the gap {start}..={end}")]
    InGap { index: usize, start: u16, end: u16 },
    #[error("point {index} runs past the end of the address space")]
    PastEnd { index: usize },
    #[error("point {index} takes no registers")]
    Empty { index: usize },
}

impl ReadLimits {
    pub fn max_for(&self, table: Table) -> u16 {
        if table.is_bits() {
            self.max_bits
        } else {
            self.max_registers
        }
    }

    /// Whether `[start, end)` in `table` touches a gap.
    pub fn touches_gap(&self, table: Table, start: u32, end: u32) -> Option<&Gap> {
        self.gaps
            .iter()
            .find(|g| g.table == table && u32::from(g.start) < end && start <= u32::from(g.end))
    }
}

/// Group `spans` into as few requests as a greedy left-to-right pass finds, per table in address
/// order. Guarantees: every span is in exactly one request and wholly inside it; no request
/// exceeds the table's limit; no request touches a gap. Overlapping spans may share a request.
pub fn plan_reads(spans: &[Span], limits: &ReadLimits) -> Result<Vec<ReadRequest>, PlanError> {
    for (index, s) in spans.iter().enumerate() {
        if s.count == 0 {
            return Err(PlanError::Empty { index });
        }
        if s.end() > 0x1_0000 {
            return Err(PlanError::PastEnd { index });
        }
        let max = limits.max_for(s.table);
        if s.count > max {
            return Err(PlanError::TooLarge {
                index,
                count: s.count,
                max,
            });
        }
        if let Some(g) = limits.touches_gap(s.table, u32::from(s.address), s.end()) {
            return Err(PlanError::InGap {
                index,
                start: g.start,
                end: g.end,
            });
        }
    }
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].table, spans[i].address, spans[i].count));
    let mut out: Vec<ReadRequest> = Vec::new();
    for i in order {
        let s = spans[i];
        let max = u32::from(limits.max_for(s.table));
        if let Some(cur) = out.last_mut() {
            if cur.table == s.table {
                let new_end = cur.end().max(s.end());
                let fits = new_end - u32::from(cur.address) <= max;
                let clear = limits
                    .touches_gap(s.table, u32::from(cur.address), new_end)
                    .is_none();
                if fits && clear {
                    // new_end - address ≤ max ≤ 2000, so it fits u16.
                    cur.count = u16::try_from(new_end - u32::from(cur.address)).unwrap_or(0);
                    cur.points.push(i);
                    continue;
                }
            }
        }
        out.push(ReadRequest {
            table: s.table,
            address: s.address,
            count: s.count,
            points: vec![i],
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn limits(max: u16, gaps: Vec<Gap>) -> ReadLimits {
        ReadLimits {
            max_registers: max,
            max_bits: 2000,
            gaps,
        }
    }

    #[test]
    fn neighbours_share_a_request_and_a_gap_splits_them() {
        let spans = [
            Span {
                table: Table::Holding,
                address: 0,
                count: 2,
            },
            Span {
                table: Table::Holding,
                address: 2,
                count: 1,
            },
            Span {
                table: Table::Holding,
                address: 20,
                count: 2,
            },
        ];
        let one = plan_reads(&spans, &limits(125, vec![])).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!((one[0].address, one[0].count), (0, 22));

        let gap = Gap {
            table: Table::Holding,
            start: 10,
            end: 19,
        };
        let two = plan_reads(&spans, &limits(125, vec![gap])).unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(
            (two[0].address, two[0].count, two[0].points.clone()),
            (0, 3, vec![0, 1])
        );
        assert_eq!((two[1].address, two[1].count), (20, 2));
    }

    #[test]
    fn tables_never_mix_and_the_limit_splits() {
        let spans = [
            Span {
                table: Table::Input,
                address: 0,
                count: 2,
            },
            Span {
                table: Table::Holding,
                address: 0,
                count: 2,
            },
            Span {
                table: Table::Input,
                address: 8,
                count: 4,
            },
        ];
        let plan = plan_reads(&spans, &limits(10, vec![])).unwrap();
        assert_eq!(plan.len(), 3, "{plan:?}");
    }

    #[test]
    fn a_point_in_a_gap_or_too_large_is_an_error() {
        let gap = Gap {
            table: Table::Input,
            start: 5,
            end: 5,
        };
        let spans = [Span {
            table: Table::Input,
            address: 4,
            count: 2,
        }];
        assert!(matches!(
            plan_reads(&spans, &limits(125, vec![gap])),
            Err(PlanError::InGap { index: 0, .. })
        ));
        let big = [Span {
            table: Table::Input,
            address: 0,
            count: 126,
        }];
        assert!(matches!(
            plan_reads(&big, &limits(125, vec![])),
            Err(PlanError::TooLarge { .. })
        ));
        let past = [Span {
            table: Table::Input,
            address: 65535,
            count: 2,
        }];
        assert!(matches!(
            plan_reads(&past, &limits(125, vec![])),
            Err(PlanError::PastEnd { .. })
        ));
    }

    fn table() -> impl Strategy<Value = Table> {
        prop::sample::select(vec![
            Table::Coil,
            Table::DiscreteInput,
            Table::Holding,
            Table::Input,
        ])
    }

    proptest! {
        #[test]
        fn plans_cover_every_point_within_limits_and_never_span_a_gap(
            raw_spans in prop::collection::vec((table(), 0u16..600, 1u16..6), 1..40),
            raw_gaps in prop::collection::vec((table(), 0u16..600, 0u16..8), 0..6),
            max_registers in 8u16..=125,
            max_bits in 8u16..=2000,
        ) {
            let gaps: Vec<Gap> = raw_gaps.iter().map(|&(table, start, len)|
                Gap { table, start, end: start + len }).collect();
            let limits = ReadLimits { max_registers, max_bits, gaps: gaps.clone() };
            // Points that sit in a gap are a profile error; the planner gets only clean ones.
            let spans: Vec<Span> = raw_spans.iter()
                .map(|&(table, address, count)| Span { table, address, count })
                .filter(|s| limits.touches_gap(s.table, u32::from(s.address), s.end()).is_none())
                .collect();
            let plan = plan_reads(&spans, &limits).unwrap();
            let mut seen = vec![0usize; spans.len()];
            for r in &plan {
                prop_assert!(r.count >= 1 && r.count <= limits.max_for(r.table));
                prop_assert!(limits.touches_gap(r.table, u32::from(r.address), r.end()).is_none(),
                    "request {:?} spans a gap", r);
                for &p in &r.points {
                    let s = spans[p];
                    prop_assert_eq!(s.table, r.table);
                    prop_assert!(s.address >= r.address && s.end() <= r.end());
                    seen[p] += 1;
                }
            }
            prop_assert!(seen.iter().all(|&n| n == 1), "coverage {:?}", seen);
        }
    }
}
