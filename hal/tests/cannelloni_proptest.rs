#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of the cannelloni codec: no input makes `decode` panic, and every list of
//! classic frames survives encode → decode, whole or split by the builder.

// Inside a module named for the transport so that `cargo test cannelloni` selects them.
mod cannelloni_properties {

    use charger_hal::can::cannelloni::{decode, encode, DatagramBuilder, MIN_DATAGRAM_SIZE};
    use charger_protocol::CanFrame;
    use proptest::prelude::*;

    fn arb_frame() -> impl Strategy<Value = CanFrame> {
        (
            any::<bool>(),
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), 0..=8),
            any::<bool>(),
        )
            .prop_map(|(extended, raw_id, data, remote)| {
                let id = if extended {
                    raw_id & 0x1FFF_FFFF
                } else {
                    raw_id & 0x7FF
                };
                if remote {
                    CanFrame::remote(id, extended, data.len() as u8).unwrap()
                } else {
                    CanFrame::new(id, extended, &data).unwrap()
                }
            })
    }

    /// Datagrams that get past the header checks, so the frame parser is exercised too.
    fn arb_plausible_datagram() -> impl Strategy<Value = Vec<u8>> {
        (
            any::<u8>(),
            0u16..40,
            proptest::collection::vec(any::<u8>(), 0..300),
        )
            .prop_map(|(seq, count, body)| {
                let mut d = vec![2, 0, seq];
                d.extend_from_slice(&count.to_be_bytes());
                d.extend_from_slice(&body);
                d
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn decode_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn decode_never_panics_on_plausible_datagrams(bytes in arb_plausible_datagram()) {
            if let Ok(d) = decode(&bytes) {
                // What decodes re-encodes to the same bytes, unless FD frames were skipped.
                if d.skipped_fd == 0 {
                    prop_assert_eq!(encode(d.seq, &d.frames).unwrap(), bytes);
                }
            }
        }

        #[test]
        fn encode_then_decode_round_trips(seq: u8, frames in proptest::collection::vec(arb_frame(), 0..100)) {
            let bytes = encode(seq, &frames).unwrap();
            let d = decode(&bytes).unwrap();
            prop_assert_eq!(d.seq, seq);
            prop_assert_eq!(d.skipped_fd, 0);
            prop_assert_eq!(d.frames, frames);
        }

        #[test]
        fn builder_splits_keep_every_frame_in_order(
            max in MIN_DATAGRAM_SIZE..200usize,
            frames in proptest::collection::vec(arb_frame(), 0..60),
        ) {
            let mut datagrams = Vec::new();
            let mut b = DatagramBuilder::new(max);
            for f in &frames {
                if !b.try_push(f) {
                    let full = std::mem::replace(&mut b, DatagramBuilder::new(max));
                    datagrams.push(full.finish(datagrams.len() as u8));
                    prop_assert!(b.try_push(f));
                }
            }
            if !b.is_empty() {
                datagrams.push(b.finish(datagrams.len() as u8));
            }
            let mut got = Vec::new();
            for (i, bytes) in datagrams.iter().enumerate() {
                prop_assert!(bytes.len() <= max);
                let d = decode(bytes).unwrap();
                prop_assert_eq!(usize::from(d.seq), i);
                prop_assert!(!d.frames.is_empty());
                got.extend(d.frames);
            }
            prop_assert_eq!(got, frames);
        }
    }
}
