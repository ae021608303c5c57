#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The cannelloni UDP transport: the codec against hand-built datagrams in upstream's layout,
//! and ports talking to each other and to raw UDP sockets on 127.0.0.1.

// Inside a module named for the transport so that `cargo test cannelloni` selects them.
mod cannelloni {

    use std::net::{SocketAddr, UdpSocket};
    use std::time::{Duration, Instant};

    use charger_hal::can::cannelloni::{
        decode, encode, CannelloniConfig, CannelloniError, CannelloniPort, CannelloniSocket,
        Datagram, DatagramBuilder, DEFAULT_MAX_DATAGRAM_SIZE, MAX_DATAGRAM_SIZE,
    };
    use charger_hal::{CanError, CanPort};
    use charger_protocol::CanFrame;

    fn lo() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    fn std_frame(id: u16, data: &[u8]) -> CanFrame {
        CanFrame::standard(id, data).unwrap()
    }

    fn ext_frame(id: u32, data: &[u8]) -> CanFrame {
        CanFrame::extended(id, data).unwrap()
    }

    /// Two ports on ephemeral ports of 127.0.0.1, each the other's peer.
    fn pair_with(config: CannelloniConfig) -> (CannelloniPort, CannelloniPort) {
        let a = CannelloniSocket::bind(lo()).unwrap();
        let b = CannelloniPort::open_with(lo(), a.local_addr(), config.clone()).unwrap();
        let a = a.into_port(b.local_addr(), config).unwrap();
        (a, b)
    }

    fn pair() -> (CannelloniPort, CannelloniPort) {
        pair_with(CannelloniConfig::default())
    }

    /// A plain UDP socket and a port whose peer it is.
    fn raw_peer() -> (UdpSocket, CannelloniPort) {
        let raw = UdpSocket::bind(lo()).unwrap();
        raw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let port = CannelloniPort::open(lo(), raw.local_addr().unwrap()).unwrap();
        (raw, port)
    }

    /// Poll `port` until `n` frames arrived or five seconds passed.
    fn recv_frames(port: &mut CannelloniPort, n: usize) -> Vec<CanFrame> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut got = Vec::new();
        while got.len() < n && Instant::now() < deadline {
            match port.try_recv().unwrap() {
                Some(f) => got.push(f),
                None => std::thread::sleep(Duration::from_millis(1)),
            }
        }
        got
    }

    fn recv_datagram(raw: &UdpSocket) -> Vec<u8> {
        let mut buf = vec![0u8; 65_536];
        let (n, _) = raw.recv_from(&mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    /// A DATA datagram by hand: header, then the given frame bytes.
    fn datagram(seq: u8, count: u16, body: &[u8]) -> Vec<u8> {
        let mut d = vec![2, 0, seq];
        d.extend_from_slice(&count.to_be_bytes());
        d.extend_from_slice(body);
        d
    }

    // ---------------------------------------------------------------- codec, byte-exact

    #[test]
    fn extended_frame_encodes_as_upstream_lays_it_out() {
        let f = ext_frame(0x1826_F456, &[0x01, 0x01, 0x00]);
        let bytes = encode(7, &[f]).unwrap();
        assert_eq!(
            bytes,
            [0x02, 0x00, 0x07, 0x00, 0x01, 0x98, 0x26, 0xF4, 0x56, 0x03, 0x01, 0x01, 0x00]
        );
        assert_eq!(
            decode(&bytes).unwrap(),
            Datagram {
                seq: 7,
                frames: vec![f],
                skipped_fd: 0
            }
        );
    }

    #[test]
    fn every_kind_of_classic_frame_encodes_byte_exact() {
        let frames = [
            std_frame(0x108, &[0x00, 0xF4, 0x01, 0x7D, 0x00, 0x00, 0x00, 0x00]),
            std_frame(0x7FF, &[]),
            CanFrame::remote(0x1CEC_56F4, true, 8).unwrap(),
            CanFrame::remote(0x123, false, 2).unwrap(),
            ext_frame(0x100, &[0xAA]),
        ];
        #[rustfmt::skip]
    let expected = [
        0x02, 0x00, 0xFF, 0x00, 0x05,
        // 0x108, 8 bytes
        0x00, 0x00, 0x01, 0x08, 0x08, 0x00, 0xF4, 0x01, 0x7D, 0x00, 0x00, 0x00, 0x00,
        // 0x7FF, empty
        0x00, 0x00, 0x07, 0xFF, 0x00,
        // extended RTR with len 8: EFF|RTR flags, len, no data bytes
        0xDC, 0xEC, 0x56, 0xF4, 0x08,
        // standard RTR with len 2
        0x40, 0x00, 0x01, 0x23, 0x02,
        // an extended id that would fit in 11 bits keeps its EFF flag
        0x80, 0x00, 0x01, 0x00, 0x01, 0xAA,
    ];
        let bytes = encode(0xFF, &frames).unwrap();
        assert_eq!(bytes, expected);
        let back = decode(&expected).unwrap();
        assert_eq!(back.seq, 0xFF);
        assert_eq!(back.frames, frames);
        assert!(back.frames[2].is_remote() && back.frames[2].len() == 8);
        assert!(back.frames[4].is_extended());
    }

    #[test]
    fn empty_datagram_is_valid_and_empty() {
        assert_eq!(encode(3, &[]).unwrap(), [2, 0, 3, 0, 0]);
        let d = decode(&[2, 0, 3, 0, 0]).unwrap();
        assert_eq!(d.seq, 3);
        assert!(d.frames.is_empty());
    }

    #[test]
    fn fd_frames_are_skipped_and_the_rest_kept() {
        #[rustfmt::skip]
    let body = [
        0x00, 0x00, 0x01, 0x00, 0x01, 0x11,
        // FD frame: id 0x200, len 12 | 0x80, flags 0x01 (BRS), 12 data bytes
        0x00, 0x00, 0x02, 0x00, 0x8C, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        // FD frame with 64 bytes, extended
        0x98, 0x26, 0xF4, 0x56, 0xC0, 0x00,
    ];
        let mut body = body.to_vec();
        body.extend_from_slice(&[0x55; 64]);
        body.extend_from_slice(&[0x00, 0x00, 0x03, 0x00, 0x00]);
        let d = decode(&datagram(9, 4, &body)).unwrap();
        assert_eq!(d.frames, [std_frame(0x100, &[0x11]), std_frame(0x300, &[])]);
        assert_eq!(d.skipped_fd, 2);
    }

    #[test]
    fn each_kind_of_malformed_datagram_has_its_error() {
        use CannelloniError as E;
        let one = [0x00, 0x00, 0x01, 0x00, 0x02, 0xAA, 0xBB];
        let cases: Vec<(Vec<u8>, CannelloniError)> = vec![
            (vec![], E::ShortHeader { len: 0 }),
            (vec![2, 0, 0, 0], E::ShortHeader { len: 4 }),
            (vec![1, 0, 0, 0, 0], E::UnsupportedVersion { version: 1 }),
            (vec![3, 0, 0, 0, 0], E::UnsupportedVersion { version: 3 }),
            (vec![2, 1, 0, 0, 0], E::NotData { op_code: 1 }),
            (vec![2, 2, 0, 0, 0], E::NotData { op_code: 2 }),
            (vec![2, 9, 0, 0, 0], E::NotData { op_code: 9 }),
            // count says 2, one frame present
            (
                datagram(0, 2, &one),
                E::Truncated {
                    count: 2,
                    complete: 1,
                },
            ),
            // frame header cut short
            (
                datagram(0, 1, &[0, 0, 1]),
                E::Truncated {
                    count: 1,
                    complete: 0,
                },
            ),
            // data cut short
            (
                datagram(0, 1, &one[..6]),
                E::Truncated {
                    count: 1,
                    complete: 0,
                },
            ),
            // FD frame whose data is cut short
            (
                datagram(0, 1, &[0, 0, 1, 0, 0x88, 0, 1, 2]),
                E::Truncated {
                    count: 1,
                    complete: 0,
                },
            ),
            // bytes after the last frame
            (
                datagram(0, 1, &[&one[..], &[0xEE][..]].concat()),
                E::TrailingBytes { count: 1, extra: 1 },
            ),
            (
                datagram(0, 0, &one),
                E::TrailingBytes { count: 0, extra: 7 },
            ),
            (
                datagram(0, 1, &[0, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                E::FrameTooLong { index: 0, len: 9 },
            ),
            // an RTR frame claiming more than 8 bytes
            (
                datagram(0, 2, &[&one[..], &[0x40, 0, 1, 0, 15][..]].concat()),
                E::FrameTooLong { index: 1, len: 15 },
            ),
            (
                datagram(0, 1, &[0, 0, 1, 0, 0x80 | 65, 0]),
                E::FdFrameTooLong { index: 0, len: 65 },
            ),
            (
                datagram(0, 1, &[0x20, 0, 0, 0x40, 8, 0, 0, 0, 0, 0, 0, 0, 0]),
                E::ErrorFrame {
                    index: 0,
                    can_id: 0x2000_0040,
                },
            ),
            // an 11-bit frame with identifier bits above bit 10
            (
                datagram(0, 1, &[0, 0, 0x08, 0, 0]),
                E::InvalidIdentifier {
                    index: 0,
                    can_id: 0x800,
                },
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(decode(&bytes), Err(expected.clone()), "{bytes:02X?}");
            // Every error explains itself.
            assert!(!expected.to_string().is_empty());
        }
        assert_eq!(
            CannelloniError::NotData { op_code: 1 }.to_string(),
            "op code 1 (ACK) is not DATA"
        );
    }

    #[test]
    fn builder_splits_where_upstream_does() {
        // 1472 bytes: 5 of header and 112 frames of 13 bytes (1461); the 113th would make 1474.
        let f = std_frame(0x100, &[0; 8]);
        let mut b = DatagramBuilder::new(DEFAULT_MAX_DATAGRAM_SIZE);
        let mut n = 0;
        while b.try_push(&f) {
            n += 1;
        }
        assert_eq!(n, 112);
        assert_eq!(b.len(), 1461);
        // A 4-byte frame (9 bytes) still fits.
        assert!(b.try_push(&std_frame(0x100, &[0; 4])));
        let bytes = b.finish(42);
        assert_eq!(bytes.len(), 1470);
        let d = decode(&bytes).unwrap();
        assert_eq!(d.seq, 42);
        assert_eq!(d.frames.len(), 113);
    }

    #[test]
    fn encode_fails_beyond_one_udp_datagram() {
        let f = std_frame(0x100, &[0; 8]);
        let fits = (MAX_DATAGRAM_SIZE - 5) / 13;
        assert!(encode(0, &vec![f; fits]).is_ok());
        assert!(matches!(
            encode(0, &vec![f; fits + 1]),
            Err(CannelloniError::DatagramTooLarge { .. })
        ));
    }

    // ---------------------------------------------------------------- ports

    #[test]
    fn two_ports_exchange_every_kind_of_frame_both_ways() {
        let (mut a, mut b) = pair();
        assert_eq!(a.peer(), b.local_addr());
        assert_eq!(b.peer(), a.local_addr());
        let frames = [
            std_frame(0x108, &[1, 2, 3, 4, 5, 6, 7, 8]),
            ext_frame(0x1826_F456, &[1, 1, 0]),
            CanFrame::remote(0x1CEC_56F4, true, 8).unwrap(),
            CanFrame::remote(0x7DF, false, 0).unwrap(),
            std_frame(0x000, &[]),
            ext_frame(0x1FFF_FFFF, &[]),
        ];
        for f in &frames {
            a.send(f).unwrap();
        }
        a.flush().unwrap();
        assert_eq!(recv_frames(&mut b, frames.len()), frames);
        assert_eq!(b.try_recv().unwrap(), None);

        let reply = std_frame(0x109, &[0xAB]);
        b.send(&reply).unwrap();
        b.flush().unwrap();
        assert_eq!(recv_frames(&mut a, 1), [reply]);

        let sa = a.stats();
        assert_eq!(
            (sa.datagrams_sent, sa.frames_sent, sa.datagrams_received),
            (1, 6, 1)
        );
        let sb = b.stats();
        assert_eq!((sb.datagrams_received, sb.frames_received), (1, 6));
        assert_eq!(
            sb.malformed_datagrams + sb.foreign_datagrams + sb.lost_datagrams,
            0
        );
    }

    #[test]
    fn frames_of_one_flush_travel_in_one_datagram_in_order() {
        let (raw, mut port) = raw_peer();
        let frames: Vec<CanFrame> = (0..50u16)
            .map(|i| std_frame(0x100 + i, &[i as u8]))
            .collect();
        for f in &frames {
            port.send(f).unwrap();
        }
        assert_eq!(port.pending_tx(), 50);
        // Nothing leaves before the flush.
        raw.set_nonblocking(true).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let mut buf = [0u8; 16];
        assert!(raw.recv_from(&mut buf).is_err());
        raw.set_nonblocking(false).unwrap();

        port.flush().unwrap();
        assert_eq!(port.pending_tx(), 0);
        let d = decode(&recv_datagram(&raw)).unwrap();
        assert_eq!(d.seq, 0);
        assert_eq!(d.frames, frames);
        // Flushing nothing sends nothing; the next batch carries the next sequence number.
        port.flush().unwrap();
        port.send(&frames[0]).unwrap();
        port.flush().unwrap();
        let d = decode(&recv_datagram(&raw)).unwrap();
        assert_eq!((d.seq, d.frames.len()), (1, 1));
        assert_eq!(port.stats().datagrams_sent, 2);
        assert_eq!(port.stats().frames_sent, 51);
    }

    #[test]
    fn a_batch_too_big_for_one_datagram_is_split_in_order() {
        let (raw, mut port) = raw_peer();
        let frames: Vec<CanFrame> = (0..600u32)
            .map(|i| ext_frame(0x1800_0000 + i, &i.to_be_bytes()[..].repeat(2)))
            .collect();
        for f in &frames {
            port.send(f).unwrap();
        }
        port.flush().unwrap();
        // 112 frames of 13 bytes per 1472-byte datagram: 5 full ones and 40 frames left.
        let mut got = Vec::new();
        for seq in 0..6u8 {
            let bytes = recv_datagram(&raw);
            assert!(bytes.len() <= DEFAULT_MAX_DATAGRAM_SIZE);
            let d = decode(&bytes).unwrap();
            assert_eq!(d.seq, seq);
            assert_eq!(d.frames.len(), if seq < 5 { 112 } else { 40 });
            got.extend(d.frames);
        }
        assert_eq!(got, frames);
        assert_eq!(port.stats().datagrams_sent, 6);
    }

    #[test]
    fn a_small_datagram_size_is_honoured_between_ports() {
        let config = CannelloniConfig {
            max_datagram_size: 5 + 2 * 13,
            ..CannelloniConfig::default()
        };
        let (mut a, mut b) = pair_with(config);
        let frames: Vec<CanFrame> = (0..9u16).map(|i| std_frame(i, &[0; 8])).collect();
        for f in &frames {
            a.send(f).unwrap();
        }
        a.flush().unwrap();
        assert_eq!(recv_frames(&mut b, 9), frames);
        assert_eq!(a.stats().datagrams_sent, 5);
        assert_eq!(b.stats().datagrams_received, 5);
        assert_eq!(b.stats().lost_datagrams, 0);
    }

    /// `interface`: the socket is bound to that network interface (SO_BINDTODEVICE), as the
    /// kernel confirms, and frames still flow on it. (Root, or Linux ≥ 5.7 for anyone.)
    #[test]
    fn a_port_bound_to_an_interface_is_bound_to_it_and_talks_on_it() {
        let config = CannelloniConfig {
            interface: Some("lo".into()),
            ..CannelloniConfig::default()
        };
        let (mut a, mut b) = pair_with(config);
        assert_eq!(a.bound_device().unwrap().as_deref(), Some("lo"));
        assert_eq!(b.bound_device().unwrap().as_deref(), Some("lo"));
        let f = std_frame(0x100, &[1, 2, 3]);
        a.send(&f).unwrap();
        a.flush().unwrap();
        assert_eq!(recv_frames(&mut b, 1), vec![f]);
        // Without the setting, no device.
        let (plain, _) = pair();
        assert_eq!(plain.bound_device().unwrap(), None);
    }

    #[test]
    fn an_interface_that_does_not_exist_or_cannot_be_named_is_a_bind_device_error() {
        let peer: SocketAddr = "127.0.0.1:20000".parse().unwrap();
        for name in ["nosuchif0", "", "much-too-long-ifname", "a/b"] {
            let config = CannelloniConfig {
                interface: Some(name.into()),
                ..CannelloniConfig::default()
            };
            let err = CannelloniPort::open_with(lo(), peer, config).unwrap_err();
            assert!(
                matches!(&err, CanError::BindDevice { device, .. } if device == name),
                "{name:?}: {err}"
            );
            assert!(err.to_string().contains("SO_BINDTODEVICE"), "{err}");
        }
    }

    #[test]
    fn invalid_configuration_is_refused() {
        let peer: SocketAddr = "127.0.0.1:20000".parse().unwrap();
        for config in [
            CannelloniConfig {
                max_datagram_size: 17,
                ..CannelloniConfig::default()
            },
            CannelloniConfig {
                max_datagram_size: 70_000,
                ..CannelloniConfig::default()
            },
            CannelloniConfig {
                rx_queue_capacity: 0,
                ..CannelloniConfig::default()
            },
        ] {
            let err = CannelloniPort::open_with(lo(), peer, config).unwrap_err();
            assert!(matches!(err, CanError::Config(_)), "{err}");
        }
        let v6_peer: SocketAddr = "[2001:db8::1]:20000".parse().unwrap();
        assert!(matches!(
            CannelloniPort::open(lo(), v6_peer),
            Err(CanError::Config(_))
        ));
        assert!(matches!(
            CannelloniPort::open(lo(), "127.0.0.1:0".parse().unwrap()),
            Err(CanError::Config(_))
        ));
        // Binding an address this host does not have is an I/O error naming it.
        let err = CannelloniPort::open("192.0.2.1:0".parse().unwrap(), peer).unwrap_err();
        assert!(matches!(err, CanError::Io { .. }), "{err}");
        assert!(err.to_string().contains("192.0.2.1"), "{err}");
    }

    #[test]
    fn malformed_datagrams_are_dropped_counted_and_the_port_carries_on() {
        let (raw, mut port) = raw_peer();
        let to = port.local_addr();
        let one = [0x00, 0x00, 0x01, 0x00, 0x01, 0xAA];
        let bad: Vec<Vec<u8>> = vec![
            vec![],
            vec![2, 0, 0],
            vec![1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0xAA],
            vec![2, 1, 0, 0, 0],
            vec![2, 2, 0, 0, 0],
            vec![2, 7, 0, 0, 0],
            datagram(0, 2, &one),
            datagram(0, 1, &[&one[..], &[0][..]].concat()),
            datagram(0, 1, &[0, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            datagram(0, 1, &[0, 0, 1, 0, 0xC1, 0]),
            datagram(0, 1, &[0x20, 0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0]),
            datagram(0, 1, &[0, 0, 0x10, 0, 0]),
            // A datagram with a good first frame and a bad second one delivers neither.
            datagram(0, 2, &[&one[..], &[0, 0, 1, 0, 12][..]].concat()),
        ];
        for b in &bad {
            raw.send_to(b, to).unwrap();
        }
        let good = std_frame(0x109, &[1, 2, 3]);
        raw.send_to(&encode(0, &[good]).unwrap(), to).unwrap();
        assert_eq!(recv_frames(&mut port, 1), [good]);
        assert_eq!(port.try_recv().unwrap(), None);
        let s = port.stats();
        assert_eq!(s.malformed_datagrams, bad.len() as u64);
        assert_eq!(s.datagrams_received, 1);
        assert_eq!(s.frames_received, 1);

        // Still fine in both directions.
        port.send(&good).unwrap();
        port.flush().unwrap();
        assert_eq!(decode(&recv_datagram(&raw)).unwrap().frames, [good]);
        raw.send_to(&encode(1, &[good, good]).unwrap(), to).unwrap();
        assert_eq!(recv_frames(&mut port, 2), [good, good]);
        assert_eq!(port.stats().lost_datagrams, 0);
    }

    #[test]
    fn fd_frames_from_the_peer_are_skipped_and_counted() {
        let (raw, mut port) = raw_peer();
        let body = [
            &[0x00, 0x00, 0x02, 0x00, 0x84, 0x01, 1, 2, 3, 4][..],
            &[0x00, 0x00, 0x01, 0x00, 0x01, 0x42][..],
        ]
        .concat();
        raw.send_to(&datagram(0, 2, &body), port.local_addr())
            .unwrap();
        assert_eq!(recv_frames(&mut port, 1), [std_frame(0x100, &[0x42])]);
        let s = port.stats();
        assert_eq!(s.fd_frames_skipped, 1);
        assert_eq!(s.malformed_datagrams, 0);
    }

    #[test]
    fn datagrams_from_anyone_but_the_peer_are_dropped() {
        let (raw, mut port) = raw_peer();
        let stranger = UdpSocket::bind(lo()).unwrap();
        let f = std_frame(0x100, &[1]);
        stranger
            .send_to(
                &encode(0, &[std_frame(0x666, &[6])]).unwrap(),
                port.local_addr(),
            )
            .unwrap();
        stranger.send_to(b"garbage", port.local_addr()).unwrap();
        // Give the stranger's datagrams time to be queued ahead of the peer's.
        std::thread::sleep(Duration::from_millis(20));
        raw.send_to(&encode(0, &[f]).unwrap(), port.local_addr())
            .unwrap();
        assert_eq!(recv_frames(&mut port, 1), [f]);
        assert_eq!(port.try_recv().unwrap(), None);
        let s = port.stats();
        assert_eq!(s.foreign_datagrams, 2);
        assert_eq!(s.malformed_datagrams, 0);
        assert_eq!(s.datagrams_received, 1);
    }

    #[test]
    fn sequence_gaps_count_lost_datagrams_across_the_wrap() {
        let (raw, mut port) = raw_peer();
        let to = port.local_addr();
        let f = |i: u8| std_frame(0x100, &[i]);
        // 253, 254, then 1: 255 and 0 are missing.
        for seq in [253u8, 254, 1] {
            raw.send_to(&encode(seq, &[f(seq)]).unwrap(), to).unwrap();
        }
        assert_eq!(recv_frames(&mut port, 3), [f(253), f(254), f(1)]);
        assert_eq!(port.stats().lost_datagrams, 2);
        // A late one is still delivered and counted as late, not as a new gap.
        raw.send_to(&encode(0, &[f(0)]).unwrap(), to).unwrap();
        raw.send_to(&encode(2, &[f(2)]).unwrap(), to).unwrap();
        assert_eq!(recv_frames(&mut port, 2), [f(0), f(2)]);
        let s = port.stats();
        assert_eq!((s.lost_datagrams, s.late_datagrams), (2, 1));
        // A peer restarting far from where it was resynchronises without a loss count.
        raw.send_to(&encode(200, &[f(200)]).unwrap(), to).unwrap();
        raw.send_to(&encode(201, &[f(201)]).unwrap(), to).unwrap();
        assert_eq!(recv_frames(&mut port, 2), [f(200), f(201)]);
        let s = port.stats();
        assert_eq!((s.lost_datagrams, s.seq_resyncs), (2, 1));
    }

    #[test]
    fn outgoing_sequence_numbers_wrap() {
        let (raw, mut port) = raw_peer();
        let f = std_frame(0x100, &[]);
        for expected in (0..=255u8).chain([0, 1]) {
            port.send(&f).unwrap();
            port.flush().unwrap();
            assert_eq!(decode(&recv_datagram(&raw)).unwrap().seq, expected);
        }
    }

    #[test]
    fn a_peer_that_is_not_listening_yet_costs_frames_not_the_port() {
        // An address nobody listens on (bound, then released).
        let gone = UdpSocket::bind(lo()).unwrap().local_addr().unwrap();
        let mut a = CannelloniPort::open(lo(), gone).unwrap();
        let f = std_frame(0x100, &[1]);
        for _ in 0..3 {
            a.send(&f).unwrap();
            a.flush().unwrap();
            assert_eq!(a.try_recv().unwrap(), None);
        }
        let s = a.stats();
        // Linux accepts datagrams to a closed local port (the ICMP answer is not reported on an
        // unconnected socket); other systems may refuse them. Either way every one is accounted.
        assert_eq!(s.datagrams_sent + s.send_errors, 3);

        // The peer comes up on that address and frames flow.
        let Ok(mut b) = CannelloniPort::open(gone, a.local_addr()) else {
            return; // someone else took the port meanwhile; nothing more to check
        };
        a.send(&f).unwrap();
        a.flush().unwrap();
        assert_eq!(recv_frames(&mut b, 1), [f]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_datagram_the_os_refuses_is_counted_and_the_port_carries_on() {
        // Broadcast without SO_BROADCAST: Linux refuses it (EACCES, or ENETUNREACH without a route).
        let mut port = CannelloniPort::open(lo(), "255.255.255.255:9".parse().unwrap()).unwrap();
        let f = std_frame(0x100, &[1]);
        for _ in 0..3 {
            port.send(&f).unwrap();
            port.flush().unwrap();
        }
        assert_eq!(port.try_recv().unwrap(), None);
        let s = port.stats();
        assert_eq!((s.send_errors, s.datagrams_sent, s.frames_sent), (3, 0, 0));
    }

    #[test]
    fn a_full_receive_queue_drops_and_counts() {
        let raw = UdpSocket::bind(lo()).unwrap();
        let config = CannelloniConfig {
            rx_queue_capacity: 4,
            ..CannelloniConfig::default()
        };
        let mut port = CannelloniPort::open_with(lo(), raw.local_addr().unwrap(), config).unwrap();
        let frames: Vec<CanFrame> = (0..10u8).map(|i| std_frame(0x100, &[i])).collect();
        raw.send_to(&encode(0, &frames).unwrap(), port.local_addr())
            .unwrap();
        // The oldest frames survive, as in a hardware FIFO that refuses new ones.
        assert_eq!(recv_frames(&mut port, 4), frames[..4]);
        assert_eq!(port.try_recv().unwrap(), None);
        let s = port.stats();
        assert_eq!((s.frames_received, s.rx_overruns), (10, 6));
    }

    #[test]
    fn try_recv_and_drop_send_what_is_still_queued() {
        let (mut a, mut b) = pair();
        let f = std_frame(0x100, &[1]);
        a.send(&f).unwrap();
        assert_eq!(a.try_recv().unwrap(), None);
        assert_eq!(a.pending_tx(), 0);
        assert_eq!(recv_frames(&mut b, 1), [f]);
        let g = std_frame(0x101, &[2]);
        a.send(&g).unwrap();
        drop(a);
        assert_eq!(recv_frames(&mut b, 1), [g]);
    }

    #[test]
    fn port_is_a_can_port_usable_from_another_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<CannelloniPort>();
        let (a, mut b) = pair();
        let mut a: Box<dyn CanPort> = Box::new(a);
        let handle = std::thread::spawn(move || {
            for i in 0..10u8 {
                a.send(&std_frame(0x100, &[i])).unwrap();
            }
            a.flush().unwrap();
            a
        });
        let a = handle.join().unwrap();
        assert_eq!(recv_frames(&mut b, 10).len(), 10);
        let debug = format!("{a:?}");
        assert!(
            debug.contains("CannelloniPort") && debug.len() < 2000,
            "{debug}"
        );
    }
}
