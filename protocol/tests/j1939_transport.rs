#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The J1939-21 transport between two nodes in simulated time, against a real GB/T trace, and
//! with each way a transfer can go wrong.

// Inside `mod j1939` so that `cargo test -p charger-protocol j1939` selects these tests.
mod j1939 {
    use std::time::Duration;

    use charger_protocol::j1939::{
        AbortReason, J1939Id, TpCm, TpDirection, TpError, TpEvent, TpTimeouts, Transport,
        BMS_ADDRESS, CHARGER_ADDRESS, GLOBAL_ADDRESS, MAX_RETRANSMIT_REQUESTS, PGN_TP_CM,
        PGN_TP_DT,
    };
    use charger_protocol::{CanFrame, Timestamp};

    const BMS: u8 = BMS_ADDRESS;
    const CHARGER: u8 = CHARGER_ADDRESS;
    const PGN_BRM: u32 = 0x0200;
    const PGN_BCP: u32 = 0x0600;
    const PGN_BCS: u32 = 0x1100;

    /// BMS → charger TP.CM and TP.DT, charger → BMS TP.CM.
    const CM_TO_CHARGER: u32 = 0x1CEC_56F4;
    const DT_TO_CHARGER: u32 = 0x1CEB_56F4;
    const CM_TO_BMS: u32 = 0x1CEC_F456;

    fn ms(millis: u64) -> Timestamp {
        Timestamp::from_millis(millis)
    }

    fn hex(text: &str) -> Vec<u8> {
        text.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    fn frame(id: u32, data: &str) -> CanFrame {
        CanFrame::extended(id, &hex(data)).unwrap()
    }

    fn charger() -> Transport {
        Transport::new(CHARGER, TpTimeouts::default())
    }

    fn bms() -> Transport {
        Transport::new(BMS, TpTimeouts::default())
    }

    /// A recognisable payload of `len` bytes.
    fn payload(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + 7) as u8).collect()
    }

    fn drain_tx(t: &mut Transport, now: Timestamp) -> Vec<CanFrame> {
        std::iter::from_fn(|| t.poll_transmit(now)).collect()
    }

    fn drain_events(t: &mut Transport) -> Vec<TpEvent> {
        std::iter::from_fn(|| t.poll_event()).collect()
    }

    fn ignored(events: &[TpEvent]) -> Vec<&str> {
        events
            .iter()
            .filter_map(|e| match e {
                TpEvent::Ignored(why) => Some(why.as_str()),
                _ => None,
            })
            .collect()
    }

    /// What the bus does with a frame put on it: deliver it once (`vec![f]`), lose it (`vec![]`),
    /// or deliver it twice.
    type Bus<'a> = &'a mut dyn FnMut(&CanFrame) -> Vec<CanFrame>;

    fn reliable(f: &CanFrame) -> Vec<CanFrame> {
        vec![*f]
    }

    /// Moves one frame from `from` to `to`, if `from` has one; the frame takes 1 ms of bus time.
    fn step(
        from: &mut Transport,
        to: &mut Transport,
        now: &mut Timestamp,
        bus: Bus<'_>,
        log: &mut Vec<CanFrame>,
    ) -> bool {
        let Some(f) = from.poll_transmit(*now) else {
            return false;
        };
        *now += Duration::from_millis(1);
        log.push(f);
        for delivered in bus(&f) {
            assert!(
                to.handle_frame(&delivered, *now),
                "not consumed: {delivered:?}"
            );
        }
        true
    }

    /// Runs two nodes on one bus, a frame at a time from each in turn, until neither has anything
    /// to send. Returns every frame put on the bus, in order.
    fn exchange(
        a: &mut Transport,
        b: &mut Transport,
        now: &mut Timestamp,
        bus: Bus<'_>,
    ) -> Vec<CanFrame> {
        let mut log = Vec::new();
        loop {
            let sent_a = step(a, b, now, bus, &mut log);
            let sent_b = step(b, a, now, bus, &mut log);
            if !sent_a && !sent_b {
                return log;
            }
        }
    }

    fn is_dt(f: &CanFrame) -> bool {
        J1939Id::from_frame(f).is_some_and(|id| id.pgn == PGN_TP_DT)
    }

    fn cm_frames(log: &[CanFrame], id: u32) -> Vec<Vec<u8>> {
        log.iter()
            .filter(|f| f.id() == id)
            .map(|f| f.data().to_vec())
            .collect()
    }

    // ---------------------------------------------------------------------------------------------
    // Round trips

    #[test]
    fn round_trip_of_every_gbt_size_and_the_largest() {
        for (len, pgn) in [(9, PGN_BCS), (13, PGN_BCP), (49, PGN_BRM), (1785, 0x1500)] {
            let mut sender = bms();
            let mut receiver = charger();
            let mut now = ms(1000);
            let data = payload(len);
            sender.send(CHARGER, 7, pgn, &data, now).unwrap();
            let log = exchange(&mut sender, &mut receiver, &mut now, &mut reliable);

            let packets = len.div_ceil(7);
            assert_eq!(
                log.len(),
                1 + 1 + packets + 1,
                "RTS, CTS, packets, EoMA for {len} B"
            );
            let [p0, p1, p2] = [pgn as u8, (pgn >> 8) as u8, (pgn >> 16) as u8];
            let [s0, s1] = (len as u16).to_le_bytes();
            assert_eq!(log[0].id(), CM_TO_CHARGER);
            assert_eq!(
                log[0].data(),
                [0x10, s0, s1, packets as u8, 0xFF, p0, p1, p2]
            );
            assert_eq!(log[1].id(), CM_TO_BMS);
            assert_eq!(
                log[1].data(),
                [0x11, packets as u8, 1, 0xFF, 0xFF, p0, p1, p2]
            );
            let dts: Vec<_> = log.iter().filter(|f| is_dt(f)).collect();
            assert_eq!(dts.len(), packets);
            for (i, dt) in dts.iter().enumerate() {
                assert_eq!(dt.id(), DT_TO_CHARGER);
                assert_eq!(dt.data()[0] as usize, i + 1);
                assert_eq!(dt.len(), 8);
            }
            // The last packet is padded with 0xFF.
            let last = dts[packets - 1].data();
            let used = len - (packets - 1) * 7;
            assert_eq!(&last[1..=used], &data[(packets - 1) * 7..]);
            assert!(last[1 + used..].iter().all(|&b| b == 0xFF));
            assert_eq!(
                log.last().unwrap().data(),
                [0x13, s0, s1, packets as u8, 0xFF, p0, p1, p2]
            );

            assert_eq!(
                drain_events(&mut receiver),
                vec![TpEvent::Received {
                    source: BMS,
                    pgn,
                    data
                }]
            );
            assert_eq!(
                drain_events(&mut sender),
                vec![TpEvent::Sent {
                    destination: CHARGER,
                    pgn
                }]
            );
            assert!(sender.is_idle() && receiver.is_idle());
            assert_eq!(sender.poll_timeout(), None);
            assert_eq!(receiver.poll_timeout(), None);
        }
    }

    #[test]
    fn windows_follow_the_rts_limit_of_packets_per_cts() {
        // The sender's RTS is rewritten on the bus to allow 2 packets per CTS.
        let mut sender = bms();
        let mut receiver = charger();
        let mut now = ms(0);
        let data = payload(49);
        sender.send(CHARGER, 7, PGN_BRM, &data, now).unwrap();
        let mut limit_to_two = |f: &CanFrame| {
            if f.data()[0] == 0x10 && f.id() == CM_TO_CHARGER {
                let mut d = f.data().to_vec();
                d[4] = 2;
                vec![CanFrame::extended(f.id(), &d).unwrap()]
            } else {
                vec![*f]
            }
        };
        let log = exchange(&mut sender, &mut receiver, &mut now, &mut limit_to_two);
        assert_eq!(
            cm_frames(&log, CM_TO_BMS),
            vec![
                hex("11 02 01 FF FF 00 02 00"),
                hex("11 02 03 FF FF 00 02 00"),
                hex("11 02 05 FF FF 00 02 00"),
                hex("11 01 07 FF FF 00 02 00"),
                hex("13 31 00 07 FF 00 02 00"),
            ]
        );
        assert_eq!(
            drain_events(&mut receiver),
            vec![TpEvent::Received {
                source: BMS,
                pgn: PGN_BRM,
                data
            }]
        );
        assert_eq!(
            drain_events(&mut sender),
            vec![TpEvent::Sent {
                destination: CHARGER,
                pgn: PGN_BRM
            }]
        );
    }

    #[test]
    fn both_directions_at_once_between_the_same_nodes() {
        let mut a = bms();
        let mut b = charger();
        let mut now = ms(0);
        let (to_b, to_a) = (payload(49), payload(20));
        a.send(CHARGER, 7, PGN_BRM, &to_b, now).unwrap();
        b.send(BMS, 7, 0x3000, &to_a, now).unwrap();
        exchange(&mut a, &mut b, &mut now, &mut reliable);
        let (ea, eb) = (drain_events(&mut a), drain_events(&mut b));
        assert!(ea.contains(&TpEvent::Received {
            source: CHARGER,
            pgn: 0x3000,
            data: to_a
        }));
        assert!(ea.contains(&TpEvent::Sent {
            destination: CHARGER,
            pgn: PGN_BRM
        }));
        assert!(eb.contains(&TpEvent::Received {
            source: BMS,
            pgn: PGN_BRM,
            data: to_b
        }));
        assert!(eb.contains(&TpEvent::Sent {
            destination: BMS,
            pgn: 0x3000
        }));
        assert!(a.is_idle() && b.is_idle());
    }

    // ---------------------------------------------------------------------------------------------
    // The real trace (TYU `充电机实测报文.csv`, reference §2.6): rows 13-28 are the BRM and BCP
    // transfers; row, time, identifier and data as logged.

    /// A logged frame: row, time (mm:ss.d), identifier, data.
    type TraceRow = (u32, &'static str, u32, &'static str);
    /// A frame the charger sent: the row of the BMS frame it answered, identifier, data.
    type Answer = (u32, u32, Vec<u8>);

    const TRACE_BRM_BCP: &[TraceRow] = &[
        (13, "54:17.5", 0x1CEC56F4, "10 31 00 07 FF 00 02 00"),
        (14, "54:17.5", 0x1CECF456, "11 07 01 FF FF 00 02 00"),
        (15, "54:17.5", 0x1CEB56F4, "01 01 01 00 06 B4 00 39"),
        (16, "54:17.5", 0x1CEB56F4, "02 13 4B 4C 49 45 01 00"),
        (17, "54:17.6", 0x1CEB56F4, "03 00 00 1E 01 01 01 00"),
        (18, "54:17.6", 0x1CEB56F4, "04 00 01 FF 00 00 00 00"),
        (19, "54:17.6", 0x1CEB56F4, "05 00 00 00 00 00 00 00"),
        (20, "54:17.6", 0x1CEB56F4, "06 00 00 00 00 00 00 83"),
        (21, "54:17.6", 0x1CEB56F4, "07 FF FF FF FF FF FF FF"),
        (22, "54:17.6", 0x1CECF456, "13 31 00 07 FF 00 02 00"),
        (23, "54:17.6", 0x1801F456, "AA 01 FF FF FF FF FF FF"),
        (24, "54:17.6", 0x1CEC56F4, "10 0D 00 02 FF 00 06 00"),
        (25, "54:17.6", 0x1CECF456, "11 02 01 FF FF 00 06 00"),
        (26, "54:17.6", 0x1CEB56F4, "01 9E 01 B8 0B 4E 00 8E"),
        (27, "54:17.6", 0x1CEB56F4, "02 17 6E CA 03 24 13 FF"),
        (28, "54:17.6", 0x1CECF456, "13 0D 00 02 FF 00 06 00"),
    ];

    /// Rows 169-172 and 239-243: a BCS transfer the logged charger never acknowledged (no
    /// EndOfMsgAck after row 172), and the BMS's next BCS RTS 1.5 s later.
    const TRACE_BCS: &[TraceRow] = &[
        (169, "54:20.4", 0x1CEC56F4, "10 09 00 02 FF 00 11 00"),
        (170, "54:20.4", 0x1CECF456, "11 02 01 FF FF 00 11 00"),
        (171, "54:20.4", 0x1CEB56F4, "01 26 13 A0 0F 73 11 61"),
        (172, "54:20.4", 0x1CEB56F4, "02 00 00 FF FF FF FF FF"),
        (239, "54:21.9", 0x1CEC56F4, "10 09 00 02 FF 00 11 00"),
        (240, "54:21.9", 0x1CECF456, "11 02 01 FF FF 00 11 00"),
        (241, "54:21.9", 0x1CEB56F4, "01 26 13 A0 0F 73 11 61"),
        (242, "54:21.9", 0x1CEB56F4, "02 00 00 FF FF FF FF FF"),
        (243, "54:21.9", 0x1CECF456, "13 09 00 02 FF 00 11 00"),
    ];

    /// "mm:ss.d" as milliseconds.
    fn trace_time(text: &str) -> Timestamp {
        let (min, sec) = text.split_once(':').unwrap();
        let (s, tenths) = sec.split_once('.').unwrap();
        let min: u64 = min.parse().unwrap();
        let s: u64 = s.parse().unwrap();
        let tenths: u64 = tenths.parse().unwrap();
        ms(min * 60_000 + s * 1000 + tenths * 100)
    }

    /// Feeds the trace's BMS frames to a charger transport. Returns what the charger sent and the
    /// events.
    fn replay(rows: &[TraceRow]) -> (Vec<Answer>, Vec<TpEvent>) {
        let mut t = charger();
        let mut sent = Vec::new();
        for &(row, time, id, data) in rows {
            let f = frame(id, data);
            let from_bms = J1939Id::from_raw(id).source == BMS;
            if !from_bms {
                // The charger's own frames (the logged answers, CRM) are not addressed to it.
                assert!(!t.handle_frame(&f, trace_time(time)), "row {row}");
                continue;
            }
            let is_tp = matches!(J1939Id::from_raw(id).pgn, PGN_TP_CM | PGN_TP_DT);
            assert_eq!(t.handle_frame(&f, trace_time(time)), is_tp, "row {row}");
            for out in drain_tx(&mut t, trace_time(time)) {
                sent.push((row, out.id(), out.data().to_vec()));
            }
        }
        (sent, drain_events(&mut t))
    }

    fn logged_answers(rows: &[TraceRow]) -> Vec<(u32, Vec<u8>)> {
        rows.iter()
            .filter(|r| r.2 == CM_TO_BMS)
            .map(|r| (r.2, hex(r.3)))
            .collect()
    }

    #[test]
    fn trace_brm_and_bcp_get_the_logged_cts_and_end_of_msg_ack() {
        let (sent, events) = replay(TRACE_BRM_BCP);
        let ours: Vec<(u32, Vec<u8>)> = sent.iter().map(|(_, id, d)| (*id, d.clone())).collect();
        assert_eq!(ours, logged_answers(TRACE_BRM_BCP));
        // Each answer goes out right after the frame it answers, as in the log.
        let answered: Vec<u32> = sent.iter().map(|s| s.0).collect();
        assert_eq!(answered, vec![13, 21, 24, 27]);

        let brm = hex(
            "01 01 00 06 B4 00 39 13 4B 4C 49 45 01 00 00 00 1E 01 01 01 00 00 01 FF 00 00 00 00 \
         00 00 00 00 00 00 00 00 00 00 00 00 00 83 FF FF FF FF FF FF FF",
        );
        assert_eq!(brm.len(), 49);
        // What reference §2.6 reads in it: V1.1, NCM, 18.0 Ah, 492.1 V, "KLIE".
        assert_eq!(&brm[..3], [1, 1, 0]);
        assert_eq!(brm[3], 0x06);
        assert_eq!(u16::from_le_bytes([brm[4], brm[5]]), 180);
        assert_eq!(u16::from_le_bytes([brm[6], brm[7]]), 4921);
        assert_eq!(&brm[8..12], b"KLIE");
        let bcp = hex("9E 01 B8 0B 4E 00 8E 17 6E CA 03 24 13");
        assert_eq!(
            events,
            vec![
                TpEvent::Received {
                    source: BMS,
                    pgn: PGN_BRM,
                    data: brm
                },
                TpEvent::Received {
                    source: BMS,
                    pgn: PGN_BCP,
                    data: bcp
                },
            ]
        );
    }

    #[test]
    fn trace_bcs_is_acknowledged_even_where_the_logged_charger_was_silent() {
        let (sent, events) = replay(TRACE_BCS);
        let cts = hex("11 02 01 FF FF 00 11 00");
        let eoma = hex("13 09 00 02 FF 00 11 00");
        // The logged charger sent no EndOfMsgAck after row 172; we do, with the bytes it used at
        // row 243.
        assert_eq!(
            sent,
            vec![
                (169, CM_TO_BMS, cts.clone()),
                (172, CM_TO_BMS, eoma.clone()),
                (239, CM_TO_BMS, cts),
                (242, CM_TO_BMS, eoma),
            ]
        );
        let bcs = hex("26 13 A0 0F 73 11 61 00 00");
        assert_eq!(
            events,
            vec![
                TpEvent::Received {
                    source: BMS,
                    pgn: PGN_BCS,
                    data: bcs.clone()
                },
                TpEvent::Received {
                    source: BMS,
                    pgn: PGN_BCS,
                    data: bcs
                },
            ]
        );
    }

    // ---------------------------------------------------------------------------------------------
    // Lost and duplicated packets

    #[test]
    fn a_lost_packet_is_asked_for_again_and_the_message_completes() {
        let mut sender = bms();
        let mut receiver = charger();
        let mut now = ms(0);
        let data = payload(49);
        sender.send(CHARGER, 7, PGN_BRM, &data, now).unwrap();
        let mut lost = false;
        let mut lose_packet_3_once = |f: &CanFrame| {
            if is_dt(f) && f.data()[0] == 3 && !lost {
                lost = true;
                vec![]
            } else {
                vec![*f]
            }
        };
        let log = exchange(
            &mut sender,
            &mut receiver,
            &mut now,
            &mut lose_packet_3_once,
        );
        assert_eq!(
            cm_frames(&log, CM_TO_BMS),
            vec![
                hex("11 07 01 FF FF 00 02 00"),
                // After packet 7, a CTS for everything from the first missing packet.
                hex("11 05 03 FF FF 00 02 00"),
                hex("13 31 00 07 FF 00 02 00"),
            ]
        );
        let seqs: Vec<u8> = log
            .iter()
            .filter(|f| is_dt(f))
            .map(|f| f.data()[0])
            .collect();
        assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6, 7, 3, 4, 5, 6, 7]);
        // Packets sent again because we asked for them are not duplicates.
        assert_eq!(
            drain_events(&mut receiver),
            vec![TpEvent::Received {
                source: BMS,
                pgn: PGN_BRM,
                data
            }]
        );
        assert_eq!(
            drain_events(&mut sender),
            vec![TpEvent::Sent {
                destination: CHARGER,
                pgn: PGN_BRM
            }]
        );
    }

    #[test]
    fn a_packet_lost_every_time_ends_with_max_retransmit() {
        let mut sender = bms();
        let mut receiver = charger();
        let mut now = ms(0);
        sender.send(CHARGER, 7, PGN_BRM, &payload(49), now).unwrap();
        let mut always_lose_3 = |f: &CanFrame| {
            if is_dt(f) && f.data()[0] == 3 {
                vec![]
            } else {
                vec![*f]
            }
        };
        let log = exchange(&mut sender, &mut receiver, &mut now, &mut always_lose_3);
        let answers = cm_frames(&log, CM_TO_BMS);
        let re_requests = answers
            .iter()
            .filter(|d| **d == hex("11 05 03 FF FF 00 02 00"))
            .count();
        assert_eq!(re_requests, usize::from(MAX_RETRANSMIT_REQUESTS));
        assert_eq!(answers.last().unwrap(), &hex("FF 05 FF FF FF 00 02 00"));
        assert_eq!(
            drain_events(&mut receiver),
            vec![TpEvent::Aborted {
                peer: BMS,
                pgn: PGN_BRM,
                direction: TpDirection::Receive,
                reason: AbortReason::MaxRetransmit,
                by_peer: false
            }]
        );
        assert_eq!(
            drain_events(&mut sender),
            vec![TpEvent::Aborted {
                peer: CHARGER,
                pgn: PGN_BRM,
                direction: TpDirection::Send,
                reason: AbortReason::MaxRetransmit,
                by_peer: true
            }]
        );
        assert!(sender.is_idle() && receiver.is_idle());
    }

    #[test]
    fn duplicated_packets_are_ignored_and_counted() {
        let mut sender = bms();
        let mut receiver = charger();
        let mut now = ms(0);
        let data = payload(49);
        sender.send(CHARGER, 7, PGN_BRM, &data, now).unwrap();
        // Packet 2 arrives three times; the copies carry different bytes, and the first must win.
        let mut twice = |f: &CanFrame| {
            if is_dt(f) && f.data()[0] == 2 {
                let mut d = f.data().to_vec();
                d[1] ^= 0xFF;
                let bad = CanFrame::extended(f.id(), &d).unwrap();
                vec![*f, bad, bad]
            } else {
                vec![*f]
            }
        };
        let log = exchange(&mut sender, &mut receiver, &mut now, &mut twice);
        assert_eq!(
            cm_frames(&log, CM_TO_BMS),
            vec![
                hex("11 07 01 FF FF 00 02 00"),
                hex("13 31 00 07 FF 00 02 00")
            ]
        );
        let events = drain_events(&mut receiver);
        let why = ignored(&events);
        assert_eq!(why.len(), 2, "{events:?}");
        assert!(why[0].contains("duplicate TP.DT 2") && why[0].contains("1 so far"));
        assert!(why[1].contains("2 so far"));
        assert_eq!(
            events.last(),
            Some(&TpEvent::Received {
                source: BMS,
                pgn: PGN_BRM,
                data
            })
        );
    }

    #[test]
    fn packets_outside_the_cts_window_abort() {
        // Sequence number 0 and beyond the message: bad sequence.
        for seq in ["00", "03"] {
            let mut t = charger();
            t.handle_frame(&frame(CM_TO_CHARGER, "10 0D 00 02 FF 00 06 00"), ms(0));
            drain_tx(&mut t, ms(0));
            t.handle_frame(
                &frame(DT_TO_CHARGER, &format!("{seq} 01 02 03 04 05 06 07")),
                ms(5),
            );
            assert_eq!(
                drain_tx(&mut t, ms(5)),
                vec![frame(CM_TO_BMS, "FF 07 FF FF FF 00 06 00")]
            );
        }
        // Within the message but beyond what the CTS allowed: unexpected data transfer.
        let mut t = charger();
        t.handle_frame(&frame(CM_TO_CHARGER, "10 31 00 07 02 00 02 00"), ms(0));
        assert_eq!(
            drain_tx(&mut t, ms(0)),
            vec![frame(CM_TO_BMS, "11 02 01 FF FF 00 02 00")]
        );
        t.handle_frame(&frame(DT_TO_CHARGER, "03 01 02 03 04 05 06 07"), ms(5));
        assert_eq!(
            drain_tx(&mut t, ms(5)),
            vec![frame(CM_TO_BMS, "FF 06 FF FF FF 00 02 00")]
        );
        assert!(t.is_idle());
    }

    // ---------------------------------------------------------------------------------------------
    // RTSs that cannot be accepted

    fn refused(rts: &str, t: &mut Transport) -> (Vec<CanFrame>, Vec<TpEvent>) {
        assert!(t.handle_frame(&frame(CM_TO_CHARGER, rts), ms(0)));
        (drain_tx(t, ms(0)), drain_events(t))
    }

    #[test]
    fn an_rts_whose_size_and_packet_count_disagree_is_refused() {
        for rts in [
            "10 31 00 06 FF 00 02 00", // 49 bytes in 6 packets
            "10 31 00 08 FF 00 02 00", // 49 bytes in 8 packets
            "10 08 00 02 FF 00 02 00", // 8 bytes: fits one frame
            "10 00 00 00 FF 00 02 00", // nothing
        ] {
            let mut t = charger();
            let (tx, events) = refused(rts, &mut t);
            assert_eq!(
                tx,
                vec![frame(CM_TO_BMS, "FF FA FF FF FF 00 02 00")],
                "{rts}"
            );
            assert_eq!(
                events,
                vec![TpEvent::Aborted {
                    peer: BMS,
                    pgn: PGN_BRM,
                    direction: TpDirection::Receive,
                    reason: AbortReason::Other(250),
                    by_peer: false
                }]
            );
            assert!(t.is_idle());
            // Data that follows finds no transfer.
            assert!(t.handle_frame(&frame(DT_TO_CHARGER, "01 01 02 03 04 05 06 07"), ms(1)));
            assert!(drain_tx(&mut t, ms(1)).is_empty());
            assert!(ignored(&drain_events(&mut t))[0].contains("without a transfer"));
        }
    }

    #[test]
    fn an_rts_above_the_maximum_size_is_refused() {
        let mut t = charger().with_max_receive_size(49);
        assert_eq!(t.max_receive_size(), 49);
        // 50 bytes: within J1939, above what this node accepts.
        let (tx, events) = refused("10 32 00 08 FF 00 15 00", &mut t);
        assert_eq!(tx, vec![frame(CM_TO_BMS, "FF 02 FF FF FF 00 15 00")]);
        assert!(matches!(
            events[..],
            [TpEvent::Aborted {
                reason: AbortReason::NoResources,
                pgn: 0x1500,
                ..
            }]
        ));
        // 1786 bytes: more than J1939 allows, whatever this node accepts.
        for rts in ["10 FA 06 FF FF 00 15 00", "10 FF FF FF FF 00 15 00"] {
            let mut t = charger();
            let (tx, events) = refused(rts, &mut t);
            assert_eq!(tx, vec![frame(CM_TO_BMS, "FF 09 FF FF FF 00 15 00")]);
            assert!(matches!(
                events[..],
                [TpEvent::Aborted {
                    reason: AbortReason::TooLarge,
                    ..
                }]
            ));
        }
        // Exactly the limit is fine.
        let mut t = charger().with_max_receive_size(49);
        t.handle_frame(&frame(CM_TO_CHARGER, "10 31 00 07 FF 00 02 00"), ms(0));
        assert_eq!(
            drain_tx(&mut t, ms(0)),
            vec![frame(CM_TO_BMS, "11 07 01 FF FF 00 02 00")]
        );
    }

    #[test]
    fn a_sender_sees_the_receivers_refusal() {
        let mut sender = bms();
        let mut receiver = charger().with_max_receive_size(13);
        let mut now = ms(0);
        sender.send(CHARGER, 7, PGN_BRM, &payload(49), now).unwrap();
        let log = exchange(&mut sender, &mut receiver, &mut now, &mut reliable);
        assert_eq!(log.len(), 2, "RTS, Conn_Abort: {log:?}");
        assert_eq!(
            drain_events(&mut sender),
            vec![TpEvent::Aborted {
                peer: CHARGER,
                pgn: PGN_BRM,
                direction: TpDirection::Send,
                reason: AbortReason::NoResources,
                by_peer: true
            }]
        );
        assert!(sender.is_idle() && receiver.is_idle());
    }

    // ---------------------------------------------------------------------------------------------
    // Aborts from the peer

    #[test]
    fn the_peer_aborts_a_transfer_to_us() {
        let mut t = charger();
        t.handle_frame(&frame(CM_TO_CHARGER, "10 31 00 07 FF 00 02 00"), ms(0));
        t.handle_frame(&frame(DT_TO_CHARGER, "01 01 01 00 06 B4 00 39"), ms(1));
        drain_tx(&mut t, ms(1));
        // An abort for another PGN is not about this transfer.
        assert!(t.handle_frame(&frame(CM_TO_CHARGER, "FF 03 FF FF FF 00 06 00"), ms(2)));
        assert!(ignored(&drain_events(&mut t))[0].contains("not being transferred"));
        assert!(!t.is_idle());

        assert!(t.handle_frame(&frame(CM_TO_CHARGER, "FF 03 FF FF FF 00 02 00"), ms(3)));
        assert_eq!(
            drain_events(&mut t),
            vec![TpEvent::Aborted {
                peer: BMS,
                pgn: PGN_BRM,
                direction: TpDirection::Receive,
                reason: AbortReason::Timeout,
                by_peer: true
            }]
        );
        // An abort is never answered.
        assert!(drain_tx(&mut t, ms(3)).is_empty());
        assert!(t.is_idle());
        assert_eq!(t.poll_timeout(), None);
    }

    #[test]
    fn the_peer_aborts_a_transfer_from_us() {
        let mut t = charger();
        t.send(BMS, 7, 0x3000, &payload(20), ms(0)).unwrap();
        assert_eq!(
            drain_tx(&mut t, ms(0)),
            vec![frame(CM_TO_BMS, "10 14 00 03 FF 00 30 00")]
        );
        t.handle_frame(&frame(CM_TO_CHARGER, "FF 01 FF FF FF 00 30 00"), ms(10));
        assert_eq!(
            drain_events(&mut t),
            vec![TpEvent::Aborted {
                peer: BMS,
                pgn: 0x3000,
                direction: TpDirection::Send,
                reason: AbortReason::AlreadyInSession,
                by_peer: true
            }]
        );
        assert!(drain_tx(&mut t, ms(10)).is_empty());
        assert!(t.is_idle());
        // The destination is free again.
        t.send(BMS, 7, 0x3000, &payload(20), ms(20)).unwrap();
    }

    // ---------------------------------------------------------------------------------------------
    // Timeouts

    fn timeout_abort(
        t: &mut Transport,
        at: Timestamp,
        expect_frame: CanFrame,
        direction: TpDirection,
        pgn: u32,
    ) {
        let peer = if direction == TpDirection::Receive {
            BMS
        } else {
            CHARGER
        };
        let before = Timestamp::from_millis(at.as_millis() - 1);
        assert_eq!(t.poll_timeout(), Some(at));
        t.update(before);
        assert!(drain_tx(t, before).is_empty());
        assert!(drain_events(t).is_empty());
        t.update(at);
        assert_eq!(drain_tx(t, at), vec![expect_frame]);
        assert_eq!(
            drain_events(t),
            vec![TpEvent::Aborted {
                peer,
                pgn,
                direction,
                reason: AbortReason::Timeout,
                by_peer: false
            }]
        );
        assert!(t.is_idle());
        assert_eq!(t.poll_timeout(), None);
    }

    #[test]
    fn t2_no_data_after_our_cts() {
        let mut t = charger();
        t.handle_frame(&frame(CM_TO_CHARGER, "10 31 00 07 FF 00 02 00"), ms(100));
        drain_tx(&mut t, ms(100));
        timeout_abort(
            &mut t,
            ms(100 + 1250),
            frame(CM_TO_BMS, "FF 03 FF FF FF 00 02 00"),
            TpDirection::Receive,
            PGN_BRM,
        );
    }

    #[test]
    fn t1_no_data_between_packets() {
        let mut t = charger();
        t.handle_frame(&frame(CM_TO_CHARGER, "10 31 00 07 FF 00 02 00"), ms(100));
        t.handle_frame(&frame(DT_TO_CHARGER, "01 01 01 00 06 B4 00 39"), ms(110));
        t.handle_frame(&frame(DT_TO_CHARGER, "02 13 4B 4C 49 45 01 00"), ms(120));
        drain_tx(&mut t, ms(120));
        timeout_abort(
            &mut t,
            ms(120 + 750),
            frame(CM_TO_BMS, "FF 03 FF FF FF 00 02 00"),
            TpDirection::Receive,
            PGN_BRM,
        );
    }

    #[test]
    fn t1_a_late_packet_finds_the_transfer_already_aborted() {
        let mut t = charger();
        t.handle_frame(&frame(CM_TO_CHARGER, "10 0D 00 02 FF 00 06 00"), ms(0));
        t.handle_frame(&frame(DT_TO_CHARGER, "01 9E 01 B8 0B 4E 00 8E"), ms(10));
        drain_tx(&mut t, ms(10));
        // No update() call in between: handle_frame checks the deadline itself.
        assert!(t.handle_frame(&frame(DT_TO_CHARGER, "02 17 6E CA 03 24 13 FF"), ms(800)));
        assert_eq!(
            drain_tx(&mut t, ms(800)),
            vec![frame(CM_TO_BMS, "FF 03 FF FF FF 00 06 00")]
        );
        let events = drain_events(&mut t);
        assert!(matches!(
            events[0],
            TpEvent::Aborted {
                reason: AbortReason::Timeout,
                by_peer: false,
                ..
            }
        ));
        assert!(ignored(&events)[0].contains("without a transfer"));
        assert!(!events.iter().any(|e| matches!(e, TpEvent::Received { .. })));
    }

    #[test]
    fn t3_no_cts_after_our_rts() {
        let mut t = bms();
        t.send(CHARGER, 7, PGN_BRM, &payload(49), ms(100)).unwrap();
        assert_eq!(
            drain_tx(&mut t, ms(100)),
            vec![frame(CM_TO_CHARGER, "10 31 00 07 FF 00 02 00")]
        );
        timeout_abort(
            &mut t,
            ms(100 + 1250),
            frame(CM_TO_CHARGER, "FF 03 FF FF FF 00 02 00"),
            TpDirection::Send,
            PGN_BRM,
        );
    }

    #[test]
    fn t3_no_end_of_msg_ack_after_our_last_packet() {
        let mut t = bms();
        t.send(CHARGER, 7, PGN_BCP, &payload(13), ms(0)).unwrap();
        drain_tx(&mut t, ms(0));
        t.handle_frame(&frame(CM_TO_BMS, "11 02 01 FF FF 00 06 00"), ms(10));
        // T3 runs from the moment the last packet goes out.
        let packets = drain_tx(&mut t, ms(40));
        assert_eq!(packets.len(), 2);
        assert!(packets.iter().all(is_dt));
        timeout_abort(
            &mut t,
            ms(40 + 1250),
            frame(CM_TO_CHARGER, "FF 03 FF FF FF 00 06 00"),
            TpDirection::Send,
            PGN_BCP,
        );
    }

    #[test]
    fn t4_a_hold_that_is_not_renewed() {
        let mut t = bms();
        t.send(CHARGER, 7, PGN_BCP, &payload(13), ms(0)).unwrap();
        drain_tx(&mut t, ms(0));
        t.handle_frame(&frame(CM_TO_BMS, "11 00 FF FF FF 00 06 00"), ms(10));
        assert!(drain_tx(&mut t, ms(10)).is_empty(), "hold: nothing to send");
        assert_eq!(t.poll_timeout(), Some(ms(10 + 1050)));
        // The receiver renews the hold within Th; T4 starts again.
        t.handle_frame(&frame(CM_TO_BMS, "11 00 FF FF FF 00 06 00"), ms(510));
        timeout_abort(
            &mut t,
            ms(510 + 1050),
            frame(CM_TO_CHARGER, "FF 03 FF FF FF 00 06 00"),
            TpDirection::Send,
            PGN_BCP,
        );
    }

    #[test]
    fn t4_a_hold_then_a_cts_resumes_the_transfer() {
        let mut t = bms();
        t.send(CHARGER, 7, PGN_BCP, &payload(13), ms(0)).unwrap();
        drain_tx(&mut t, ms(0));
        t.handle_frame(&frame(CM_TO_BMS, "11 00 FF FF FF 00 06 00"), ms(10));
        t.handle_frame(&frame(CM_TO_BMS, "11 02 01 FF FF 00 06 00"), ms(400));
        assert_eq!(drain_tx(&mut t, ms(400)).len(), 2);
        t.handle_frame(&frame(CM_TO_BMS, "13 0D 00 02 FF 00 06 00"), ms(420));
        assert_eq!(
            drain_events(&mut t),
            vec![TpEvent::Sent {
                destination: CHARGER,
                pgn: PGN_BCP
            }]
        );
        assert!(t.is_idle());
    }

    #[test]
    fn a_cts_while_sending_aborts() {
        let mut t = bms();
        t.send(CHARGER, 7, PGN_BRM, &payload(49), ms(0)).unwrap();
        drain_tx(&mut t, ms(0));
        t.handle_frame(&frame(CM_TO_BMS, "11 07 01 FF FF 00 02 00"), ms(10));
        for _ in 0..3 {
            assert!(is_dt(&t.poll_transmit(ms(11)).unwrap()));
        }
        t.handle_frame(&frame(CM_TO_BMS, "11 07 01 FF FF 00 02 00"), ms(12));
        // The rest of the window is not sent.
        assert_eq!(
            drain_tx(&mut t, ms(12)),
            vec![frame(CM_TO_CHARGER, "FF 04 FF FF FF 00 02 00")]
        );
        assert!(matches!(
            drain_events(&mut t)[..],
            [TpEvent::Aborted {
                reason: AbortReason::CtsWhileSending,
                direction: TpDirection::Send,
                by_peer: false,
                ..
            }]
        ));
    }

    // ---------------------------------------------------------------------------------------------
    // A second RTS while receiving

    #[test]
    fn a_second_rts_for_the_same_pgn_restarts_the_transfer_silently() {
        let mut t = charger();
        t.handle_frame(&frame(CM_TO_CHARGER, "10 09 00 02 FF 00 11 00"), ms(0));
        t.handle_frame(&frame(DT_TO_CHARGER, "01 25 13 A0 0F 73 11 61"), ms(5));
        drain_tx(&mut t, ms(5));
        // J1939-21 5.10.3.1: the most recent RTS is acted on, no abort for the old one.
        t.handle_frame(&frame(CM_TO_CHARGER, "10 09 00 02 FF 00 11 00"), ms(250));
        assert_eq!(
            drain_tx(&mut t, ms(250)),
            vec![frame(CM_TO_BMS, "11 02 01 FF FF 00 11 00")]
        );
        assert!(drain_events(&mut t).is_empty());
        t.handle_frame(&frame(DT_TO_CHARGER, "01 26 13 A0 0F 73 11 61"), ms(255));
        t.handle_frame(&frame(DT_TO_CHARGER, "02 00 00 FF FF FF FF FF"), ms(256));
        assert_eq!(
            drain_tx(&mut t, ms(256)),
            vec![frame(CM_TO_BMS, "13 09 00 02 FF 00 11 00")]
        );
        assert_eq!(
            drain_events(&mut t),
            vec![TpEvent::Received {
                source: BMS,
                pgn: PGN_BCS,
                data: hex("26 13 A0 0F 73 11 61 00 00")
            }]
        );
    }

    #[test]
    fn a_second_rts_for_another_pgn_aborts_the_old_transfer_and_takes_the_new() {
        let mut t = charger();
        t.handle_frame(&frame(CM_TO_CHARGER, "10 31 00 07 FF 00 02 00"), ms(0));
        t.handle_frame(&frame(DT_TO_CHARGER, "01 01 01 00 06 B4 00 39"), ms(5));
        drain_tx(&mut t, ms(5));
        t.handle_frame(&frame(CM_TO_CHARGER, "10 0D 00 02 FF 00 06 00"), ms(10));
        assert_eq!(
            drain_tx(&mut t, ms(10)),
            vec![
                frame(CM_TO_BMS, "FF 01 FF FF FF 00 02 00"),
                frame(CM_TO_BMS, "11 02 01 FF FF 00 06 00"),
            ]
        );
        assert_eq!(
            drain_events(&mut t),
            vec![TpEvent::Aborted {
                peer: BMS,
                pgn: PGN_BRM,
                direction: TpDirection::Receive,
                reason: AbortReason::AlreadyInSession,
                by_peer: false
            }]
        );
        t.handle_frame(&frame(DT_TO_CHARGER, "01 9E 01 B8 0B 4E 00 8E"), ms(12));
        t.handle_frame(&frame(DT_TO_CHARGER, "02 17 6E CA 03 24 13 FF"), ms(13));
        assert_eq!(
            drain_events(&mut t),
            vec![TpEvent::Received {
                source: BMS,
                pgn: PGN_BCP,
                data: hex("9E 01 B8 0B 4E 00 8E 17 6E CA 03 24 13")
            }]
        );
    }

    // ---------------------------------------------------------------------------------------------
    // What is and is not the transport's

    #[test]
    fn transport_frames_for_other_destinations_are_not_consumed() {
        let mut t = charger();
        for f in [
            frame(0x1CEC_57F4, "10 31 00 07 FF 00 02 00"), // RTS to 0x57
            frame(0x1CEB_57F4, "01 01 01 00 06 B4 00 39"), // DT to 0x57
            frame(CM_TO_BMS, "11 07 01 FF FF 00 02 00"),   // our own CTS, echoed back
        ] {
            assert!(!t.handle_frame(&f, ms(0)), "{f:?}");
        }
        assert!(drain_tx(&mut t, ms(0)).is_empty());
        assert!(drain_events(&mut t).is_empty());
        assert!(t.is_idle());
    }

    #[test]
    fn frames_that_are_not_transport_frames_are_left_to_the_application() {
        let mut t = charger();
        for f in [
            frame(0x1826_F456, "01 01 00"),                    // CHM
            frame(0x1827_56F4, "8E 17"),                       // BHM to us
            frame(0x1810_56F4, "52 17 82 0F 02"),              // BCL to us
            frame(0x1DEC_56F4, "10 31 00 07 FF 00 02 00"),     // DP = 1: PGN 0x1EC00, not TP.CM
            CanFrame::standard(0x100, &[0x10, 0x31]).unwrap(), // 11-bit
            CanFrame::remote(CM_TO_CHARGER, true, 8).unwrap(), // RTR with the TP.CM identifier
        ] {
            assert!(!t.handle_frame(&f, ms(0)), "{f:?}");
        }
        assert!(drain_tx(&mut t, ms(0)).is_empty());
        assert!(drain_events(&mut t).is_empty());
    }

    #[test]
    fn nonsense_transport_frames_are_consumed_and_ignored() {
        let mut t = charger();
        for (f, why) in [
            (
                frame(DT_TO_CHARGER, "01 01 01 00 06 B4 00 39"),
                "without a transfer",
            ),
            (
                frame(CM_TO_CHARGER, "11 07 01 FF FF 00 02 00"),
                "without a transfer to it",
            ),
            (
                frame(CM_TO_CHARGER, "13 31 00 07 FF 00 02 00"),
                "without a transfer to it",
            ),
            (frame(CM_TO_CHARGER, "10 31 00 07"), "TP.CM of 4 bytes"),
            (
                frame(CM_TO_CHARGER, "42 31 00 07 FF 00 02 00"),
                "unknown control byte 0x42",
            ),
            (
                frame(0x1CEC_FFF4, "10 31 00 07 FF 00 02 00"),
                "to the global address",
            ),
            (
                frame(CM_TO_CHARGER, "20 31 00 07 FF 00 02 00"),
                "BAM from 0xF4 addressed to us",
            ),
            (
                frame(0x1CEC_5656, "10 31 00 07 FF 00 02 00"),
                "source address 0x56",
            ),
            (frame(DT_TO_CHARGER, ""), "empty TP.DT"),
        ] {
            assert!(t.handle_frame(&f, ms(0)), "{f:?}");
            let events = drain_events(&mut t);
            assert_eq!(ignored(&events).len(), 1, "{f:?}: {events:?}");
            assert!(ignored(&events)[0].contains(why), "{f:?}: {events:?}");
            assert!(
                drain_tx(&mut t, ms(0)).is_empty(),
                "{f:?} must not be answered"
            );
        }
        assert!(t.is_idle());
    }

    #[test]
    fn a_short_packet_is_ignored_without_storing_it() {
        let mut t = charger();
        t.handle_frame(&frame(CM_TO_CHARGER, "10 0D 00 02 FF 00 06 00"), ms(0));
        drain_tx(&mut t, ms(0));
        t.handle_frame(&frame(DT_TO_CHARGER, "01 9E 01 B8"), ms(1));
        assert!(ignored(&drain_events(&mut t))[0].contains("carries 3 of its 7 bytes"));
        // The last packet only needs the message's remaining bytes: no padding required.
        t.handle_frame(&frame(DT_TO_CHARGER, "01 9E 01 B8 0B 4E 00 8E"), ms(2));
        t.handle_frame(&frame(DT_TO_CHARGER, "02 17 6E CA 03 24 13"), ms(3));
        assert_eq!(
            drain_events(&mut t),
            vec![TpEvent::Received {
                source: BMS,
                pgn: PGN_BCP,
                data: hex("9E 01 B8 0B 4E 00 8E 17 6E CA 03 24 13")
            }]
        );
    }

    // ---------------------------------------------------------------------------------------------
    // Sending: what is refused

    #[test]
    fn send_refuses_what_rts_cts_cannot_carry() {
        let mut t = charger();
        let now = ms(0);
        assert_eq!(
            t.send(BMS, 7, PGN_BRM, &payload(8), now),
            Err(TpError::TooSmall { size: 8, min: 9 })
        );
        assert_eq!(
            t.send(BMS, 7, PGN_BRM, &payload(1786), now),
            Err(TpError::TooLarge {
                size: 1786,
                max: 1785
            })
        );
        for destination in [GLOBAL_ADDRESS, 0xFE, CHARGER] {
            assert_eq!(
                t.send(destination, 7, PGN_BRM, &payload(9), now),
                Err(TpError::InvalidDestination { destination })
            );
        }
        assert_eq!(
            t.send(BMS, 7, 0x0201, &payload(9), now),
            Err(TpError::InvalidPgn { pgn: 0x0201 })
        );
        assert_eq!(
            t.send(BMS, 7, 0x4_0000, &payload(9), now),
            Err(TpError::InvalidPgn { pgn: 0x4_0000 })
        );
        assert_eq!(
            t.send(BMS, 8, PGN_BRM, &payload(9), now),
            Err(TpError::InvalidPriority { priority: 8 })
        );
        assert!(t.is_idle(), "nothing refused may leave a trace");
        t.send(BMS, 6, PGN_BRM, &payload(9), now).unwrap();
        assert_eq!(
            t.send(BMS, 7, PGN_BCP, &payload(9), now),
            Err(TpError::Busy { destination: BMS })
        );
        // Another destination is independent; the RTS carries the priority asked for.
        t.send(0x80, 7, PGN_BRM, &payload(9), now).unwrap();
        let rts = drain_tx(&mut t, now);
        assert_eq!(rts[0].id(), 0x18EC_F456);
        assert_eq!(rts[1].id(), 0x1CEC_8056);
        assert_eq!(
            TpCm::parse(rts[0].data()).unwrap(),
            TpCm::Rts {
                size: 9,
                packets: 2,
                max_per_cts: 0xFF,
                pgn: PGN_BRM
            }
        );
    }

    #[test]
    fn end_of_msg_ack_before_the_last_packet_is_ignored() {
        let mut t = bms();
        t.send(CHARGER, 7, PGN_BCP, &payload(13), ms(0)).unwrap();
        drain_tx(&mut t, ms(0));
        t.handle_frame(&frame(CM_TO_BMS, "13 0D 00 02 FF 00 06 00"), ms(5));
        assert!(ignored(&drain_events(&mut t))[0].contains("before PGN 0x0600 was sent in full"));
        assert!(!t.is_idle());
    }

    // ---------------------------------------------------------------------------------------------
    // Broadcasts and reset

    #[test]
    fn a_broadcast_is_received_without_answering() {
        let mut t = charger();
        assert!(t.handle_frame(&frame(0x1CEC_FFF4, "20 0D 00 02 FF 00 06 00"), ms(0)));
        assert!(t.handle_frame(&frame(0x1CEB_FFF4, "01 9E 01 B8 0B 4E 00 8E"), ms(50)));
        assert!(t.handle_frame(&frame(0x1CEB_FFF4, "02 17 6E CA 03 24 13 FF"), ms(100)));
        assert!(drain_tx(&mut t, ms(100)).is_empty());
        assert_eq!(
            drain_events(&mut t),
            vec![TpEvent::Received {
                source: BMS,
                pgn: PGN_BCP,
                data: hex("9E 01 B8 0B 4E 00 8E 17 6E CA 03 24 13")
            }]
        );
        // A lost broadcast packet cannot be asked for again: the broadcast is dropped, silently on
        // the bus.
        t.handle_frame(&frame(0x1CEC_FFF4, "20 31 00 07 FF 00 02 00"), ms(200));
        t.handle_frame(&frame(0x1CEB_FFF4, "01 01 01 00 06 B4 00 39"), ms(250));
        t.handle_frame(&frame(0x1CEB_FFF4, "03 00 00 1E 01 01 01 00"), ms(300));
        assert!(drain_tx(&mut t, ms(300)).is_empty());
        assert!(matches!(
            drain_events(&mut t)[..],
            [TpEvent::Aborted {
                reason: AbortReason::BadSequence,
                by_peer: false,
                ..
            }]
        ));
        // And one that stops is dropped after T1, also silently.
        t.handle_frame(&frame(0x1CEC_FFF4, "20 31 00 07 FF 00 02 00"), ms(400));
        t.update(ms(400 + 750));
        assert!(drain_tx(&mut t, ms(1150)).is_empty());
        assert!(matches!(
            drain_events(&mut t)[..],
            [TpEvent::Aborted {
                reason: AbortReason::Timeout,
                ..
            }]
        ));
        assert!(t.is_idle());
    }

    #[test]
    fn reset_forgets_everything_silently() {
        let mut t = charger();
        t.handle_frame(&frame(CM_TO_CHARGER, "10 31 00 07 FF 00 02 00"), ms(0));
        t.send(BMS, 7, 0x3000, &payload(20), ms(0)).unwrap();
        t.handle_frame(&frame(DT_TO_CHARGER, "09 01 01 00 06 B4 00 39"), ms(1));
        assert!(!t.is_idle());
        t.reset();
        assert!(t.is_idle());
        assert_eq!(t.poll_timeout(), None);
        assert!(drain_tx(&mut t, ms(2)).is_empty());
        assert!(drain_events(&mut t).is_empty());
        t.update(ms(60_000));
        assert!(drain_tx(&mut t, ms(60_000)).is_empty());
        assert!(drain_events(&mut t).is_empty());
    }
}
