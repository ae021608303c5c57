//! Reservations (2.0.1 block H): ReserveNow for an EVSE or for any EVSE, CancelReservation,
//! expiry with ReservationStatusUpdate, and the reservation a start uses up (its id goes into
//! the Started event).
//!
//! As in 1.6 the station holds the reservation on one connector (Reserved, starts only for
//! the holder) and the core keeps the OCPP side; a reservation for any EVSE is held on the
//! first Available one.

use charger_protocol::ocpp::{v201, MessageId};
use charger_protocol::Timestamp;

use super::{ChargingStation, Waiting};
use crate::ocpp::chargepoint::{CoreAction, PendingReply, ReplyKind};
use crate::station::StationCommand;

/// A reservation as the core keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    pub id: i64,
    /// Where the station holds it.
    pub connector: u32,
    /// Whether it was for any EVSE (the holder may start on another one).
    pub any_evse: bool,
    pub id_token: String,
    pub expires: Timestamp,
}

impl ChargingStation {
    pub(super) fn reserve_now(
        &mut self,
        id: MessageId,
        r: &v201::ReserveNowRequest,
        now: Timestamp,
    ) {
        let answer = |status| v201::ReserveNowResponse {
            custom_data: None,
            status,
            status_info: None,
        };
        let expiry_ms = r.expiry_date_time.unix_ms();
        if expiry_ms <= self.unix_ms(now) {
            self.reply(&id, answer(v201::ReserveNowStatusEnum::Rejected));
            return;
        }
        // The same id replaces the old reservation, once the station has taken the new one
        // (a refused replacement leaves the old one in place).
        let held = |c: &u32| {
            self.reservations
                .values()
                .any(|x| x.connector == *c && x.id != r.id)
        };
        let connector = match r.evse_id {
            Some(evse) => match u32::try_from(evse)
                .ok()
                .filter(|c| (1..=self.evses).contains(c))
            {
                Some(c) => c,
                None => {
                    self.reply(&id, answer(v201::ReserveNowStatusEnum::Rejected));
                    return;
                }
            },
            None => {
                let free = (1..=self.evses).find(|c| {
                    self.statuses
                        .get(c)
                        .is_some_and(|k| k.status == v201::ConnectorStatusEnum::Available)
                        && !held(c)
                });
                match free {
                    Some(c) => c,
                    None => {
                        let all = |s| {
                            (1..=self.evses)
                                .all(|c| self.statuses.get(&c).is_some_and(|k| k.status == s))
                        };
                        let status = if all(v201::ConnectorStatusEnum::Faulted) {
                            v201::ReserveNowStatusEnum::Faulted
                        } else if all(v201::ConnectorStatusEnum::Unavailable) {
                            v201::ReserveNowStatusEnum::Unavailable
                        } else {
                            v201::ReserveNowStatusEnum::Occupied
                        };
                        self.reply(&id, answer(status));
                        return;
                    }
                }
            }
        };
        if held(&connector) {
            self.reply(&id, answer(v201::ReserveNowStatusEnum::Occupied));
            return;
        }
        let reservation = Reservation {
            id: r.id,
            connector,
            any_evse: r.evse_id.is_none(),
            id_token: super::truncate(&r.id_token.id_token, super::MAX_ID_TOKEN_LEN),
            expires: self.instant_of(expiry_ms, now),
        };
        self.actions.push_back(CoreAction::Station {
            command: StationCommand::Reserve {
                connector,
                id_tag: Some(reservation.id_token.clone()),
            },
            reply: Some(PendingReply {
                id,
                kind: ReplyKind::V201(Waiting::ReserveNow(reservation)),
            }),
        });
    }

    pub(super) fn cancel_reservation(
        &mut self,
        id: &MessageId,
        r: &v201::CancelReservationRequest,
    ) {
        let status = match self.reservations.remove(&r.reservation_id) {
            Some(x) => {
                tracing::info!(
                    reservation = x.id,
                    connector = x.connector,
                    "reservation cancelled"
                );
                self.lift(x.connector);
                v201::CancelReservationStatusEnum::Accepted
            }
            None => v201::CancelReservationStatusEnum::Rejected,
        };
        self.reply(
            id,
            v201::CancelReservationResponse {
                custom_data: None,
                status,
                status_info: None,
            },
        );
    }

    pub(super) fn lift(&mut self, connector: u32) {
        self.actions.push_back(CoreAction::Station {
            command: StationCommand::Reserve {
                connector,
                id_tag: None,
            },
            reply: None,
        });
    }

    pub(super) fn next_reservation_expiry(&self) -> Option<Timestamp> {
        self.reservations.values().map(|r| r.expires).min()
    }

    /// Expired reservations are lifted and said (ReservationStatusUpdate Expired).
    pub(super) fn expire_reservations(&mut self, now: Timestamp) {
        let expired: Vec<i64> = self
            .reservations
            .values()
            .filter(|r| now >= r.expires)
            .map(|r| r.id)
            .collect();
        for id in expired {
            if let Some(r) = self.reservations.remove(&id) {
                tracing::info!(
                    reservation = r.id,
                    connector = r.connector,
                    "reservation expired"
                );
                self.lift(r.connector);
                self.send_if_accepted(v201::ReservationStatusUpdateRequest {
                    custom_data: None,
                    reservation_id: r.id,
                    reservation_update_status: v201::ReservationUpdateStatusEnum::Expired,
                });
            }
        }
    }

    /// A transaction started on `connector` for `id_token`: the reservation it uses up, if
    /// any. One for any EVSE held elsewhere is used up too, and lifted there.
    pub(super) fn take_reservation_for(&mut self, connector: u32, id_token: &str) -> Option<i64> {
        let used = self
            .reservations
            .values()
            // The station matches holders case-insensitively; so does the core.
            .find(|r| {
                r.id_token.eq_ignore_ascii_case(id_token)
                    && (r.connector == connector || r.any_evse)
            })
            .cloned()?;
        self.reservations.remove(&used.id);
        if used.connector != connector {
            self.lift(used.connector);
        }
        Some(used.id)
    }
}
