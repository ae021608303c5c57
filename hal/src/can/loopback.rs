//! In-process loopback CAN bus.
//!
//! The simulated connector puts the station's CAN port and the simulated truck's on one of
//! these, and tests join as many ports as they like. It behaves like a CAN bus as far as the
//! station can tell: every frame one node sends is received by every other node (never by the
//! sender, like a SocketCAN socket without `CAN_RAW_RECV_OWN_MSGS`), and a node that does not
//! read fast enough overruns: its receive queue is bounded, and a frame arriving at a full queue
//! is dropped and counted rather than growing memory without limit.
//!
//! A port alone on the bus has nobody to acknowledge its frames; it reports
//! [`CanError::Closed`], which is how the station learns that the far end went away.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use charger_protocol::CanFrame;

use super::{CanError, CanPort};

/// Receive-queue depth of a port unless [`LoopbackBus::with_capacity`] says otherwise: about
/// a second of CHAdeMO traffic, far more than a station polling every 10 ms ever lets pile up.
pub const DEFAULT_QUEUE_CAPACITY: usize = 256;

/// One node's receive side, kept by the bus so that senders can deliver into it.
#[derive(Debug)]
struct NodeQueue {
    id: u64,
    frames: VecDeque<CanFrame>,
    /// Frames that arrived while the queue was full and were dropped.
    overruns: u64,
}

#[derive(Debug)]
struct BusState {
    name: String,
    capacity: usize,
    next_id: u64,
    nodes: Vec<NodeQueue>,
}

impl BusState {
    fn node_mut(&mut self, id: u64) -> Option<&mut NodeQueue> {
        self.nodes.iter_mut().find(|n| n.id == id)
    }

    fn has_peer_of(&self, id: u64) -> bool {
        self.nodes.iter().any(|n| n.id != id)
    }
}

/// Lock the bus, carrying on past a poisoned lock: the state is a set of queues that a panic
/// elsewhere cannot leave half-updated in a way that matters for a simulation.
fn lock(state: &Mutex<BusState>) -> MutexGuard<'_, BusState> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An in-process CAN bus. Cloning the handle gives another handle to the same bus.
#[derive(Clone)]
pub struct LoopbackBus {
    state: Arc<Mutex<BusState>>,
}

impl LoopbackBus {
    /// A bus named `name` (the name appears in errors and logs), with
    /// [`DEFAULT_QUEUE_CAPACITY`] frames of receive queue per port.
    pub fn new(name: &str) -> LoopbackBus {
        LoopbackBus::with_capacity(name, DEFAULT_QUEUE_CAPACITY)
    }

    /// A bus whose ports each queue at most `capacity` received frames (at least one).
    pub fn with_capacity(name: &str, capacity: usize) -> LoopbackBus {
        LoopbackBus {
            state: Arc::new(Mutex::new(BusState {
                name: name.to_string(),
                capacity: capacity.max(1),
                next_id: 0,
                nodes: Vec::new(),
            })),
        }
    }

    /// Two ports on a new bus, the usual charger–vehicle arrangement.
    pub fn pair(name: &str) -> (LoopbackPort, LoopbackPort) {
        let bus = LoopbackBus::new(name);
        (bus.port(), bus.port())
    }

    /// Attach a new node to the bus. It receives every frame sent after this call.
    pub fn port(&self) -> LoopbackPort {
        let mut state = lock(&self.state);
        let id = state.next_id;
        state.next_id += 1;
        state.nodes.push(NodeQueue {
            id,
            frames: VecDeque::new(),
            overruns: 0,
        });
        let name = format!("{}#{id}", state.name);
        LoopbackPort {
            state: Arc::clone(&self.state),
            id,
            name,
        }
    }

    /// How many ports are attached right now.
    pub fn port_count(&self) -> usize {
        lock(&self.state).nodes.len()
    }

    pub fn name(&self) -> String {
        lock(&self.state).name.clone()
    }
}

impl std::fmt::Debug for LoopbackBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("LoopbackBus")
            .field("name", &state.name)
            .field("ports", &state.nodes.len())
            .field("capacity", &state.capacity)
            .finish()
    }
}

/// One node on a [`LoopbackBus`]. Dropping it detaches the node.
pub struct LoopbackPort {
    state: Arc<Mutex<BusState>>,
    id: u64,
    /// `bus#n`, for errors.
    name: String,
}

impl LoopbackPort {
    /// The port's name: the bus name and the node number, e.g. `connector-1#0`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Frames dropped because this port's receive queue was full.
    pub fn overruns(&self) -> u64 {
        let mut state = lock(&self.state);
        state.node_mut(self.id).map_or(0, |n| n.overruns)
    }

    /// Frames waiting to be received by this port.
    pub fn pending(&self) -> usize {
        let mut state = lock(&self.state);
        state.node_mut(self.id).map_or(0, |n| n.frames.len())
    }

    /// Another port is attached to the bus.
    pub fn has_peer(&self) -> bool {
        lock(&self.state).has_peer_of(self.id)
    }
}

impl CanPort for LoopbackPort {
    /// Deliver the frame to every other port; a full receiver drops it and counts an overrun.
    /// Fails with [`CanError::Closed`] when no other port is attached.
    fn send(&mut self, frame: &CanFrame) -> Result<(), CanError> {
        let mut state = lock(&self.state);
        if !state.has_peer_of(self.id) {
            return Err(CanError::Closed(self.name.clone()));
        }
        let capacity = state.capacity;
        for node in state.nodes.iter_mut().filter(|n| n.id != self.id) {
            if node.frames.len() >= capacity {
                node.overruns += 1;
            } else {
                node.frames.push_back(*frame);
            }
        }
        Ok(())
    }

    /// The oldest frame received. Frames already queued are still delivered after the last
    /// peer left; only then does the port report [`CanError::Closed`].
    fn try_recv(&mut self) -> Result<Option<CanFrame>, CanError> {
        let mut state = lock(&self.state);
        let has_peer = state.has_peer_of(self.id);
        match state.node_mut(self.id).and_then(|n| n.frames.pop_front()) {
            Some(frame) => Ok(Some(frame)),
            None if has_peer => Ok(None),
            None => Err(CanError::Closed(self.name.clone())),
        }
    }
}

impl Drop for LoopbackPort {
    fn drop(&mut self) {
        lock(&self.state).nodes.retain(|n| n.id != self.id);
    }
}

impl std::fmt::Debug for LoopbackPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackPort")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(id: u16, byte: u8) -> CanFrame {
        CanFrame::standard(id, &[byte]).unwrap()
    }

    #[test]
    fn pair_exchanges_frames_both_ways_in_order() {
        let (mut a, mut b) = LoopbackBus::pair("test");
        a.send(&frame(0x100, 1)).unwrap();
        a.send(&frame(0x100, 2)).unwrap();
        b.send(&frame(0x108, 3)).unwrap();
        assert_eq!(b.try_recv().unwrap(), Some(frame(0x100, 1)));
        assert_eq!(b.try_recv().unwrap(), Some(frame(0x100, 2)));
        assert_eq!(b.try_recv().unwrap(), None);
        assert_eq!(a.try_recv().unwrap(), Some(frame(0x108, 3)));
        assert_eq!(a.try_recv().unwrap(), None);
    }

    #[test]
    fn every_other_port_receives_and_the_sender_does_not() {
        let bus = LoopbackBus::new("three");
        let (mut a, mut b, mut c) = (bus.port(), bus.port(), bus.port());
        assert_eq!(bus.port_count(), 3);
        let f = CanFrame::extended(0x1826_F456, &[1, 2, 3]).unwrap();
        a.send(&f).unwrap();
        assert_eq!(b.try_recv().unwrap(), Some(f));
        assert_eq!(c.try_recv().unwrap(), Some(f));
        assert_eq!(a.try_recv().unwrap(), None);
    }

    #[test]
    fn full_receiver_drops_and_counts() {
        let bus = LoopbackBus::with_capacity("small", 2);
        let (mut a, mut b, mut c) = (bus.port(), bus.port(), bus.port());
        for i in 0..5 {
            a.send(&frame(0x100, i)).unwrap();
        }
        assert_eq!(b.pending(), 2);
        assert_eq!(b.overruns(), 3);
        // The oldest frames survive, as in a hardware FIFO that refuses new ones.
        assert_eq!(b.try_recv().unwrap(), Some(frame(0x100, 0)));
        // Another node reading promptly is unaffected by b's overrun count.
        assert_eq!(c.try_recv().unwrap(), Some(frame(0x100, 0)));
        assert_eq!(a.overruns(), 0);
    }

    #[test]
    fn closed_once_no_peer_is_left() {
        let (mut a, b) = LoopbackBus::pair("bye");
        let mut b = b;
        b.send(&frame(0x109, 7)).unwrap();
        drop(b);
        // What was already on the wire is still delivered.
        assert_eq!(a.try_recv().unwrap(), Some(frame(0x109, 7)));
        assert!(matches!(a.try_recv(), Err(CanError::Closed(n)) if n == "bye#0"));
        assert!(matches!(a.send(&frame(0x100, 0)), Err(CanError::Closed(_))));
    }

    #[test]
    fn a_late_joiner_opens_the_bus() {
        let bus = LoopbackBus::new("late");
        let mut a = bus.port();
        assert!(!a.has_peer());
        assert!(a.send(&frame(0x100, 0)).is_err());
        let mut b = bus.port();
        a.send(&frame(0x100, 1)).unwrap();
        assert_eq!(b.try_recv().unwrap(), Some(frame(0x100, 1)));
    }

    #[test]
    fn ports_are_send_and_usable_from_another_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<LoopbackPort>();
        assert_send::<LoopbackBus>();
        let (mut a, mut b) = LoopbackBus::pair("threads");
        let handle = std::thread::spawn(move || {
            for i in 0..10 {
                a.send(&frame(0x100, i)).unwrap();
            }
            a
        });
        let a = handle.join().unwrap();
        let mut got = 0;
        while let Some(_f) = b.try_recv().unwrap() {
            got += 1;
        }
        assert_eq!(got, 10);
        drop(a);
    }

    #[test]
    fn rtr_frames_pass_unchanged() {
        let (mut a, mut b) = LoopbackBus::pair("rtr");
        let r = CanFrame::remote(0x7DF, false, 8).unwrap();
        a.send(&r).unwrap();
        let got = b.try_recv().unwrap().unwrap();
        assert!(got.is_remote());
        assert_eq!(got.len(), 8);
    }
}
