#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Arbitrary frames never panic the J1939 transport or grow its queues, whatever it is doing;
//! a lossy bus never makes it deliver wrong data; identifiers survive the raw round trip.

// Inside `mod j1939` so that `cargo test -p charger-protocol j1939` selects these tests.
mod j1939 {
    use std::time::Duration;

    use charger_protocol::j1939::{
        J1939Id, TpCm, TpEvent, TpTimeouts, Transport, BMS_ADDRESS, CHARGER_ADDRESS,
        EVENT_QUEUE_LIMIT, MAX_TP_SIZE, TX_QUEUE_LIMIT,
    };
    use charger_protocol::{CanFrame, Timestamp};
    use proptest::prelude::*;

    const CHARGER: u8 = CHARGER_ADDRESS;
    const BMS: u8 = BMS_ADDRESS;

    const PGNS: [u32; 4] = [0x0200, 0x0600, 0x1100, 0x1500];

    /// Identifiers biased toward the two GB/T nodes' transport frames (either way), so that the
    /// state machines, not just the address filter, are exercised.
    fn any_id() -> impl Strategy<Value = u32> {
        let conversation = prop::sample::select(vec![
            0x1CEC_56F4u32, // TP.CM BMS → charger
            0x1CEB_56F4,    // TP.DT BMS → charger
            0x1CEC_F456,    // TP.CM charger → BMS
            0x1CEB_F456,    // TP.DT charger → BMS
            0x1CEC_FFF4,    // BAM from the BMS
            0x1CEB_FFF4,    // broadcast TP.DT from the BMS
        ]);
        let other_tp = (
            0u32..8,
            prop::sample::select(vec![0xECu32, 0xEB]),
            prop::sample::select(vec![CHARGER, BMS, 0xFF, 0xFE, 0x57]),
            prop::sample::select(vec![BMS, CHARGER, 0x00, 0x80, 0xFE, 0xFF]),
        )
            .prop_map(|(p, pf, da, sa)| {
                (p << 26) | (pf << 16) | (u32::from(da) << 8) | u32::from(sa)
            });
        prop_oneof![
            8 => conversation,
            2 => other_tp,
            1 => 0u32..=0x7FF,
            1 => 0u32..=0x1FFF_FFFF,
        ]
    }

    /// A TP.CM, mostly well-formed: sizes near the GB/T ones with (mostly) matching packet
    /// counts, windows and sequence numbers within a message, GB/T PGNs.
    fn any_control() -> impl Strategy<Value = Vec<u8>> {
        let size = prop_oneof![
            4 => prop::sample::select(vec![9u16, 13, 20, 49, 100]),
            1 => any::<u16>(),
        ];
        let pgn = prop::sample::select(PGNS.to_vec());
        let rts = (
            size.clone(),
            any::<bool>(),
            prop::sample::select(vec![0xFFu8, 1, 2, 3, 0]),
            pgn.clone(),
            any::<u8>(),
        )
            .prop_map(|(size, consistent, per_cts, pgn, packets)| {
                let packets = if consistent {
                    size.div_ceil(7).min(255) as u8
                } else {
                    packets
                };
                TpCm::Rts {
                    size,
                    packets,
                    max_per_cts: per_cts,
                    pgn,
                }
                .to_bytes()
                .to_vec()
            });
        let cts = (0u8..16, 0u8..16, pgn.clone())
            .prop_map(|(packets, next, pgn)| TpCm::Cts { packets, next, pgn }.to_bytes().to_vec());
        let eoma = (size.clone(), any::<u8>(), pgn.clone()).prop_map(|(size, packets, pgn)| {
            TpCm::EndOfMsgAck { size, packets, pgn }.to_bytes().to_vec()
        });
        let abort = (0u8..12, pgn.clone()).prop_map(|(reason, pgn)| {
            let mut b = TpCm::Rts {
                size: 0,
                packets: 0,
                max_per_cts: 0,
                pgn,
            }
            .to_bytes();
            b[..5].copy_from_slice(&[0xFF, reason, 0xFF, 0xFF, 0xFF]);
            b.to_vec()
        });
        let bam =
            (size, any::<bool>(), pgn, any::<u8>()).prop_map(|(size, consistent, pgn, packets)| {
                let packets = if consistent {
                    size.div_ceil(7).min(255) as u8
                } else {
                    packets
                };
                TpCm::Bam { size, packets, pgn }.to_bytes().to_vec()
            });
        prop_oneof![3 => rts, 3 => cts, 1 => eoma, 1 => abort, 1 => bam]
    }

    /// Payloads: a TP.CM, a TP.DT with a small sequence number (mostly 8 bytes), or anything.
    fn any_data() -> impl Strategy<Value = Vec<u8>> {
        let seq = prop_oneof![3 => 1u8..=3, 1 => any::<u8>()];
        let dt = (
            seq,
            prop::collection::vec(any::<u8>(), 7),
            0usize..=7,
            any::<bool>(),
        )
            .prop_map(|(seq, rest, short, full)| {
                let mut d = vec![seq];
                d.extend_from_slice(if full { &rest[..] } else { &rest[..short] });
                d
            });
        prop_oneof![
            4 => any_control(),
            6 => dt,
            1 => prop::collection::vec(any::<u8>(), 0..=8),
        ]
    }

    /// Any classic CAN frame: 11- or 29-bit, data or remote, 0-8 bytes.
    fn any_frame() -> impl Strategy<Value = CanFrame> {
        (any_id(), any::<bool>(), any::<bool>(), any_data()).prop_map(
            |(id, extended, remote, data)| {
                let extended = extended || id > 0x7FF;
                if remote {
                    CanFrame::remote(id, extended, data.len() as u8).unwrap()
                } else {
                    CanFrame::new(id, extended, &data).unwrap()
                }
            },
        )
    }

    /// What the host does next.
    #[derive(Debug, Clone)]
    enum Step {
        Frame(CanFrame),
        Wait(u64),
        Update,
        Poll,
    }

    fn any_step() -> impl Strategy<Value = Step> {
        prop_oneof![
            8 => any_frame().prop_map(Step::Frame),
            2 => prop_oneof![4 => 0u64..50, 1 => 0u64..1500].prop_map(Step::Wait),
            1 => Just(Step::Update),
            1 => Just(Step::Poll),
        ]
    }

    /// Runs `steps` against `t` without draining it except on `Poll`, then checks that its queues
    /// stayed within their bounds and that a long silence leaves it idle.
    fn drive(t: &mut Transport, steps: Vec<Step>, sending: bool) -> Result<(), TestCaseError> {
        let mut now = Timestamp::from_millis(0);
        for step in steps {
            match step {
                Step::Frame(f) => {
                    t.handle_frame(&f, now);
                }
                Step::Wait(ms) => now += Duration::from_millis(ms),
                Step::Update => t.update(now),
                Step::Poll => while t.poll_transmit(now).is_some() {},
            }
            if let Some(deadline) = t.poll_timeout() {
                // Deadlines lie ahead of the last instant the transport saw, never far.
                prop_assert!(deadline.as_millis() <= now.as_millis() + 1250);
            }
        }
        // Control frames are bounded by the queue limit; data packets by one window of the one
        // message being sent.
        let frames = std::iter::from_fn(|| t.poll_transmit(now)).count();
        let bound = TX_QUEUE_LIMIT + if sending { 255 } else { 0 };
        prop_assert!(frames <= bound, "{frames} frames queued");
        let events = std::iter::from_fn(|| t.poll_event()).count();
        prop_assert!(events <= EVENT_QUEUE_LIMIT, "{events} events queued");
        // Every transfer ends by itself once the bus goes quiet.
        let later = now + Duration::from_secs(5);
        t.update(later);
        while t.poll_transmit(later).is_some() {}
        prop_assert!(t.is_idle());
        prop_assert_eq!(t.poll_timeout(), None);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn a_receiving_transport_survives_anything(steps in prop::collection::vec(any_step(), 0..300)) {
            let mut t = Transport::new(CHARGER, TpTimeouts::default());
            drive(&mut t, steps, false)?;
        }

        #[test]
        fn a_sending_transport_survives_anything(
            len in prop_oneof![3 => 9usize..=60, 1 => 9usize..=MAX_TP_SIZE],
            pgn in prop::sample::select(PGNS.to_vec()),
            steps in prop::collection::vec(any_step(), 0..300),
        ) {
            let mut t = Transport::new(BMS, TpTimeouts::default());
            t.send(CHARGER, 7, pgn, &vec![0x5A; len], Timestamp::from_millis(0)).unwrap();
            // A sender also receives: the same frames exercise both sides at once.
            drive(&mut t, steps, true)?;
        }

        /// Two nodes on a bus that loses, repeats and delays frames: the receiver delivers exactly
        /// the message sent or nothing, and a `Sent` at the sender always means it was delivered.
        #[test]
        fn a_lossy_bus_never_corrupts_a_message(
            data in prop::collection::vec(any::<u8>(), 9..=300),
            fates in prop::collection::vec(any_fate(false), 0..200),
        ) {
            let outcome = converse(&data, fates)?;
            prop_assert!(outcome.received.len() <= 1);
            for r in &outcome.received {
                prop_assert_eq!(r, &data);
            }
            if outcome.sent {
                prop_assert_eq!(outcome.received.len(), 1);
            }
        }

        /// The same with arbitrary frames reaching either node in between (forged data may then be
        /// delivered, which is why it is not compared): nothing panics, nothing grows, and both
        /// nodes end idle.
        #[test]
        fn a_conversation_survives_injected_frames(
            data in prop::collection::vec(any::<u8>(), 9..=300),
            fates in prop::collection::vec(any_fate(true), 0..200),
        ) {
            converse(&data, fates)?;
        }

        #[test]
        fn raw_identifiers_round_trip(raw in any::<u32>()) {
            let id = J1939Id::from_raw(raw);
            prop_assert_eq!(id.to_raw(), raw & 0x1FFF_FFFF);
            prop_assert_eq!(J1939Id::from_raw(id.to_raw()), id);
        }

        #[test]
        fn built_identifiers_round_trip(
            priority in any::<u8>(),
            pgn in any::<u32>(),
            destination in any::<u8>(),
            source in any::<u8>(),
        ) {
            let id = J1939Id::new(priority, pgn, destination, source);
            prop_assert!(id.to_raw() <= 0x1FFF_FFFF);
            prop_assert_eq!(J1939Id::from_raw(id.to_raw()), id);
            let f = id.frame(&[1, 2, 3]).unwrap();
            prop_assert_eq!(J1939Id::from_frame(&f), Some(id));
        }

        #[test]
        fn control_frames_round_trip(bytes in any::<[u8; 8]>()) {
            if let Ok(cm) = TpCm::parse(&bytes) {
                prop_assert_eq!(TpCm::parse(&cm.to_bytes()), Ok(cm));
            }
        }
    }

    /// What the bus does with a frame put on it.
    #[derive(Debug, Clone)]
    enum Fate {
        Deliver,
        Lose,
        Twice,
        /// Delivered 800 ms later (past T1).
        Late,
        /// An arbitrary frame reaches the sender (`true`) or the receiver first.
        Inject(bool, CanFrame),
    }

    fn any_fate(inject: bool) -> impl Strategy<Value = Fate> {
        let noise =
            (any::<bool>(), any_frame()).prop_map(|(to_sender, f)| Fate::Inject(to_sender, f));
        prop_oneof![
            40 => Just(Fate::Deliver),
            2 => Just(Fate::Lose),
            2 => Just(Fate::Twice),
            1 => Just(Fate::Late),
            if inject { 3 } else { 0 } => noise,
        ]
    }

    #[derive(Debug, Default)]
    struct Outcome {
        received: Vec<Vec<u8>>,
        sent: bool,
    }

    /// The BMS sends `data` to the charger; each frame on the bus meets the next fate (then
    /// `Deliver` once they run out). Runs until both are quiet and no timer is pending, then
    /// checks both are idle.
    fn converse(data: &[u8], fates: Vec<Fate>) -> Result<Outcome, TestCaseError> {
        let mut sender = Transport::new(BMS, TpTimeouts::default());
        let mut receiver = Transport::new(CHARGER, TpTimeouts::default());
        let mut now = Timestamp::from_millis(0);
        sender.send(CHARGER, 7, 0x1500, data, now).unwrap();
        let mut fates = fates.into_iter();
        let mut outcome = Outcome::default();
        for _ in 0..5000 {
            let mut moved = false;
            for from_sender in [true, false] {
                let (from, to) = if from_sender {
                    (&mut sender, &mut receiver)
                } else {
                    (&mut receiver, &mut sender)
                };
                let Some(f) = from.poll_transmit(now) else {
                    continue;
                };
                moved = true;
                now += Duration::from_millis(1);
                match fates.next().unwrap_or(Fate::Deliver) {
                    Fate::Deliver => {
                        to.handle_frame(&f, now);
                    }
                    Fate::Lose => {}
                    Fate::Twice => {
                        to.handle_frame(&f, now);
                        to.handle_frame(&f, now);
                    }
                    Fate::Late => {
                        now += Duration::from_millis(800);
                        to.handle_frame(&f, now);
                    }
                    Fate::Inject(to_sender, noise) => {
                        if to_sender == from_sender {
                            to.handle_frame(&noise, now);
                        } else {
                            from.handle_frame(&noise, now);
                        }
                        to.handle_frame(&f, now);
                    }
                }
            }
            if !moved {
                let next = sender
                    .poll_timeout()
                    .into_iter()
                    .chain(receiver.poll_timeout())
                    .min();
                let Some(deadline) = next else { break };
                now = now.max(deadline);
                sender.update(now);
                receiver.update(now);
            }
            while let Some(e) = receiver.poll_event() {
                if let TpEvent::Received { data, .. } = e {
                    outcome.received.push(data);
                }
            }
            while let Some(e) = sender.poll_event() {
                outcome.sent |= matches!(e, TpEvent::Sent { .. });
            }
        }
        prop_assert!(sender.is_idle() && receiver.is_idle());
        Ok(outcome)
    }
}
