#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use super::fake::FakeBackend;
use super::*;

const CHIP: &str = "/dev/gpiochip-test";

fn input(name: &str, active_low: bool, edges: bool) -> LineConfig {
    LineConfig {
        address: LineAddress::Name(name.into()),
        active_low,
        bias: Bias::PullUp,
        direction: LineDirection::Input {
            debounce: Some(Duration::from_millis(5)),
            edges,
        },
    }
}

fn output(name: &str, active_low: bool) -> LineConfig {
    LineConfig {
        address: LineAddress::Name(name.into()),
        active_low,
        bias: Bias::AsIs,
        direction: LineDirection::Output { safe: false },
    }
}

fn board() -> FakeBackend {
    let fake = FakeBackend::default();
    fake.add_chip(CHIP, &["ESTOP_N", "PROX", "K1_K2", "LOCK_N"]);
    fake
}

fn source(fake: &FakeBackend, poll: Duration) -> GpioSource {
    source_with_retry(fake, poll, Duration::from_millis(50))
}

fn source_with_retry(fake: &FakeBackend, poll: Duration, retry: Duration) -> GpioSource {
    GpioSource::spawn(
        GpioSourceConfig {
            name: "gpio0".into(),
            origin: "test.toml: io_sources[0]".into(),
            chip: CHIP.into(),
            points: vec![
                ("estop".into(), input("ESTOP_N", true, true)),
                ("prox".into(), input("PROX", false, false)),
                ("contactors".into(), output("K1_K2", false)),
                ("lock".into(), output("LOCK_N", true)),
            ],
            poll,
            retry,
        },
        Arc::new(fake.clone()),
        ReadingClock::new(tokio::time::Instant::now()),
    )
    .unwrap()
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    start.elapsed()
}

fn level(s: &GpioSource, point: &str) -> Option<bool> {
    match s.input(point)?.value {
        PointValue::Level(l) => Some(l),
        PointValue::Analog(_) => None,
    }
}

#[test]
fn outputs_are_requested_at_their_safe_level_and_written_only_on_change() {
    let fake = board();
    let chip = Path::new(CHIP);
    let s = source(&fake, Duration::from_millis(20));
    wait_until("the request", || fake.requested(chip));
    // Safe = logically off: the active-high contactor line low, the active-low lock line high,
    // and that is the request's own level, not a write after it.
    assert_eq!(fake.writes(chip, "K1_K2"), vec![false]);
    assert_eq!(fake.writes(chip, "LOCK_N"), vec![true]);

    s.set_output("contactors", true).unwrap();
    s.set_output("lock", true).unwrap();
    wait_until("the contactor command", || {
        fake.level(chip, "K1_K2") == Some(true) && fake.level(chip, "LOCK_N") == Some(false)
    });
    // The same command again writes nothing; a change writes once.
    for _ in 0..10 {
        s.set_output("contactors", true).unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    s.set_output("contactors", false).unwrap();
    wait_until("the opening", || fake.level(chip, "K1_K2") == Some(false));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(fake.writes(chip, "K1_K2"), vec![false, true, false]);
    assert_eq!(fake.writes(chip, "LOCK_N"), vec![true, false]);

    // An input is not an output, and an unknown point is named.
    assert!(matches!(
        s.set_output("estop", true),
        Err(LineError::UnknownPoint { point, .. }) if point == "estop"
    ));
    assert!(s.set_output("bleeder", true).is_err());
}

#[test]
fn an_edge_wakes_the_source_at_once_not_at_the_next_poll() {
    let fake = board();
    let chip = Path::new(CHIP);
    // A poll period far longer than the test: only the edge can bring the new level.
    let s = source(&fake, Duration::from_secs(30));
    // The chain is closed: the active-low e-stop line is high, inactive.
    fake.drive(chip, "ESTOP_N", true);
    wait_until("the first reading", || level(&s, "estop") == Some(false));
    let first = s.input("estop").unwrap().at;

    fake.drive(chip, "ESTOP_N", false);
    let latency = wait_until("the e-stop edge", || level(&s, "estop") == Some(true));
    eprintln!("e-stop edge to reading (fake chip, 30 s poll): {latency:?}");
    assert!(latency < Duration::from_millis(500), "{latency:?}");
    assert!(s.input("estop").unwrap().at >= first);

    // A line without edge detection waits for the poll: still its old level.
    fake.drive(chip, "PROX", true);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(level(&s, "prox"), Some(false));
}

#[test]
fn inputs_are_polled_with_a_fresh_time_each_period() {
    let fake = board();
    let chip = Path::new(CHIP);
    let s = source(&fake, Duration::from_millis(20));
    wait_until("the first reading", || s.input("prox").is_some());
    let first = s.input("prox").unwrap().at;
    fake.drive(chip, "PROX", true);
    wait_until("the polled level", || level(&s, "prox") == Some(true));
    wait_until("a later reading", || s.input("prox").unwrap().at > first);
    assert_eq!(s.input("nothing"), None);
}

#[test]
fn a_missing_chip_gives_no_readings_and_an_error_until_it_appears() {
    let fake = FakeBackend::default();
    let chip = Path::new(CHIP);
    let s = source(&fake, Duration::from_millis(20));
    wait_until("the open error", || s.last_error().is_some());
    let e = s.last_error().unwrap();
    assert!(e.contains(CHIP), "{e}");
    // A command while the chip is missing is kept, and written once the chip is there.
    s.set_output("contactors", true).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(s.input("estop"), None);

    fake.add_chip(CHIP, &["ESTOP_N", "PROX", "K1_K2", "LOCK_N"]);
    wait_until("the retried open", || s.input("estop").is_some());
    assert_eq!(s.last_error(), None);
    wait_until("the kept command", || {
        fake.level(chip, "K1_K2") == Some(true)
    });
    // Requested safe first, then the command.
    assert_eq!(fake.writes(chip, "K1_K2"), vec![false, true]);
}

#[test]
fn a_failing_chip_stops_the_readings_and_is_reopened_with_outputs_written_again() {
    let fake = board();
    let chip = Path::new(CHIP);
    let s = source(&fake, Duration::from_millis(10));
    s.set_output("contactors", true).unwrap();
    wait_until("the command", || fake.level(chip, "K1_K2") == Some(true));
    fake.set_failing(chip, true);
    wait_until("the error", || s.last_error().is_some());
    let frozen = s.input("prox").unwrap().at;
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        s.input("prox").unwrap().at,
        frozen,
        "no fresh time while failing"
    );

    fake.set_failing(chip, false);
    wait_until("a fresh reading", || s.input("prox").unwrap().at > frozen);
    // The old request was released and a new one made: safe level, then the command again.
    wait_until("the command written again", || {
        fake.writes(chip, "K1_K2").len() >= 4
    });
    assert_eq!(fake.writes(chip, "K1_K2"), vec![false, true, false, true]);
    assert_eq!(s.last_error(), None);
}

#[test]
fn a_failed_read_sets_the_outputs_safe_before_the_chip_is_closed() {
    let fake = board();
    let chip = Path::new(CHIP);
    // A chip that failed is opened again only after 30 s: the contactors must not wait that
    // long.
    let s = source_with_retry(&fake, Duration::from_millis(10), Duration::from_secs(30));
    s.set_output("contactors", true).unwrap();
    wait_until("the command", || fake.level(chip, "K1_K2") == Some(true));
    // The input expander stops answering reads; writes still get through. The contactors
    // must not stay closed, uncommanded, until the chip is open again.
    fake.set_reads_failing(chip, true);
    wait_until("the error", || s.last_error().is_some());
    wait_until("the contactors opened", || {
        fake.level(chip, "K1_K2") == Some(false)
    });
    assert_eq!(fake.writes(chip, "K1_K2"), vec![false, true, false]);
}

/// An e-stop chain that opens for an instant and closes again before any read: the opening is
/// held until the board has read it once, then the line reads what it is now. Polling every
/// 30 s, so only the edges can tell.
#[test]
fn a_short_opening_of_the_emergency_stop_is_read_once_not_lost() {
    let fake = board();
    let chip = Path::new(CHIP);
    // Chain closed: the active-low line is high.
    fake.drive(chip, "ESTOP_N", true);
    let s = source(&fake, Duration::from_secs(30));
    wait_until("first reading", || level(&s, "estop") == Some(false));
    for _ in 0..3 {
        // Both edges arrive together, the line already high again when the source reads it.
        fake.pulse(chip, "ESTOP_N", false);
        // `chargerctl hw` peeking meanwhile takes nothing from the station's read.
        wait_until("the opening, peeked", || {
            s.peek("estop").map(|r| r.value) == Some(PointValue::Level(true))
        });
        assert_eq!(
            s.peek("estop").map(|r| r.value),
            Some(PointValue::Level(true))
        );
        wait_until("the opening", || level(&s, "estop") == Some(true));
        wait_until("closed again", || level(&s, "estop") == Some(false));
        assert_eq!(level(&s, "estop"), Some(false));
    }
    // A lasting opening reads open until the chain closes.
    fake.drive(chip, "ESTOP_N", false);
    wait_until("open", || level(&s, "estop") == Some(true));
    assert_eq!(level(&s, "estop"), Some(true));
}
