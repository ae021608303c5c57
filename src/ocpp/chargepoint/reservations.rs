//! Reservation profile (1.6 §3.11, §5.13, §5.2): ReserveNow for a connector or for connector 0
//! ("any connector"), CancelReservation, expiry, and the reservation a start uses up.
//!
//! The station holds the reservation on one physical connector (status Reserved, starts only
//! for the holder); the charge point keeps the OCPP side: reservation id, parent id tag,
//! expiry. A reservation for connector 0 is held on the first connector that is Available, so
//! that one connector stays free for the holder; if the holder starts elsewhere, it is used up
//! there and lifted.

use charger_protocol::ocpp::{v16, MessageId};
use charger_protocol::Timestamp;

use super::{ChargePoint, CoreAction, PendingReply, ReplyKind};
use crate::station::{ConnectorStatus, StationCommand};

#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    pub id: i32,
    /// As asked: 0 = any connector.
    pub connector: u32,
    /// Where the station holds it.
    pub station_connector: u32,
    pub id_tag: String,
    pub parent_id_tag: Option<String>,
    pub expires: Timestamp,
}

impl ChargePoint {
    pub(super) fn reserve_now(
        &mut self,
        id: MessageId,
        r: &v16::ReserveNowRequest,
        now: Timestamp,
    ) {
        let answer = |status| v16::ReserveNowResponse { status };
        let connector = Self::connector_number(r.connector_id).unwrap_or(u32::MAX);
        let Ok(reservation_id) = i32::try_from(r.reservation_id) else {
            // An id no reservation table holds could never be cancelled: refused.
            self.reply(&id, answer(v16::ReservationStatus::Rejected));
            return;
        };
        let id_tag = r.id_tag.clone();
        let parent_id_tag = r.parent_id_tag.clone();
        let expiry_ms = r.expiry_date.unix_ms();
        if connector > self.keys.number_of_connectors || expiry_ms <= self.unix_ms(now) {
            self.reply(&id, answer(v16::ReservationStatus::Rejected));
            return;
        }
        // The same id replaces the old reservation (1.6 §5.13).
        let previous = self.reservations.remove(&reservation_id);
        if let Some(old) = &previous {
            self.lift(old.station_connector);
        }
        let station_connector = if connector == 0 {
            let statuses: Vec<ConnectorStatus> = (1..=self.keys.number_of_connectors)
                .filter_map(|c| self.status_of(c))
                .collect();
            match (1..=self.keys.number_of_connectors).find(|c| {
                self.status_of(*c) == Some(ConnectorStatus::Available)
                    && !self
                        .reservations
                        .values()
                        .any(|r| r.station_connector == *c)
            }) {
                Some(c) => c,
                None => {
                    let status = if statuses.iter().all(|s| *s == ConnectorStatus::Faulted) {
                        v16::ReservationStatus::Faulted
                    } else if statuses.iter().all(|s| *s == ConnectorStatus::Unavailable) {
                        v16::ReservationStatus::Unavailable
                    } else {
                        v16::ReservationStatus::Occupied
                    };
                    self.reply(&id, answer(status));
                    return;
                }
            }
        } else {
            connector
        };
        if self
            .reservations
            .values()
            .any(|r| r.station_connector == station_connector)
        {
            self.reply(&id, answer(v16::ReservationStatus::Occupied));
            return;
        }
        let reservation = Reservation {
            id: reservation_id,
            connector,
            station_connector,
            id_tag: id_tag.clone(),
            parent_id_tag,
            expires: self.instant_of(expiry_ms, now),
        };
        self.actions.push_back(CoreAction::Station {
            command: StationCommand::Reserve {
                connector: station_connector,
                id_tag: Some(id_tag),
            },
            reply: Some(PendingReply {
                id,
                kind: ReplyKind::ReserveNow { reservation },
            }),
        });
    }

    pub(super) fn cancel_reservation(&mut self, id: MessageId, r: &v16::CancelReservationRequest) {
        let reservation_id = i32::try_from(r.reservation_id).ok();
        match reservation_id.and_then(|r| self.reservations.remove(&r)) {
            Some(r) => {
                tracing::info!(
                    reservation = r.id,
                    connector = r.station_connector,
                    "reservation cancelled"
                );
                self.actions.push_back(CoreAction::Station {
                    command: StationCommand::Reserve {
                        connector: r.station_connector,
                        id_tag: None,
                    },
                    reply: Some(PendingReply {
                        id,
                        kind: ReplyKind::CancelReservation,
                    }),
                });
            }
            None => self.reply(
                &id,
                v16::CancelReservationResponse {
                    status: v16::CancelReservationStatus::Rejected,
                },
            ),
        }
    }

    fn lift(&mut self, station_connector: u32) {
        self.actions.push_back(CoreAction::Station {
            command: StationCommand::Reserve {
                connector: station_connector,
                id_tag: None,
            },
            reply: None,
        });
    }

    pub(super) fn next_reservation_expiry(&self) -> Option<Timestamp> {
        self.reservations.values().map(|r| r.expires).min()
    }

    pub(super) fn expire_reservations(&mut self, now: Timestamp) {
        let expired: Vec<i32> = self
            .reservations
            .values()
            .filter(|r| now >= r.expires)
            .map(|r| r.id)
            .collect();
        for id in expired {
            if let Some(r) = self.reservations.remove(&id) {
                tracing::info!(
                    reservation = r.id,
                    connector = r.station_connector,
                    "reservation expired"
                );
                self.lift(r.station_connector);
            }
        }
    }

    /// A transaction started on `connector` for `id_tag`: the reservation it uses up, if any
    /// (its id goes into StartTransaction). A connector-0 reservation of the same holder held
    /// on another connector is used up too, and lifted there.
    pub(super) fn take_reservation_for(&mut self, connector: u32, id_tag: &str) -> Option<i32> {
        let used = self
            .reservations
            .values()
            .find(|r| {
                r.id_tag.eq_ignore_ascii_case(id_tag)
                    && (r.station_connector == connector || r.connector == 0)
            })
            .cloned()?;
        self.reservations.remove(&used.id);
        if used.station_connector != connector {
            self.lift(used.station_connector);
        }
        Some(used.id)
    }

    /// A tag sharing the holder's parent is starting on a reserved connector: remember that
    /// the reservation goes to that tag, so that StartTransaction names it.
    pub(super) fn reservation_used_by_parent(&mut self, reservation: i32, id_tag: &str) {
        if let Some(r) = self.reservations.get_mut(&reservation) {
            r.id_tag = id_tag.to_string();
        }
    }
}
