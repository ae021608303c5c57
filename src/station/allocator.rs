//! The station allocator: every station-wide budget, and each connector's share of them.
//!
//! Connectors cannot see each other, so no connector may decide how much of a shared budget it
//! takes. Once per station step the allocator gets every connector's demand (the minimum of its
//! own limits, the vehicle's request included) and the voltage its current is drawn at, and
//! hands back a share in amperes that the connector then composes with its other limits
//! (ARCHITECTURE.md principle 4). Pure and time-free: a step is one call to
//! [`StationAllocator::allocate`].
//!
//! # Budgets
//!
//! * **The site budget** ([`SiteBudget`]) lives on the grid side of the converters: AC active
//!   power and/or current per phase at the grid connection (three-phase, nominal line-to-line
//!   voltage and power factor from the configuration). A connector's DC output `V × I` costs
//!   `V × I / efficiency` at the grid, and the station's own auxiliary load (cooling,
//!   controls) is taken off the top. Amperes of trucks at different voltages are never added.
//! * **The charge-point-wide OCPP profile** ([`StationLimit`], from a ChargePointMaxProfile):
//!   its amperes limit the **sum of the connectors' DC output currents**, its watts the **sum of
//!   their DC output powers**. OCPP 1.6 does not say which side of the converters a DC charge
//!   point's profile means; the output side is what the CSMS sees in MeterValues.
//!
//! Each budget is one linear constraint `Σ coefficient_i × share_i ≤ capacity`, where the
//! coefficient is 1 for a current budget and the connector's voltage for a power budget.
//!
//! # Policy
//!
//! [`AllocationPolicy::EqualShare`] is max-min fair in DC power (water-filling): every connector
//! gets the same power, except one that wants less, whose unused share goes to the others.
//! [`AllocationPolicy::Priority`] serves connectors in the configured order, each getting all it
//! wants that still fits; connectors not in the list follow in id order.
//!
//! # Lowering before raising
//!
//! A share that falls takes effect at once (the supply ramps down behind it). A share that rises
//! may only use headroom that no connector still holds: for every budget,
//! `Σ max(previous share, drawn current, new share)` stays within the capacity. So when one truck
//! gives power to another, the giver's share falls this step and the taker's rises on a later
//! step, once the giver has let go of it. No budget is exceeded during any step.

use std::collections::BTreeMap;

/// The grid connection's budget, all from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteBudget {
    /// AC active power the station may take from the grid, in kW.
    pub max_grid_power_kw: Option<f32>,
    /// AC current per phase (rms) at the grid connection, in amperes.
    pub max_grid_current_a: Option<f32>,
    /// Nominal line-to-line voltage of the three-phase connection, in volts.
    pub grid_voltage_v: f32,
    /// Power factor of the converters' input.
    pub power_factor: f32,
    /// DC output power ÷ AC input power of the converters.
    pub converter_efficiency: f32,
    /// The station's own consumption besides the connectors' cooling units (controls,
    /// cabinet fans, lighting), in kW, always drawn.
    pub auxiliary_load_kw: f32,
    /// What the connectors' cooling units draw now, in W: measured by the units, or
    /// estimated from their pump and fan speeds. Not configuration: the station sets it every
    /// step ([`StationAllocator::set_cooling_load_w`]).
    pub cooling_load_w: f64,
}

impl SiteBudget {
    /// Active power (W) that `amps` per phase carry at the connection: √3 · V_LL · I · cos φ.
    pub fn watts_of_phase_current(&self, amps: f64) -> f64 {
        3f64.sqrt() * f64::from(self.grid_voltage_v) * amps * f64::from(self.power_factor)
    }

    /// The grid-side active power limit, in W: the tighter of the kW and the current limit.
    pub fn grid_watts(&self) -> Option<f64> {
        let kw = self.max_grid_power_kw.map(|kw| f64::from(kw) * 1000.0);
        let amps = self
            .max_grid_current_a
            .map(|a| self.watts_of_phase_current(f64::from(a)));
        match (kw, amps) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Everything the station draws besides its converters, in W: the configured auxiliary
    /// load and the cooling units' present draw.
    pub fn auxiliary_w(&self) -> f64 {
        let cooling = if self.cooling_load_w.is_finite() {
            self.cooling_load_w.max(0.0)
        } else {
            0.0
        };
        f64::from(self.auxiliary_load_kw) * 1000.0 + cooling
    }

    /// What the connectors together may deliver on their DC outputs, in W: the grid limit less
    /// the auxiliary load, through the converters' efficiency. Never negative.
    pub fn dc_watts(&self) -> Option<f64> {
        self.grid_watts()
            .map(|w| ((w - self.auxiliary_w()) * f64::from(self.converter_efficiency)).max(0.0))
    }

    /// Grid-side active power (W) and current per phase (A) for a total DC output of
    /// `dc_watts`, auxiliary load included.
    pub fn grid_side(&self, dc_watts: f64) -> (f64, f64) {
        let watts = dc_watts / f64::from(self.converter_efficiency) + self.auxiliary_w();
        let per_amp = self.watts_of_phase_current(1.0);
        (
            watts,
            if per_amp > 0.0 {
                watts / per_amp
            } else {
                f64::INFINITY
            },
        )
    }

    fn describe(&self) -> String {
        match (self.max_grid_power_kw, self.max_grid_current_a) {
            (Some(kw), Some(a)) => format!("site {kw:.0} kW / {a:.0} A grid"),
            (Some(kw), None) => format!("site {kw:.0} kW grid"),
            (None, Some(a)) => format!("site {a:.0} A grid"),
            (None, None) => "site".into(),
        }
    }
}

/// The CSMS's charge-point-wide limit (ChargePointMaxProfile): the sum of the connectors' DC
/// output currents (`amps`) and/or powers (`watts`).
#[derive(Debug, Clone, PartialEq)]
pub struct StationLimit {
    pub amps: Option<f32>,
    pub watts: Option<f32>,
    pub detail: String,
}

/// How shares are handed out when the budgets cannot cover every demand.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AllocationPolicy {
    /// The same DC power for every connector that wants it (max-min fair).
    #[default]
    EqualShare,
    /// Connectors in this order first, each as much as fits; the rest after, by id.
    Priority(Vec<u32>),
}

/// Which budget a share comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BudgetKind {
    /// The grid connection ([`SiteBudget`]).
    Site,
    /// The charge-point-wide OCPP profile ([`StationLimit`]).
    StationProfile,
}

/// What a connector wants this step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnectorNeed {
    pub id: u32,
    /// The minimum of the connector's own limits, the vehicle's request included, in A.
    pub demand_amps: f32,
    /// The voltage its current is drawn at (the higher of the output's and the vehicle's
    /// target), in V; positive.
    pub volts: f32,
    /// The current it draws now, in A (a share it still holds until it has ramped down).
    pub drawn_amps: f32,
}

/// A connector's share for this step.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub id: u32,
    pub amps: f32,
    /// The budget that holds the share back (the tightest), and why, for the limit's detail.
    pub source: BudgetKind,
    pub detail: String,
}

/// One budget as a linear constraint over the shares.
#[derive(Debug, Clone)]
struct Constraint {
    kind: BudgetKind,
    /// In amperes (coefficient 1) or watts (coefficient = the connector's voltage).
    capacity: f64,
    per_watt: bool,
    label: String,
}

impl Constraint {
    fn coefficient(&self, need: &ConnectorNeed) -> f64 {
        if self.per_watt {
            f64::from(need.volts)
        } else {
            1.0
        }
    }

    fn usage(&self, needs: &[ConnectorNeed], amps: &[f64]) -> f64 {
        needs
            .iter()
            .zip(amps)
            .map(|(n, a)| self.coefficient(n) * a)
            .sum()
    }
}

/// See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct StationAllocator {
    site: Option<SiteBudget>,
    station_limit: Option<StationLimit>,
    policy: AllocationPolicy,
    /// The shares handed out last step, by connector id.
    previous: BTreeMap<u32, f32>,
    /// The last step's needs and shares, for status views and invariant checks.
    last: Vec<(ConnectorNeed, Share)>,
}

/// Bisection steps: 2^-60 of the range, far below an ampere.
const BISECTION_STEPS: u32 = 60;

fn clean(v: f32) -> f64 {
    if v.is_finite() {
        f64::from(v.max(0.0))
    } else {
        0.0
    }
}

impl StationAllocator {
    pub fn new(site: Option<SiteBudget>, policy: AllocationPolicy) -> Self {
        StationAllocator {
            site,
            station_limit: None,
            policy,
            previous: BTreeMap::new(),
            last: Vec::new(),
        }
    }

    /// Set or (with `None`, or neither amps nor watts) lift the charge-point-wide limit.
    pub fn set_station_limit(&mut self, limit: Option<StationLimit>) {
        self.station_limit = limit.filter(|l| l.amps.is_some() || l.watts.is_some());
    }

    /// What the connectors' cooling units draw now, in W (see [`SiteBudget::cooling_load_w`]);
    /// counted in the site budget from the next allocation on.
    pub fn set_cooling_load_w(&mut self, watts: f64) {
        if let Some(site) = self.site.as_mut() {
            site.cooling_load_w = watts;
        }
    }

    pub fn site(&self) -> Option<&SiteBudget> {
        self.site.as_ref()
    }

    pub fn station_limit(&self) -> Option<&StationLimit> {
        self.station_limit.as_ref()
    }

    /// The last step's needs (sanitized) and shares, by connector.
    pub fn last_allocation(&self) -> &[(ConnectorNeed, Share)] {
        &self.last
    }

    pub fn policy(&self) -> &AllocationPolicy {
        &self.policy
    }

    /// The DC power, in W, all outputs together may deliver: the site's, and the
    /// charge-point-wide profile's watts when it has some (`None` when neither limits power).
    /// The module pool sizes its outputs' targets within it.
    pub fn dc_budget_w(&self) -> Option<f64> {
        let site = self.site.as_ref().and_then(SiteBudget::dc_watts);
        let profile = self
            .station_limit
            .as_ref()
            .and_then(|l| l.watts)
            .filter(|w| w.is_finite())
            .map(|w| f64::from(w.max(0.0)));
        match (site, profile) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// True when there is any budget to share.
    pub fn is_active(&self) -> bool {
        self.site.as_ref().and_then(SiteBudget::dc_watts).is_some() || self.station_limit.is_some()
    }

    fn constraints(&self) -> Vec<Constraint> {
        let mut out = Vec::new();
        if let Some(site) = &self.site {
            if let Some(w) = site.dc_watts() {
                out.push(Constraint {
                    kind: BudgetKind::Site,
                    capacity: w,
                    per_watt: true,
                    label: site.describe(),
                });
            }
        }
        if let Some(l) = &self.station_limit {
            let label = if l.detail.is_empty() {
                "charge point profile".to_string()
            } else {
                l.detail.clone()
            };
            if let Some(a) = l.amps {
                out.push(Constraint {
                    kind: BudgetKind::StationProfile,
                    capacity: clean(a),
                    per_watt: false,
                    label: label.clone(),
                });
            }
            if let Some(w) = l.watts {
                out.push(Constraint {
                    kind: BudgetKind::StationProfile,
                    capacity: clean(w),
                    per_watt: true,
                    label,
                });
            }
        }
        out
    }

    /// This step's shares, one per need, in the same order. Without budgets every share is the
    /// demand itself. Forgets connectors not in `needs`.
    pub fn allocate(&mut self, needs: &[ConnectorNeed]) -> Vec<Share> {
        let needs: Vec<ConnectorNeed> = needs
            .iter()
            .map(|n| ConnectorNeed {
                id: n.id,
                demand_amps: clean(n.demand_amps) as f32,
                volts: if n.volts.is_finite() && n.volts > 1.0 {
                    n.volts
                } else {
                    1.0
                },
                drawn_amps: clean(n.drawn_amps) as f32,
            })
            .collect();
        let constraints = self.constraints();
        let demand: Vec<f64> = needs.iter().map(|n| f64::from(n.demand_amps)).collect();
        let target = match &self.policy {
            AllocationPolicy::EqualShare => equal_share(&needs, &demand, &constraints),
            AllocationPolicy::Priority(order) => {
                let order = priority_order(&needs, order);
                let zero = vec![0.0; needs.len()];
                fill_in_order(&needs, &zero, &demand, &constraints, &order)
            }
        };
        // Lower at once; raise only into headroom nobody holds.
        let previous: Vec<f64> = needs
            .iter()
            .map(|n| f64::from(self.previous.get(&n.id).copied().unwrap_or(0.0)))
            .collect();
        let held: Vec<f64> = needs
            .iter()
            .zip(&previous)
            .map(|(n, p)| p.max(f64::from(n.drawn_amps)))
            .collect();
        let mut shares: Vec<f64> = target
            .iter()
            .zip(&previous)
            .map(|(t, p)| t.min(*p))
            .collect();
        let raisers: Vec<usize> = (0..needs.len())
            .filter(|&i| target[i] > previous[i])
            .collect();
        if !raisers.is_empty() {
            let order: Vec<usize> = match &self.policy {
                AllocationPolicy::EqualShare => raisers.clone(),
                AllocationPolicy::Priority(list) => priority_order(&needs, list)
                    .into_iter()
                    .filter(|i| raisers.contains(i))
                    .collect(),
            };
            shares = raise(
                &needs,
                &shares,
                &held,
                &target,
                &constraints,
                &order,
                matches!(self.policy, AllocationPolicy::EqualShare),
            );
        }
        self.previous = needs
            .iter()
            .zip(&shares)
            .map(|(n, s)| (n.id, *s as f32))
            .collect();
        let sharing = needs.iter().filter(|n| n.demand_amps > 0.0).count();
        let (source, detail) = describe(&constraints, &needs, &shares, sharing);
        let out: Vec<Share> = needs
            .iter()
            .zip(&shares)
            .map(|(n, s)| Share {
                id: n.id,
                amps: *s as f32,
                source,
                detail: detail.clone(),
            })
            .collect();
        self.last = needs.iter().copied().zip(out.iter().cloned()).collect();
        out
    }
}

/// Indexes of `needs` in priority order: the listed ids first, then the rest by id.
fn priority_order(needs: &[ConnectorNeed], list: &[u32]) -> Vec<usize> {
    let mut order: Vec<usize> = list
        .iter()
        .filter_map(|id| needs.iter().position(|n| n.id == *id))
        .collect();
    let mut rest: Vec<usize> = (0..needs.len()).filter(|i| !order.contains(i)).collect();
    rest.sort_by_key(|&i| needs[i].id);
    order.extend(rest);
    order
}

fn fits(constraints: &[Constraint], needs: &[ConnectorNeed], amps: &[f64]) -> bool {
    constraints
        .iter()
        .all(|c| c.usage(needs, amps) <= c.capacity)
}

/// Water-filling in DC power: the largest level `p` (W) such that the shares
/// `min(demand, p / volts)` fit every budget.
fn equal_share(needs: &[ConnectorNeed], demand: &[f64], constraints: &[Constraint]) -> Vec<f64> {
    let at = |p: f64| -> Vec<f64> {
        needs
            .iter()
            .zip(demand)
            .map(|(n, d)| d.min(p / f64::from(n.volts)))
            .collect()
    };
    let top = needs
        .iter()
        .zip(demand)
        .map(|(n, d)| d * f64::from(n.volts))
        .fold(0.0, f64::max);
    if fits(constraints, needs, &at(top)) {
        return at(top);
    }
    let (mut lo, mut hi) = (0.0, top);
    for _ in 0..BISECTION_STEPS {
        let mid = (lo + hi) / 2.0;
        if fits(constraints, needs, &at(mid)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    at(lo)
}

/// Serve `order` one by one from `base`, each up to its `target` as far as the budgets allow.
fn fill_in_order(
    needs: &[ConnectorNeed],
    base: &[f64],
    target: &[f64],
    constraints: &[Constraint],
    order: &[usize],
) -> Vec<f64> {
    let mut amps = base.to_vec();
    for &i in order {
        let room = constraints
            .iter()
            .map(|c| {
                let left = (c.capacity - c.usage(needs, &amps)).max(0.0);
                left / c.coefficient(&needs[i])
            })
            .fold(f64::INFINITY, f64::min);
        amps[i] = (amps[i] + room).min(target[i]).max(amps[i]);
    }
    amps
}

/// Raise the shares of `order` from `shares` toward `target`, counting every connector at the
/// most it may still hold (`held`, its previous share or what it draws), so that no budget is
/// exceeded while others ramp down. Equal share raises all by the same fraction of their
/// raise; priority serves them in order.
fn raise(
    needs: &[ConnectorNeed],
    shares: &[f64],
    held: &[f64],
    target: &[f64],
    constraints: &[Constraint],
    order: &[usize],
    together: bool,
) -> Vec<f64> {
    let committed =
        |s: &[f64]| -> Vec<f64> { s.iter().zip(held).map(|(a, h)| a.max(*h)).collect() };
    let with = |f: f64, only: Option<usize>| -> Vec<f64> {
        let mut s = shares.to_vec();
        for &i in order {
            if only.is_none_or(|o| o == i) {
                s[i] = shares[i] + f * (target[i] - shares[i]);
            }
        }
        s
    };
    let ok = |s: &[f64]| fits(constraints, needs, &committed(s));
    if together {
        if ok(&with(1.0, None)) {
            return with(1.0, None);
        }
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..BISECTION_STEPS {
            let mid = (lo + hi) / 2.0;
            if ok(&with(mid, None)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return with(lo, None);
    }
    let mut s = shares.to_vec();
    for &i in order {
        let room = constraints
            .iter()
            .map(|c| {
                let left = (c.capacity - c.usage(needs, &committed(&s))).max(0.0);
                left / c.coefficient(&needs[i])
            })
            .fold(f64::INFINITY, f64::min);
        // Headroom counts from what the connector already holds.
        let from = s[i].max(held[i]);
        s[i] = (from + room).min(target[i]).max(s[i]);
    }
    s
}

/// The budget that binds (the fullest one), and a detail for the shares' limits.
fn describe(
    constraints: &[Constraint],
    needs: &[ConnectorNeed],
    shares: &[f64],
    sharing: usize,
) -> (BudgetKind, String) {
    let fullest = constraints.iter().max_by(|a, b| {
        let fill = |c: &Constraint| {
            if c.capacity > 0.0 {
                c.usage(needs, shares) / c.capacity
            } else {
                f64::INFINITY
            }
        };
        fill(a).total_cmp(&fill(b))
    });
    match fullest {
        Some(c) => {
            let others = match sharing {
                0 | 1 => "no other connector sharing".to_string(),
                k => format!("{k} connectors sharing"),
            };
            (c.kind, format!("{}: {others}", c.label))
        }
        None => (BudgetKind::Site, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site_kw(kw: f32) -> SiteBudget {
        SiteBudget {
            max_grid_power_kw: Some(kw),
            max_grid_current_a: None,
            grid_voltage_v: 400.0,
            power_factor: 1.0,
            converter_efficiency: 1.0,
            auxiliary_load_kw: 0.0,
            cooling_load_w: 0.0,
        }
    }

    fn need(id: u32, demand: f32, volts: f32) -> ConnectorNeed {
        ConnectorNeed {
            id,
            demand_amps: demand,
            volts,
            drawn_amps: 0.0,
        }
    }

    /// Run `allocate` until the shares settle (raises may take a step).
    fn settle(a: &mut StationAllocator, needs: &[ConnectorNeed]) -> Vec<f32> {
        let mut last = Vec::new();
        for _ in 0..10 {
            let s: Vec<f32> = a.allocate(needs).iter().map(|s| s.amps).collect();
            if s == last {
                break;
            }
            last = s;
        }
        last
    }

    #[test]
    fn grid_budget_converts_current_efficiency_and_auxiliary_load() {
        let site = SiteBudget {
            max_grid_power_kw: Some(250.0),
            max_grid_current_a: Some(320.0),
            grid_voltage_v: 400.0,
            power_factor: 0.95,
            converter_efficiency: 0.95,
            auxiliary_load_kw: 5.0,
            cooling_load_w: 0.0,
        };
        // √3 × 400 V × 320 A × 0.95 = 210.6 kW < 250 kW.
        let grid = site.grid_watts().unwrap();
        assert!((grid - 210_616.0).abs() < 10.0, "{grid}");
        let dc = site.dc_watts().unwrap();
        assert!((dc - (grid - 5000.0) * f64::from(0.95f32)).abs() < 1e-6);
        let (w, a) = site.grid_side(dc);
        assert!((w - grid).abs() < 1e-6);
        assert!((a - 320.0).abs() < 1e-6);
    }

    #[test]
    fn equal_share_is_equal_power_and_passes_on_what_one_does_not_use() {
        let mut a = StationAllocator::new(Some(site_kw(200.0)), AllocationPolicy::EqualShare);
        // 400 V and 800 V trucks: 100 kW each = 250 A and 125 A.
        let s = settle(&mut a, &[need(1, 400.0, 400.0), need(2, 400.0, 800.0)]);
        assert!(
            (s[0] - 250.0).abs() < 0.01 && (s[1] - 125.0).abs() < 0.01,
            "{s:?}"
        );
        // The 800 V truck wants only 50 A (40 kW): the other gets the remaining 160 kW.
        let s = settle(&mut a, &[need(1, 500.0, 400.0), need(2, 50.0, 800.0)]);
        assert!(
            (s[1] - 50.0).abs() < 0.01 && (s[0] - 400.0).abs() < 0.01,
            "{s:?}"
        );
    }

    #[test]
    fn two_trucks_on_a_150_a_station_profile_never_get_150_a_each() {
        let mut a = StationAllocator::default();
        a.set_station_limit(Some(StationLimit {
            amps: Some(150.0),
            watts: None,
            detail: String::new(),
        }));
        let s = settle(&mut a, &[need(1, 200.0, 600.0), need(2, 200.0, 600.0)]);
        assert!(
            (s[0] - 75.0).abs() < 0.01 && (s[1] - 75.0).abs() < 0.01,
            "{s:?}"
        );
    }

    #[test]
    fn priority_serves_the_list_first() {
        let mut a =
            StationAllocator::new(Some(site_kw(300.0)), AllocationPolicy::Priority(vec![2]));
        let s = settle(&mut a, &[need(1, 400.0, 500.0), need(2, 400.0, 500.0)]);
        assert!(
            (s[1] - 400.0).abs() < 0.01 && (s[0] - 200.0).abs() < 0.01,
            "{s:?}"
        );
    }

    #[test]
    fn a_raise_waits_until_the_other_share_is_let_go() {
        let mut a = StationAllocator::new(Some(site_kw(100.0)), AllocationPolicy::EqualShare);
        let s = settle(&mut a, &[need(1, 250.0, 400.0), need(2, 0.0, 400.0)]);
        assert_eq!(s, vec![250.0, 0.0]);
        // Truck 2 arrives: truck 1 falls at once, truck 2 rises only into free headroom.
        let first = a.allocate(&[need(1, 250.0, 400.0), need(2, 250.0, 400.0)]);
        assert!((first[0].amps - 125.0).abs() < 0.01);
        assert!(first[1].amps < 0.01, "{first:?}");
        let second = a.allocate(&[need(1, 250.0, 400.0), need(2, 250.0, 400.0)]);
        assert!((second[1].amps - 125.0).abs() < 0.01, "{second:?}");
        // A truck still drawing above its share holds what it draws.
        let mut a = StationAllocator::new(Some(site_kw(100.0)), AllocationPolicy::EqualShare);
        settle(&mut a, &[need(1, 250.0, 400.0), need(2, 0.0, 400.0)]);
        let mut n = [need(1, 250.0, 400.0), need(2, 250.0, 400.0)];
        a.allocate(&n);
        n[0].drawn_amps = 200.0;
        let s = a.allocate(&n);
        assert!(s[1].amps <= 50.0 + 0.01, "{s:?}");
    }

    #[test]
    fn no_budget_means_the_demand_and_hostile_numbers_mean_nothing() {
        let mut a = StationAllocator::default();
        assert!(!a.is_active());
        let s = a.allocate(&[need(1, 123.0, 500.0)]);
        assert_eq!(s[0].amps, 123.0);
        let mut a = StationAllocator::new(Some(site_kw(100.0)), AllocationPolicy::EqualShare);
        let s = a.allocate(&[
            need(1, f32::NAN, f32::NAN),
            need(2, -5.0, 0.0),
            need(3, f32::INFINITY, 400.0),
        ]);
        assert_eq!(s[0].amps, 0.0);
        assert_eq!(s[1].amps, 0.0);
        assert_eq!(s[2].amps, 0.0);
    }

    mod randomized {
        use super::*;
        use proptest::prelude::*;

        /// One event of a scenario: truck `slot` arrives (at its voltage) or leaves, or a
        /// present truck changes its demand; then one allocation step.
        #[derive(Debug, Clone)]
        enum Event {
            Arrive {
                slot: usize,
                volts: f32,
                demand: f32,
            },
            Leave {
                slot: usize,
            },
            Demand {
                slot: usize,
                demand: f32,
            },
            Step,
        }

        fn event(slots: usize) -> impl Strategy<Value = Event> {
            prop_oneof![
                (0..slots, 200.0f32..1000.0, 0.0f32..500.0).prop_map(|(slot, volts, demand)| {
                    Event::Arrive {
                        slot,
                        volts,
                        demand,
                    }
                }),
                (0..slots).prop_map(|slot| Event::Leave { slot }),
                (0..slots, 0.0f32..500.0).prop_map(|(slot, demand)| Event::Demand { slot, demand }),
                Just(Event::Step),
                Just(Event::Step),
            ]
        }

        fn scenario() -> impl Strategy<
            Value = (
                usize,
                Option<SiteBudget>,
                Option<StationLimit>,
                bool,
                Vec<Event>,
            ),
        > {
            prop_oneof![Just(2usize), Just(4usize)].prop_flat_map(|slots| {
                let site = proptest::option::of(
                    (
                        proptest::option::of(20.0f32..600.0),
                        proptest::option::of(30.0f32..1000.0),
                        prop_oneof![Just(230.0f32), Just(400.0f32), Just(480.0f32)],
                        0.8f32..=1.0,
                        0.85f32..=0.99,
                        0.0f32..20.0,
                    )
                        .prop_map(|(kw, a, v, pf, eff, aux)| SiteBudget {
                            max_grid_power_kw: kw,
                            max_grid_current_a: a,
                            grid_voltage_v: v,
                            power_factor: pf,
                            converter_efficiency: eff,
                            auxiliary_load_kw: aux,
                            cooling_load_w: 0.0,
                        }),
                );
                let station = proptest::option::of(
                    (
                        proptest::option::of(10.0f32..800.0),
                        proptest::option::of(5000.0f32..500_000.0),
                    )
                        .prop_map(|(amps, watts)| StationLimit {
                            amps,
                            watts,
                            detail: String::new(),
                        }),
                );
                (
                    Just(slots),
                    site,
                    station,
                    any::<bool>(),
                    proptest::collection::vec(event(slots), 1..200),
                )
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Two and four trucks at different voltages arriving and leaving with random
            /// demands: at every step the grid-side power and current stay within the site
            /// budget, the shares within every budget (also counting what each truck still
            /// holds from the step before), and no share above its demand.
            #[test]
            fn budgets_hold_at_every_step((slots, site, station, priority, events) in scenario()) {
                let policy = if priority {
                    AllocationPolicy::Priority(vec![3, 1])
                } else {
                    AllocationPolicy::EqualShare
                };
                let mut a = StationAllocator::new(site.clone(), policy);
                a.set_station_limit(station.clone());
                // (volts, demand) per slot; connector id = slot + 1. An empty slot keeps the
                // voltage of the truck that left (an output's voltage does not jump).
                let mut trucks: Vec<Option<(f32, f32)>> = vec![None; slots];
                let mut volts_of: Vec<f32> = vec![400.0; slots];
                let mut previous: BTreeMap<u32, f32> = BTreeMap::new();
                for ev in events {
                    match ev {
                        Event::Arrive { slot, volts, demand } => {
                            if trucks[slot].is_none() {
                                trucks[slot] = Some((volts, demand));
                                volts_of[slot] = volts;
                            }
                        }
                        Event::Leave { slot } => trucks[slot] = None,
                        Event::Demand { slot, demand } => {
                            if let Some(t) = trucks[slot].as_mut() {
                                t.1 = demand;
                            }
                        }
                        Event::Step => {}
                    }
                    // Every connector is stepped; an empty one wants nothing. A truck draws
                    // what it was given last step.
                    let needs: Vec<ConnectorNeed> = trucks
                        .iter()
                        .enumerate()
                        .map(|(i, t)| {
                            let id = i as u32 + 1;
                            let (volts, demand) = t.unwrap_or((volts_of[i], 0.0));
                            ConnectorNeed {
                                id,
                                demand_amps: demand,
                                volts,
                                drawn_amps: if t.is_some() { previous.get(&id).copied().unwrap_or(0.0) } else { 0.0 },
                            }
                        })
                        .collect();
                    let shares = a.allocate(&needs);
                    let mut dc_w = 0.0f64;
                    let mut held_w = 0.0f64;
                    let mut amps = 0.0f64;
                    let mut held_a = 0.0f64;
                    for (n, s) in needs.iter().zip(&shares) {
                        prop_assert!(s.amps >= 0.0 && s.amps <= n.demand_amps + 1e-3,
                            "share {} above demand {}", s.amps, n.demand_amps);
                        let prev = f64::from(previous.get(&n.id).copied().unwrap_or(0.0));
                        let held = prev.max(f64::from(s.amps));
                        dc_w += f64::from(n.volts) * f64::from(s.amps);
                        held_w += f64::from(n.volts) * held;
                        amps += f64::from(s.amps);
                        held_a += held;
                    }
                    if let Some(site) = &site {
                        let (grid_w, grid_a) = site.grid_side(held_w);
                        let aux_w = site.auxiliary_w();
                        let (_, aux_a) = site.grid_side(0.0);
                        if let Some(kw) = site.max_grid_power_kw {
                            // The auxiliary load alone may exceed a budget; then nothing flows.
                            let cap = (f64::from(kw) * 1000.0).max(aux_w);
                            prop_assert!(grid_w <= cap * (1.0 + 1e-6) + 1e-3, "grid {grid_w} W > {cap} W");
                        }
                        if let Some(limit) = site.max_grid_current_a {
                            let cap = f64::from(limit).max(aux_a);
                            prop_assert!(grid_a <= cap * (1.0 + 1e-6) + 1e-6, "grid {grid_a} A > {cap} A");
                        }
                        prop_assert!(site.grid_side(dc_w).0 <= site.grid_side(held_w).0 + 1e-6);
                    }
                    if let Some(st) = &station {
                        if let Some(cap) = st.amps {
                            prop_assert!(amps <= f64::from(cap) * (1.0 + 1e-6) + 1e-3);
                            prop_assert!(held_a <= f64::from(cap) * (1.0 + 1e-6) + 1e-3, "held {held_a} A > {cap} A");
                        }
                        if let Some(cap) = st.watts {
                            prop_assert!(held_w <= f64::from(cap) * (1.0 + 1e-6) + 1e-3, "held {held_w} W > {cap} W");
                        }
                    }
                    previous = shares.iter().map(|s| (s.id, s.amps)).collect();
                }
                // Once demands stay put, the shares settle within a few steps and leave
                // nothing unused that someone wants: every truck at its demand, or a budget
                // full.
                let needs: Vec<ConnectorNeed> = trucks.iter().enumerate().map(|(i, t)| {
                    let (volts, demand) = t.unwrap_or((400.0, 0.0));
                    ConnectorNeed { id: i as u32 + 1, demand_amps: demand, volts, drawn_amps: 0.0 }
                }).collect();
                let mut shares = Vec::new();
                for _ in 0..5 {
                    shares = a.allocate(&needs);
                }
                let all_served = needs.iter().zip(&shares).all(|(n, s)| s.amps >= n.demand_amps - 0.01);
                let dc_w: f64 = needs.iter().zip(&shares).map(|(n, s)| f64::from(n.volts) * f64::from(s.amps)).sum();
                let amps: f64 = shares.iter().map(|s| f64::from(s.amps)).sum();
                let site_full = site.as_ref().and_then(SiteBudget::dc_watts).is_some_and(|w| dc_w >= w * 0.999 - 1.0);
                let station_full = station.as_ref().is_some_and(|st| {
                    st.amps.is_some_and(|c| amps >= f64::from(c) * 0.999 - 0.01)
                        || st.watts.is_some_and(|c| dc_w >= f64::from(c) * 0.999 - 1.0)
                });
                prop_assert!(all_served || site_full || station_full,
                    "unused budget while a truck wants more: {shares:?} for {needs:?}");
            }
        }
    }
}
