#!/usr/bin/env python3
"""A scriptable OCPP 1.6J and 2.0.1 central system (CSMS) for chargerd's end-to-end tests.

Built on the Python `ocpp` library (the reference implementation of the OCA JSON schemas):
every CALL the charge point sends, and every answer it gives to ours, is validated against
the official schemas of the connection's version (1.6, or 2.0.1 with `ocpp.v201`), plus a
strict RFC 3339 check of `date-time` fields, which the library leaves out. Failures are never
quiet: each one is printed to stderr as `CSMS SCHEMA ERROR ...` and written to the log as a
`schema_error` record; breaches of the protocol's rules that no schema expresses (a message
before BootNotification was accepted, a StopTransaction for a transaction id this CSMS never
assigned, a CALLERROR code the version does not define, a TransactionEvent out of sequence,
...) are `violation` records. A test asserts that there are none.

Versions: `--versions` lists the subprotocols this CSMS accepts, in its own order of preference
(default `ocpp1.6`; known: ocpp1.6, ocpp2.0.1). On the upgrade it picks the first of them that
the charge point offered in Sec-WebSocket-Protocol, as a real CSMS picks the newest it
supports; if it offered none of them, the upgrade is refused (HTTP 400, a `refused` and a
`violation` record). Every record below has the same kind and fields for both versions.

Log (`--log PATH`): one JSON object a line, flushed at once. Every record has `t` (seconds
since start) and `kind`:

  bound {port}                                the port is bound (not yet listening if down)
  up {port} / down                            listening / not listening
  connected {cp, path, subprotocol, version, headers, tls, authorization}
                                              a charge point's WebSocket is open (version
                                              "1.6" or "2.0.1"; headers without
                                              Authorization; its scheme only)
  refused {cp, path, why}                     an upgrade turned away (subprotocol, auth)
  disconnected {cp, code, reason}
  call_in {cp, id, action, payload, valid}    a CALL from the charge point
  reply_out {cp, id, action, type, payload}   our answer (type "result" or "error")
  call_out {cp, ref, id, action, payload}     a CALL of ours (from a command)
  reply_in {cp, ref, id, action, type, payload | code, description, valid}
                                              the charge point's answer to it
  raw_out {cp, ref, text, id}                 a raw frame we sent (command "raw")
  raw_reply {cp, ref, id, text, frame}        whatever came back carrying that frame's id
  unmatched_in {cp, text}                     an answer that matches nothing of ours
  answer {ref, ok, action, payload | error}   the outcome of a command (one per command)
  transaction {cp, transaction_id, connector, id_tag[, evse]}
                                              1.6: a StartTransaction got this id;
                                              2.0.1: a TransactionEvent Started (string id,
                                              evse/connector from `evse`, id_tag the idToken)
  transaction_ended {cp, transaction_id, seq_no, trigger_reason, stopped_reason}
                                              2.0.1: a TransactionEvent Ended (stopped_reason
                                              null when absent, which means Local)
  retransmit {cp, id, action, seq_no, transaction_id | requestId}
                                              2.0.1: a TransactionEvent or NotifyReport that
                                              repeats an earlier one exactly (allowed)
  report_done {cp, requestId, parts, items}   2.0.1: the last part (tbc false) of a NotifyReport
                                              arrived; parts seen, reportData entries in all
  schema_error {cp, direction, action, id, error}
  violation {cp, what, ...}
  exit {problems}

A charge point's registration (the answer to its last BootNotification) outlives its
connection: after a plain reconnect it may go on without a new BootNotification. It is kept
per version: a charge point that comes back speaking the other version registers again.

OCPP 2.0.1 rules (violations, each with `what` and details):
  - a CALL other than BootNotification while the registration is not Accepted; while it is
    Pending, also the CALLs this CSMS asked for (by a command "call" answered Accepted):
    TriggerMessage → the requested message, GetBaseReport/GetReport → NotifyReport,
    GetMonitoringReport → NotifyMonitoringReport, GetLog → LogStatusNotification,
    UpdateFirmware → FirmwareStatusNotification, CustomerInformation →
    NotifyCustomerInformation, GetChargingProfiles → ReportChargingProfiles,
    GetDisplayMessages → NotifyDisplayMessages.
  - TransactionEvent, per (charge point, transactionId), kept across connections: the first
    event must be Started with seqNo 0; each further one seqNo + 1; nothing after Ended and no
    second Started. The same seqNo again with an identical payload is a retransmission
    (`retransmit`), with another payload a violation.
  - NotifyReport, per (charge point, requestId): seqNo 0, 1, 2, ... without gaps or repeats
    (an identical repeat is a `retransmit`), nothing after the part with tbc false; sending a
    GetBaseReport/GetReport with that requestId starts it afresh.
  - a CALLERROR's code must be one of OCPP-J 2.0.1's (FormatViolation, GenericError,
    InternalError, MessageTypeNotSupported, NotImplemented, NotSupported,
    OccurrenceConstraintViolation, PropertyConstraintViolation, ProtocolError,
    RpcFrameworkError, SecurityError, TypeConstraintViolation).
2.0.1 answers: BootNotification per the boot script (interval --heartbeat-interval when
Accepted, else --pending-interval); Authorize, and TransactionEvent with an idToken, carry
idTokenInfo.status from --tag-status (default Accepted); DataTransfer UnknownVendorId;
SignCertificate, NotifyEVChargingNeeds, NotifyEVChargingSchedule Accepted; Heartbeat,
StatusNotification, NotifyReport, NotifyEvent, SecurityEventNotification,
FirmwareStatusNotification, LogStatusNotification, MeterValues, NotifyChargingLimit,
ClearedChargingLimit, ReportChargingProfiles, NotifyMonitoringReport,
NotifyCustomerInformation, NotifyDisplayMessages, ReservationStatusUpdate,
PublishFirmwareStatusNotification: the (empty) response.

Commands: JSON lines on stdin (or appended to `--commands FILE`), each with an optional
`ref` (echoed in the records above) and optional `cp` (default: the charge point that
connected last):

  {"ref":"r1","call":"RemoteStartTransaction","payload":{"connectorId":1,"idTag":"TAG"}}
                                    a CALL of the connection's version; checked against its
                                    request schema before it is sent (answer ok false if
                                    not), e.g. on 2.0.1 {"call":"RequestStartTransaction",
                                    "payload":{"idToken":{"idToken":"T","type":"ISO14443"},
                                    "remoteStartId":1}}
  {"ref":"r2","raw":"[2,\\"x1\\",\\"Nonsense\\",{}]"}       sent as is, no validation
  {"ref":"r3","close":true}                                close the charge point's socket
  {"ref":"r4","down":true} / {"ref":"r5","up":true}        stop / start listening
  {"ref":"r6","boot":["Rejected","Accepted"]}              replace the boot script
  {"ref":"r7","auth_key":"00112233445566778899aabbccddeeff"}  accept this AuthorizationKey
                                                           from now on (hex, as --auth-key)
  {"ref":"r8","versions":["ocpp1.6"]}                      accept these subprotocols (in this
                                                           order) for later connections

Usage:
  python3 tests/ocpp/csms.py --port 9000 --log csms.jsonl [--boot Pending,Accepted]
      [--versions ocpp2.0.1,ocpp1.6] [--heartbeat-interval 300] [--pending-interval 2]
      [--down-until-file PATH] [--tag-status TAG=Blocked] [--first-transaction-id 1000]
      [--auth-key KEY] [--tls-cert CERT --tls-key KEY [--tls-client-ca CA [--tls-client-optional]]]

The first line on stdout is `PORT <n>` once the port is bound (pass --port 0 for any free
port). The port stays bound while the CSMS is "down", so connections to it are refused
rather than reaching something else.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hmac
import copy
import datetime as dt
import decimal
import http
import json
import logging
import re
import socket
import ssl
import sys
import threading
import time
import uuid
from pathlib import Path

try:
    from jsonschema import Draft4Validator, Draft6Validator, FormatChecker
    from ocpp.charge_point import (
        camel_to_snake_case,
        remove_nones,
        serialize_as_dict,
        snake_to_camel_case,
    )
    from ocpp.exceptions import OCPPError
    from ocpp.messages import (
        Call,
        CallResult,
        MessageType,
        _validate_payload,  # the library's own (synchronous) schema check
        get_validator,
        unpack,
    )
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint as CpBase
    from ocpp.v16 import call as v16call
    from ocpp.v16 import call_result
    from ocpp.v16.enums import Action, GenericStatus, RegistrationStatus
    from ocpp.v201 import ChargePoint as CpBase201
    from ocpp.v201 import call_result as result201
    from ocpp.v201.enums import Action as Action201
    from ocpp.v201.enums import RegistrationStatusEnumType
    import websockets
    from websockets.asyncio.server import serve
except ImportError as e:  # pragma: no cover - the Rust tests check for this before starting
    print(f"csms.py needs the Python packages ocpp and websockets: {e}", file=sys.stderr)
    sys.exit(3)

T0 = time.monotonic()
# OCPP-J 1.6 §4.2.3: the only error codes a CALLERROR may carry (with the spec's spellings).
V16_ERROR_CODES = {
    "NotImplemented",
    "NotSupported",
    "InternalError",
    "ProtocolError",
    "SecurityError",
    "FormationViolation",
    "PropertyConstraintViolation",
    "OccurenceConstraintViolation",
    "TypeConstraintViolation",
    "GenericError",
}
# What a charge point may send while its registration is not Accepted (1.6 §4.2.1).
ALLOWED_BEFORE_ACCEPTED = {"BootNotification"}
# OCPP-J 2.0.1 (part 4, RPC framework): the only error codes a CALLERROR may carry.
V201_ERROR_CODES = {
    "FormatViolation",
    "GenericError",
    "InternalError",
    "MessageTypeNotSupported",
    "NotImplemented",
    "NotSupported",
    "OccurrenceConstraintViolation",
    "PropertyConstraintViolation",
    "ProtocolError",
    "RpcFrameworkError",
    "SecurityError",
    "TypeConstraintViolation",
}
# Subprotocol → the version it speaks (what `connected` records as `version`).
SUBPROTOCOLS = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}
# 2.0.1: while Pending, a charge point may send what the CSMS asked for. Our CALL (answered
# Accepted) → the CALLs it solicits; TriggerMessage's are by its requestedMessage below.
SOLICITS_201 = {
    "GetBaseReport": "NotifyReport",
    "GetReport": "NotifyReport",
    "GetMonitoringReport": "NotifyMonitoringReport",
    "GetLog": "LogStatusNotification",
    "UpdateFirmware": "FirmwareStatusNotification",
    "CustomerInformation": "NotifyCustomerInformation",
    "GetChargingProfiles": "ReportChargingProfiles",
    "GetDisplayMessages": "NotifyDisplayMessages",
}
TRIGGERED_201 = {
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
    "SignCombinedCertificate": "SignCertificate",
}

RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_format_checker = FormatChecker(formats=())


@_format_checker.checks("date-time", raises=ValueError)
def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time with a UTC offset")
    dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00").replace("t", "T"))
    return True


_strict: dict[str, Draft4Validator | Draft6Validator] = {}


def parse_versions(text: str | list) -> list[str]:
    """Accepted subprotocols, in preference order: "ocpp2.0.1,ocpp1.6" or a list of them."""
    items = text.split(",") if isinstance(text, str) else text
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise ValueError(f"versions are a list of subprotocol names, not {text!r}")
    versions: list[str] = []
    for v in (v.strip() for v in items):
        if v not in SUBPROTOCOLS:
            raise ValueError(f"unknown subprotocol {v!r} (known: {', '.join(SUBPROTOCOLS)})")
        if v not in versions:
            versions.append(v)
    if not versions:
        raise ValueError("no subprotocol to accept")
    return versions


def schema_problem(message_type_id: int, action: str, payload: object,
                   version: str = "1.6") -> str | None:
    """None if `payload` is valid for `action` in OCPP `version` ("1.6" or "2.0.1"), else why.
    The library's own validator first (exactly what a production CSMS built on it would do),
    then formats strictly."""
    probe_cls = Call if message_type_id == MessageType.Call else CallResult
    probe = (
        Call("probe", action, copy.deepcopy(payload))
        if probe_cls is Call
        else CallResult("probe", copy.deepcopy(payload), action)
    )
    try:
        _validate_payload(probe, version)
    except OCPPError as e:
        return f"{type(e).__name__}: {e.description} {e.details.get('cause', '') if isinstance(e.details, dict) else e.details}"
    key = f"{version}:{message_type_id}:{action}"
    if key not in _strict:
        base = get_validator(message_type_id, action, version)
        if version == "1.6":
            _strict[key] = Draft4Validator(base.schema, format_checker=_format_checker)
        else:
            # The 2.0.1 schemas are draft-06 (the library checks them as draft-04); numbers as
            # Decimals like the payload below, so that no check mixes floats and Decimals.
            schema = json.loads(json.dumps(base.schema, default=float),
                                parse_float=decimal.Decimal)
            _strict[key] = Draft6Validator(schema, format_checker=_format_checker)
    # The library loads the schemas with Decimal numbers (multipleOf 0.1): floats as Decimals
    # too, or a limit like 40000.0 makes the check itself raise and the connection drop.
    exact = json.loads(json.dumps(payload), parse_float=decimal.Decimal)
    errors = sorted(_strict[key].iter_errors(exact), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        why = f" ({e.cause})" if e.cause else ""
        return f"format: {'/'.join(str(p) for p in e.path)}: {e.message}{why}"
    return None


class Recorder:
    def __init__(self, path: Path | None):
        self.file = open(path, "a", buffering=1, encoding="utf-8") if path else None
        self.lock = threading.Lock()
        self.problems = 0

    def __call__(self, kind: str, **fields) -> None:
        rec = {"t": round(time.monotonic() - T0, 3), "kind": kind, **fields}
        line = json.dumps(rec, separators=(",", ":"), default=str)
        with self.lock:
            if self.file:
                self.file.write(line + "\n")
                self.file.flush()
        if kind in ("schema_error", "violation"):
            self.problems += 1
            tag = "SCHEMA ERROR" if kind == "schema_error" else "PROTOCOL VIOLATION"
            print(f"CSMS {tag}: {line}", file=sys.stderr, flush=True)
        else:
            logging.info("%s", line)


class Csms:
    """State shared by all connections: the boot script, transaction ids, tags."""

    def __init__(self, args, rec: Recorder):
        self.args = args
        self.rec = rec
        self.boot_script = [s.strip() for s in args.boot.split(",") if s.strip()]
        self.boot_count = 0
        self.next_transaction_id = args.first_transaction_id
        # transaction id → (cp, connector, idTag, meterStart); stopped ones move to `stopped`
        self.transactions: dict[int, dict] = {}
        self.stopped: set[int] = set()
        self.tag_status = dict(t.split("=", 1) for t in args.tag_status)
        self.points: dict[str, CentralSystemCp | CentralSystemCp201] = {}
        # (version, charge point id) → the answer to its last BootNotification, across
        # connections
        self.registrations: dict[tuple[str, str], str] = {}
        # The subprotocols accepted on an upgrade, in preference order ("versions" replaces it).
        self.versions: list[str] = list(args.versions)
        # 2.0.1: (cp, transactionId) → {next, ended, seen: seqNo → payload}, across connections
        self.transactions201: dict[tuple[str, str], dict] = {}
        # 2.0.1: (cp, requestId) → {next, done, parts, items, seen: seqNo → payload}
        self.reports201: dict[tuple[str, int], dict] = {}
        self.last_cp: str | None = None
        self.server = None
        self.sock: socket.socket | None = None
        self.port = args.port
        # The AuthorizationKey's bytes (None: no Basic auth required); the "auth_key" command
        # replaces it, as a CSMS that rotated the key would.
        self.auth_key: bytes | None = args.auth_key

    def next_boot_status(self) -> str:
        i = min(self.boot_count, len(self.boot_script) - 1)
        self.boot_count += 1
        return self.boot_script[i]

    def id_tag_info(self, id_tag: str) -> dict:
        return {"status": self.tag_status.get(id_tag, "Accepted")}


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CsmsSide:
    """One charge point's connection, as the CSMS sees it: what both versions share. Mixed
    into the library's ChargePoint of the version (CentralSystemCp, CentralSystemCp201)."""

    VERSION = "1.6"
    ERROR_CODES = V16_ERROR_CODES
    CALLERROR_RULE = "OCPP-J 1.6 §4.2.3"

    def __init__(self, cp_id: str, connection, csms: Csms):
        super().__init__(cp_id, connection, response_timeout=csms.args.call_timeout)
        self.csms = csms
        self.rec = csms.rec
        self._msg = None  # the CALL being handled
        self._awaiting: dict[str, tuple[str, str | None]] = {}  # id → (action, ref)
        self._raw: dict[str, str | None] = {}  # id of a raw frame → ref

    @property
    def registration(self) -> str | None:
        """The answer to this charge point's last BootNotification (None: never answered). Kept
        across its connections, as a real CSMS keeps it: a charge point registers once per
        boot, and a plain reconnect is not a reboot. Per version: one that comes back speaking
        the other version has not registered with it."""
        return self.csms.registrations.get((self.VERSION, self.id))

    @registration.setter
    def registration(self, status: str) -> None:
        self.csms.registrations[(self.VERSION, self.id)] = status

    def check_call(self, msg) -> None:
        """Rules a CALL from the charge point must keep that no schema expresses (1.6 here)."""
        if (self.registration != "Accepted" and msg.action not in ALLOWED_BEFORE_ACCEPTED):
            self.rec("violation", cp=self.id,
                     what=f"{msg.action} sent while the registration is {self.registration}",
                     id=msg.unique_id)

    def note_result(self, uid: str, action: str, payload) -> None:
        """The charge point's CALLRESULT to a CALL of ours (a hook for 2.0.1)."""

    # ----- every frame in and out -----------------------------------------------------------

    async def route_message(self, raw_msg):
        try:
            msg = unpack(raw_msg)
        except OCPPError as e:
            self.rec("violation", cp=self.id, what="unparsable frame from the charge point",
                     text=raw_msg, error=str(e))
            return
        if msg.message_type_id == MessageType.Call:
            problem = schema_problem(MessageType.Call, msg.action, msg.payload, self.VERSION)
            self.rec("call_in", cp=self.id, id=msg.unique_id, action=msg.action,
                     payload=msg.payload, valid=problem is None)
            if problem:
                self.rec("schema_error", cp=self.id, direction="cp->csms call",
                         action=msg.action, id=msg.unique_id, error=problem)
            self.check_call(msg)
            await super().route_message(raw_msg)
            return
        # CALLRESULT / CALLERROR
        uid = msg.unique_id
        if uid in self._raw:
            self.rec("raw_reply", cp=self.id, ref=self._raw.pop(uid), id=uid, text=raw_msg,
                     frame=json.loads(raw_msg))
            self._check_callerror(msg, raw_msg)
            return
        if uid not in self._awaiting:
            self.rec("unmatched_in", cp=self.id, text=raw_msg)
            self._check_callerror(msg, raw_msg)
            return
        action, ref = self._awaiting.pop(uid)
        if msg.message_type_id == MessageType.CallResult:
            problem = schema_problem(MessageType.CallResult, action, msg.payload, self.VERSION)
            self.rec("reply_in", cp=self.id, ref=ref, id=uid, action=action, type="result",
                     payload=msg.payload, valid=problem is None)
            if problem:
                self.rec("schema_error", cp=self.id, direction="cp->csms result",
                         action=action, id=uid, error=problem)
            self.note_result(uid, action, msg.payload)
        else:
            self.rec("reply_in", cp=self.id, ref=ref, id=uid, action=action, type="error",
                     code=msg.error_code, description=msg.error_description,
                     details=msg.error_details)
            self._check_callerror(msg, raw_msg)
        await super().route_message(raw_msg)

    def _check_callerror(self, msg, raw_msg: str) -> None:
        if msg.message_type_id != MessageType.CallError:
            return
        try:
            frame = json.loads(raw_msg)
        except ValueError:
            return
        ok = (
            len(frame) == 5
            and isinstance(frame[1], str)
            and frame[2] in self.ERROR_CODES
            and isinstance(frame[3], str)
            and isinstance(frame[4], dict)
        )
        if not ok:
            self.rec("violation", cp=self.id,
                     what=f"CALLERROR not as {self.CALLERROR_RULE} defines it", text=raw_msg)

    async def _handle_call(self, msg):
        self._msg = msg
        return await super()._handle_call(msg)

    async def _send(self, message):
        frame = json.loads(message)
        if frame[0] == MessageType.CallResult:
            action = self._msg.action if self._msg and self._msg.unique_id == frame[1] else None
            self.rec("reply_out", cp=self.id, id=frame[1], action=action, type="result",
                     payload=frame[2])
        elif frame[0] == MessageType.CallError:
            action = self._msg.action if self._msg and self._msg.unique_id == frame[1] else None
            self.rec("reply_out", cp=self.id, id=frame[1], action=action, type="error",
                     code=frame[2], description=frame[3], details=frame[4])
        await super()._send(message)

    # ----- commands ---------------------------------------------------------------------------

    async def send_raw(self, text: str, ref: str | None) -> dict:
        uid = None
        try:
            frame = json.loads(text)
            if isinstance(frame, list) and len(frame) > 1 and isinstance(frame[1], str):
                uid = frame[1]
        except ValueError:
            pass
        if uid is not None:
            self._raw[uid] = ref
        self.rec("raw_out", cp=self.id, ref=ref, id=uid, text=text)
        await self._connection.send(text)
        return {"ok": True}


class CentralSystemCp(CsmsSide, CpBase):
    """An OCPP 1.6 connection."""

    async def send_call(self, action: str, payload: dict, ref: str | None) -> dict:
        cls = getattr(v16call, action, None)
        if cls is None:
            raise ValueError(f"no OCPP 1.6 CALL named {action}")
        request = cls(**camel_to_snake_case(payload))
        uid = str(uuid.uuid4())
        self._awaiting[uid] = (action, ref)
        self.rec("call_out", cp=self.id, ref=ref, id=uid, action=action, payload=payload)
        try:
            result = await self.call(request, suppress=False, unique_id=uid)
        except OCPPError as e:
            return {"ok": False, "error": f"{type(e).__name__}", "code": e.code,
                    "description": e.description}
        except asyncio.TimeoutError:
            self._awaiting.pop(uid, None)
            return {"ok": False, "error": "timeout"}
        return {"ok": True, "payload": snake_to_camel_case(remove_nones(serialize_as_dict(result)))}

    # ----- what the charge point calls ------------------------------------------------------

    @on(Action.boot_notification)
    def on_boot_notification(self, **_):
        status = self.csms.next_boot_status()
        interval = self.csms.args.heartbeat_interval if status == "Accepted" else self.csms.args.pending_interval
        self.registration = status
        return call_result.BootNotification(
            current_time=now_iso(), interval=interval, status=RegistrationStatus(status)
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_):
        return call_result.Heartbeat(current_time=now_iso())

    @on(Action.status_notification)
    def on_status_notification(self, **_):
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag, **_):
        return call_result.Authorize(id_tag_info=self.csms.id_tag_info(id_tag))

    @on(Action.start_transaction)
    def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **_):
        tx = self.csms.next_transaction_id
        self.csms.next_transaction_id += 1
        self.csms.transactions[tx] = {
            "cp": self.id, "connector": connector_id, "id_tag": id_tag, "meter_start": meter_start,
        }
        self.rec("transaction", cp=self.id, transaction_id=tx, connector=connector_id,
                 id_tag=id_tag)
        return call_result.StartTransaction(
            transaction_id=tx, id_tag_info=self.csms.id_tag_info(id_tag)
        )

    @on(Action.stop_transaction)
    def on_stop_transaction(self, transaction_id, meter_stop, **kw):
        tx = self.csms.transactions.get(transaction_id)
        if tx is None:
            self.rec("violation", cp=self.id,
                     what="StopTransaction for a transaction id this CSMS never assigned",
                     transaction_id=transaction_id)
        elif transaction_id in self.csms.stopped:
            self.rec("violation", cp=self.id, what="second StopTransaction for a transaction",
                     transaction_id=transaction_id)
        elif meter_stop < tx["meter_start"]:
            self.rec("violation", cp=self.id, what="meterStop below meterStart",
                     transaction_id=transaction_id, meter_start=tx["meter_start"],
                     meter_stop=meter_stop)
        self.csms.stopped.add(transaction_id)
        id_tag = kw.get("id_tag")
        return call_result.StopTransaction(
            id_tag_info=self.csms.id_tag_info(id_tag) if id_tag else None
        )

    @on(Action.meter_values)
    def on_meter_values(self, connector_id, meter_value, transaction_id=None, **_):
        if transaction_id is not None:
            if transaction_id not in self.csms.transactions:
                self.rec("violation", cp=self.id,
                         what="MeterValues for a transaction id this CSMS never assigned",
                         transaction_id=transaction_id)
            elif transaction_id in self.csms.stopped:
                self.rec("violation", cp=self.id,
                         what="MeterValues for a transaction already stopped",
                         transaction_id=transaction_id)
        return call_result.MeterValues()

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, **_):
        return call_result.DataTransfer(status="UnknownVendorId")

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status_notification(self, **_):
        return call_result.DiagnosticsStatusNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, **_):
        return call_result.FirmwareStatusNotification()

    @on(Action.security_event_notification)
    def on_security_event_notification(self, **_):
        return call_result.SecurityEventNotification()

    # ----- security whitepaper (edition 3) -------------------------------------------------

    @on(Action.signed_firmware_status_notification)
    def on_signed_firmware_status_notification(self, **_):
        return call_result.SignedFirmwareStatusNotification()

    @on(Action.log_status_notification)
    def on_log_status_notification(self, **_):
        return call_result.LogStatusNotification()

    @on(Action.sign_certificate)
    def on_sign_certificate(self, csr, **_):
        # Accepted: the CSR itself is in the call_in record; a test signs it and answers with
        # the CertificateSigned command.
        return call_result.SignCertificate(status=GenericStatus.accepted)


class CentralSystemCp201(CsmsSide, CpBase201):
    """An OCPP 2.0.1 connection: the same records as 1.6, with 2.0.1's rules."""

    VERSION = "2.0.1"
    ERROR_CODES = V201_ERROR_CODES
    CALLERROR_RULE = "OCPP-J 2.0.1"

    def __init__(self, cp_id: str, connection, csms: Csms):
        super().__init__(cp_id, connection, csms)
        self._requests: dict[str, dict] = {}  # id of a CALL of ours → its payload
        # What this CSMS asked the charge point to send (allowed while Pending).
        self._solicited: set[str] = set()

    # ----- rules ------------------------------------------------------------------------------

    def check_call(self, msg) -> None:
        reg = self.registration
        if reg != "Accepted" and msg.action != "BootNotification":
            if not (reg == "Pending" and msg.action in self._solicited):
                self.rec("violation", cp=self.id,
                         what=f"{msg.action} sent while the registration is {reg}",
                         id=msg.unique_id)
        payload = msg.payload if isinstance(msg.payload, dict) else {}
        if msg.action == "TransactionEvent":
            self._check_transaction_event(msg.unique_id, payload)
        elif msg.action == "NotifyReport":
            self._check_notify_report(msg.unique_id, payload)

    def _check_transaction_event(self, uid: str, p: dict) -> None:
        info = p.get("transactionInfo")
        tx_id = info.get("transactionId") if isinstance(info, dict) else None
        seq_no, event = p.get("seqNo"), p.get("eventType")
        if not isinstance(tx_id, str) or type(seq_no) is not int or not isinstance(event, str):
            return  # a schema error, recorded as such
        key = (self.id, tx_id)
        tx = self.csms.transactions201.get(key)
        details = {"transaction_id": tx_id, "seq_no": seq_no, "event_type": event, "id": uid}
        if tx is None:
            tx = {"next": 0, "ended": False, "seen": {}}
            self.csms.transactions201[key] = tx
            if event != "Started":
                self.rec("violation", cp=self.id,
                         what="first TransactionEvent of a transaction is not Started", **details)
            elif seq_no != 0:
                self.rec("violation", cp=self.id,
                         what="TransactionEvent Started with a seqNo other than 0", **details)
            tx["next"] = seq_no  # judge what follows by what came
        elif seq_no in tx["seen"]:
            if tx["seen"][seq_no] == p:
                self.rec("retransmit", cp=self.id, id=uid, action="TransactionEvent",
                         seq_no=seq_no, transaction_id=tx_id)
            else:
                self.rec("violation", cp=self.id,
                         what="TransactionEvent repeats a seqNo with another payload",
                         first=tx["seen"][seq_no], **details)
            return
        else:
            if tx["ended"]:
                self.rec("violation", cp=self.id, what="TransactionEvent after Ended", **details)
            elif event == "Started":
                self.rec("violation", cp=self.id,
                         what="second TransactionEvent Started for a transaction", **details)
            if seq_no != tx["next"]:
                self.rec("violation", cp=self.id,
                         what="TransactionEvent seqNo out of sequence", expected=tx["next"],
                         **details)
        tx["seen"][seq_no] = copy.deepcopy(p)
        tx["next"] = max(tx["next"], seq_no + 1)
        if event == "Started":
            evse = p.get("evse") if isinstance(p.get("evse"), dict) else {}
            token = p.get("idToken") if isinstance(p.get("idToken"), dict) else {}
            self.rec("transaction", cp=self.id, transaction_id=tx_id,
                     connector=evse.get("connectorId"), id_tag=token.get("idToken"),
                     evse=evse.get("id"))
        elif event == "Ended" and not tx["ended"]:
            tx["ended"] = True
            self.rec("transaction_ended", cp=self.id, transaction_id=tx_id, seq_no=seq_no,
                     trigger_reason=p.get("triggerReason"),
                     stopped_reason=info.get("stoppedReason"))

    def _check_notify_report(self, uid: str, p: dict) -> None:
        request_id, seq_no = p.get("requestId"), p.get("seqNo")
        if type(request_id) is not int or type(seq_no) is not int:
            return  # a schema error, recorded as such
        key = (self.id, request_id)
        report = self.csms.reports201.setdefault(
            key, {"next": 0, "done": False, "parts": 0, "items": 0, "seen": {}})
        details = {"requestId": request_id, "seq_no": seq_no, "id": uid}
        if seq_no in report["seen"]:
            if report["seen"][seq_no] == p:
                self.rec("retransmit", cp=self.id, id=uid, action="NotifyReport",
                         seq_no=seq_no, requestId=request_id)
            else:
                self.rec("violation", cp=self.id,
                         what="NotifyReport repeats a seqNo with another payload", **details)
            return
        if report["done"]:
            self.rec("violation", cp=self.id,
                     what="NotifyReport after its last part (tbc false)", **details)
        elif seq_no != report["next"]:
            self.rec("violation", cp=self.id, what="NotifyReport seqNo out of sequence",
                     expected=report["next"], **details)
        report["seen"][seq_no] = copy.deepcopy(p)
        report["next"] = max(report["next"], seq_no + 1)
        report["parts"] += 1
        data = p.get("reportData")
        report["items"] += len(data) if isinstance(data, list) else 0
        if not p.get("tbc", False) and not report["done"]:
            report["done"] = True
            self.rec("report_done", cp=self.id, requestId=request_id, parts=report["parts"],
                     items=report["items"])

    def note_result(self, uid: str, action: str, payload) -> None:
        request = self._requests.pop(uid, None) or {}
        status = payload.get("status") if isinstance(payload, dict) else None
        if status not in ("Accepted", "AcceptedCanceled"):
            return
        if action == "TriggerMessage":
            wanted = request.get("requestedMessage")
            if isinstance(wanted, str):
                self._solicited.add(TRIGGERED_201.get(wanted, wanted))
        elif action in SOLICITS_201:
            self._solicited.add(SOLICITS_201[action])

    # ----- commands ---------------------------------------------------------------------------

    async def send_call(self, action: str, payload: dict, ref: str | None) -> dict:
        """A 2.0.1 CALL built as is from the action and the (camelCase) payload, checked
        against the request schema before it is sent and the answer against the response's,
        as the library's own call() does."""
        try:
            Action201(action)
        except ValueError:
            raise ValueError(f"no OCPP 2.0.1 CALL named {action}") from None
        if not isinstance(payload, dict):
            raise ValueError(f"the payload of a CALL is an object, not {payload!r}")
        uid = str(uuid.uuid4())
        request = Call(uid, action, payload)
        try:
            _validate_payload(Call(uid, action, copy.deepcopy(payload)), self.VERSION)
        except OCPPError as e:
            return {"ok": False, "error": f"{type(e).__name__}", "code": e.code,
                    "description": e.description}
        if action in ("GetBaseReport", "GetReport") and "requestId" in payload:
            # A new report under this requestId: its parts count from seqNo 0 again.
            self.csms.reports201.pop((self.id, payload["requestId"]), None)
        self._awaiting[uid] = (action, ref)
        self._requests[uid] = payload
        self.rec("call_out", cp=self.id, ref=ref, id=uid, action=action, payload=payload)
        try:
            async with self._call_lock:
                await self._send(request.to_json())
                response = await self._get_specific_response(uid, self._response_timeout)
        except asyncio.TimeoutError:
            self._awaiting.pop(uid, None)
            self._requests.pop(uid, None)
            return {"ok": False, "error": "timeout"}
        self._requests.pop(uid, None)  # (a CALLRESULT's was taken by note_result already)
        if response.message_type_id == MessageType.CallError:
            known = {c.code: c.__name__ for c in OCPPError.__subclasses__()}
            return {"ok": False, "error": known.get(response.error_code, "CallError"),
                    "code": response.error_code, "description": response.error_description}
        try:
            _validate_payload(CallResult(uid, copy.deepcopy(response.payload), action),
                              self.VERSION)
        except OCPPError as e:
            return {"ok": False, "error": f"{type(e).__name__}", "code": e.code,
                    "description": e.description}
        return {"ok": True, "payload": response.payload}

    # ----- what the charge point calls ------------------------------------------------------

    def _id_token_info(self, id_token) -> dict:
        token = id_token.get("id_token") if isinstance(id_token, dict) else None
        return self.csms.id_tag_info(token)

    @on(Action201.boot_notification)
    def on_boot_notification(self, **_):
        status = self.csms.next_boot_status()
        args = self.csms.args
        interval = args.heartbeat_interval if status == "Accepted" else args.pending_interval
        self.registration = status
        if status == "Accepted":
            self._solicited.clear()
        return result201.BootNotification(
            current_time=now_iso(), interval=interval, status=RegistrationStatusEnumType(status)
        )

    @on(Action201.heartbeat)
    def on_heartbeat(self, **_):
        return result201.Heartbeat(current_time=now_iso())

    @on(Action201.authorize)
    def on_authorize(self, id_token, **_):
        return result201.Authorize(id_token_info=self._id_token_info(id_token))

    @on(Action201.transaction_event)
    def on_transaction_event(self, id_token=None, **_):
        # The sequence rules are checked (and recorded) in check_call, on every frame.
        if id_token is None:
            return result201.TransactionEvent()
        return result201.TransactionEvent(id_token_info=self._id_token_info(id_token))

    @on(Action201.data_transfer)
    def on_data_transfer(self, vendor_id, **_):
        return result201.DataTransfer(status="UnknownVendorId")

    @on(Action201.sign_certificate)
    def on_sign_certificate(self, csr, **_):
        # Accepted: the CSR is in the call_in record; a test signs it and answers with the
        # CertificateSigned command.
        return result201.SignCertificate(status="Accepted")

    @on(Action201.notify_ev_charging_needs)
    def on_notify_ev_charging_needs(self, **_):
        return result201.NotifyEVChargingNeeds(status="Accepted")

    @on(Action201.notify_ev_charging_schedule)
    def on_notify_ev_charging_schedule(self, **_):
        return result201.NotifyEVChargingSchedule(status="Accepted")


def _empty_answer(action: str):
    def handler(self, **_):
        return getattr(result201, action)()

    handler.__name__ = f"on_{camel_to_snake_case({action: 0}).popitem()[0]}"
    return on(action)(handler)


# The messages answered with their empty response (all is in the call_in record).
for _action in (
    "StatusNotification", "NotifyReport", "NotifyEvent", "SecurityEventNotification",
    "FirmwareStatusNotification", "LogStatusNotification", "MeterValues",
    "NotifyChargingLimit", "ClearedChargingLimit", "ReportChargingProfiles",
    "NotifyMonitoringReport", "NotifyCustomerInformation", "NotifyDisplayMessages",
    "ReservationStatusUpdate", "PublishFirmwareStatusNotification",
):
    Action201(_action)  # a typo fails at import, not at the first message
    _handler = _empty_answer(_action)
    setattr(CentralSystemCp201, _handler.__name__, _handler)


# ----- the server --------------------------------------------------------------------------


def check_basic_auth(request, cp_id: str, key: bytes) -> str | None:
    """Security whitepaper (edition 3), as OCTT checks it: the password is the AuthorizationKey's
    bytes (the key is set as hex), compared as bytes, not as text."""
    header = request.headers.get("Authorization")
    if header is None:
        return "no Authorization header"
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return f"Authorization scheme {scheme!r}"
    try:
        user, _, password = base64.b64decode(value, validate=True).partition(b":")
        user = user.decode()
    except Exception:  # noqa: BLE001 - anything undecodable is simply wrong
        return "Authorization not base64"
    if user != cp_id:
        return f"user {user!r} is not the charge point identity {cp_id!r}"
    if not hmac.compare_digest(password, key):
        return "wrong AuthorizationKey"
    return None


def parse_auth_key(text: str) -> bytes:
    """An AuthorizationKey as set: 32 to 40 hex characters, an even number of them."""
    if not (32 <= len(text) <= 40) or len(text) % 2:
        raise ValueError(f"an AuthorizationKey is 32 to 40 hex characters, not {len(text)}")
    return bytes.fromhex(text)


def client_certificate(connection) -> dict | None:
    """The verified client certificate of a TLS connection, if the charge point sent one."""
    ssl_object = connection.transport.get_extra_info("ssl_object")
    return (ssl_object.getpeercert() or None) if ssl_object is not None else None


def make_handlers(csms: Csms):
    def cp_id_of(path: str) -> str:
        from urllib.parse import unquote

        return unquote(path.rstrip("/").rsplit("/", 1)[-1])

    def choose_subprotocol(offered) -> str | None:
        """The first of ours the charge point offered: the CSMS's preference decides."""
        return next((v for v in csms.versions if v in offered), None)

    def select_subprotocol(connection, offered):
        chosen = choose_subprotocol(offered)
        if chosen is None:  # process_request turned it away already; never without one
            raise websockets.NegotiationError(f"no subprotocol of {csms.versions}")
        return chosen

    async def process_request(connection, request):
        cp_id = cp_id_of(request.path)
        offered = request.headers.get_all("Sec-WebSocket-Protocol")
        offered = [p.strip() for h in offered for p in h.split(",")]
        if choose_subprotocol(offered) is None:
            wanted = " or ".join(csms.versions)
            csms.rec("refused", cp=cp_id, path=request.path, why=f"subprotocols {offered}")
            csms.rec("violation", cp=cp_id, what=f"upgrade without subprotocol {wanted}",
                     offered=offered)
            return connection.respond(http.HTTPStatus.BAD_REQUEST, f"subprotocol {wanted} required\n")
        if csms.auth_key is not None and not client_certificate(connection):
            # Profile 3 authenticates by the client certificate alone: no password then.
            why = check_basic_auth(request, cp_id, csms.auth_key)
            if why and csms.args.auth_optional and request.headers.get("Authorization") is None:
                why = None  # a profile-0 charge point, before the CSMS raises its profile
            if why:
                csms.rec("refused", cp=cp_id, path=request.path, why=why)
                resp = connection.respond(http.HTTPStatus.UNAUTHORIZED, "unauthorized\n")
                resp.headers["WWW-Authenticate"] = 'Basic realm="ocpp"'
                return resp
        return None

    async def handler(connection):
        path = connection.request.path
        cp_id = cp_id_of(path)
        headers = {k: v for k, v in connection.request.headers.raw_items()
                   if k.lower() != "authorization"}
        tls = None
        ssl_object = connection.transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            peer = ssl_object.getpeercert() or {}
            subject = dict(x[0] for x in peer.get("subject", ()))
            tls = {"version": ssl_object.version(), "client_cn": subject.get("commonName")}
        auth = connection.request.headers.get("Authorization")
        version = SUBPROTOCOLS[connection.subprotocol]
        csms.rec("connected", cp=cp_id, path=path, subprotocol=connection.subprotocol,
                 version=version, headers=headers, tls=tls,
                 authorization=auth.split(" ", 1)[0] if auth else None)
        cls = CentralSystemCp201 if version == "2.0.1" else CentralSystemCp
        cp = cls(cp_id, connection, csms)
        csms.points[cp_id] = cp
        csms.last_cp = cp_id
        try:
            await cp.start()
        except websockets.ConnectionClosed:
            pass
        finally:
            if csms.points.get(cp_id) is cp:
                del csms.points[cp_id]
            csms.rec("disconnected", cp=cp_id, code=connection.close_code,
                     reason=connection.close_reason)

    return process_request, select_subprotocol, handler


def ssl_context(args) -> ssl.SSLContext | None:
    if not args.tls_cert:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    if args.tls_client_ca:
        ctx.verify_mode = ssl.CERT_OPTIONAL if args.tls_client_optional else ssl.CERT_REQUIRED
        ctx.load_verify_locations(args.tls_client_ca)
    return ctx


def bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((csms_host, port))
    return sock


csms_host = "127.0.0.1"


async def go_up(csms: Csms) -> None:
    if csms.server is not None:
        return
    if csms.sock is None:
        csms.sock = bind(csms.port)
    process_request, select_subprotocol, handler = make_handlers(csms)
    csms.server = await serve(
        handler,
        sock=csms.sock,
        subprotocols=list(SUBPROTOCOLS),
        select_subprotocol=select_subprotocol,
        process_request=process_request,
        ssl=ssl_context(csms.args),
        ping_interval=csms.args.ping_interval or None,
        max_size=csms.args.max_size,
    )
    csms.rec("up", port=csms.port)


async def go_down(csms: Csms) -> None:
    if csms.server is None:
        return
    csms.server.close(close_connections=True)
    await csms.server.wait_closed()
    csms.server = None
    csms.sock = None  # closed with the server; bound again on the way up
    # Keep the port: bind (without listening) so connections are refused, not misrouted.
    csms.sock = bind(csms.port)
    csms.rec("down")


async def run_command(csms: Csms, cmd: dict) -> None:
    ref = cmd.get("ref")
    try:
        if "auth_key" in cmd:
            csms.auth_key = parse_auth_key(cmd["auth_key"])
            csms.rec("answer", ref=ref, ok=True)
            return
        if "versions" in cmd:
            csms.versions = parse_versions(cmd["versions"])
            csms.rec("answer", ref=ref, ok=True)
            return
        if "boot" in cmd:
            csms.boot_script = list(cmd["boot"])
            csms.boot_count = 0
            csms.rec("answer", ref=ref, ok=True)
            return
        if cmd.get("down"):
            await go_down(csms)
            csms.rec("answer", ref=ref, ok=True)
            return
        if cmd.get("up"):
            await go_up(csms)
            csms.rec("answer", ref=ref, ok=True)
            return
        cp_id = cmd.get("cp") or csms.last_cp
        cp = csms.points.get(cp_id) if cp_id else None
        if cp is None:
            csms.rec("answer", ref=ref, ok=False, error=f"charge point {cp_id!r} not connected")
            return
        if cmd.get("close"):
            await cp._connection.close()
            csms.rec("answer", ref=ref, ok=True)
        elif "raw" in cmd:
            out = await cp.send_raw(cmd["raw"], ref)
            csms.rec("answer", ref=ref, **out)
        elif "call" in cmd:
            out = await cp.send_call(cmd["call"], cmd.get("payload", {}), ref)
            csms.rec("answer", ref=ref, action=cmd["call"], **out)
        else:
            csms.rec("answer", ref=ref, ok=False, error=f"unknown command {cmd}")
    except Exception as e:  # noqa: BLE001 - a bad command must not stop the CSMS
        logging.exception("command %s failed", cmd)
        csms.rec("answer", ref=ref, ok=False, error=f"{type(e).__name__}: {e}")


def start_command_reader(loop, csms: Csms, commands: Path | None) -> None:
    def handle(line: str) -> None:
        line = line.strip()
        if not line:
            return
        try:
            cmd = json.loads(line)
        except ValueError as e:
            csms.rec("answer", ref=None, ok=False, error=f"command is not JSON: {e}")
            return
        asyncio.run_coroutine_threadsafe(run_command(csms, cmd), loop)

    def from_stdin() -> None:
        for line in sys.stdin:
            handle(line)

    def from_file() -> None:
        assert commands is not None
        commands.touch()
        with open(commands, encoding="utf-8") as f:
            while True:
                line = f.readline()
                if line and line.endswith("\n"):
                    handle(line)
                else:
                    if line:
                        f.seek(f.tell() - len(line.encode()))
                    time.sleep(0.05)

    threading.Thread(target=from_stdin, daemon=True).start()
    if commands is not None:
        threading.Thread(target=from_file, daemon=True).start()


def versions_arg(text: str) -> list[str]:
    try:
        return parse_versions(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


async def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9000, help="0: any free port")
    p.add_argument("--log", type=Path, help="JSON-lines record of everything")
    p.add_argument("--commands", type=Path, help="also read commands appended to this file")
    p.add_argument("--boot", default="Accepted",
                   help="BootNotification answers in order, the last repeating (Pending,Accepted)")
    p.add_argument("--pending-interval", type=int, default=2,
                   help="interval of a Pending or Rejected answer, s")
    p.add_argument("--heartbeat-interval", type=int, default=300,
                   help="interval of an Accepted answer, s")
    p.add_argument("--versions", type=versions_arg, default=["ocpp1.6"],
                   help="subprotocols accepted, in the CSMS's order of preference "
                        "(ocpp1.6, ocpp2.0.1; e.g. ocpp2.0.1,ocpp1.6)")
    p.add_argument("--first-transaction-id", type=int, default=1000)
    p.add_argument("--tag-status", action="append", default=[], metavar="TAG=STATUS",
                   help="idTagInfo status for TAG (default Accepted), e.g. BAD=Blocked")
    p.add_argument("--down-until-file", type=Path,
                   help="keep the port bound but not listening until this file exists")
    p.add_argument("--call-timeout", type=float, default=15)
    p.add_argument("--ping-interval", type=float, default=20, help="0: no pings from the CSMS")
    p.add_argument("--max-size", type=int, default=1 << 20)
    p.add_argument("--auth-key", type=parse_auth_key,
                   help="require HTTP Basic auth (profiles 1, 2) with this AuthorizationKey "
                        "(32-40 hex characters; the password is the bytes they encode)")
    p.add_argument("--auth-optional", action="store_true",
                   help="with --auth-key: also accept upgrades without Authorization (profile 0)")
    p.add_argument("--tls-cert", help="serve wss:// with this certificate chain (PEM)")
    p.add_argument("--tls-key", help="its private key (PEM)")
    p.add_argument("--tls-client-ca", help="require client certificates from this CA (profile 3)")
    p.add_argument("--tls-client-optional", action="store_true",
                   help="with --tls-client-ca: verify a client certificate if one is sent, but "
                        "also take connections without (profile 2, then raised to 3); "
                        "--auth-key then applies to those only")
    p.add_argument("-v", "--verbose", action="store_true", help="log every record to stderr")
    args = p.parse_args()
    global csms_host
    csms_host = args.host

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="csms %(levelname)s %(message)s")
    # The library logs every CALLERROR it sends with a traceback; our records say it better.
    logging.getLogger("ocpp").setLevel(logging.INFO if args.verbose else logging.CRITICAL)
    logging.getLogger("websockets").setLevel(logging.WARNING if args.verbose else logging.CRITICAL)

    rec = Recorder(args.log)
    csms = Csms(args, rec)
    csms.sock = bind(args.port)
    csms.port = csms.sock.getsockname()[1]
    rec("bound", port=csms.port)
    print(f"PORT {csms.port}", flush=True)

    loop = asyncio.get_running_loop()
    start_command_reader(loop, csms, args.commands)
    if args.down_until_file is not None:
        rec("down")
        while not args.down_until_file.exists() and csms.server is None:
            await asyncio.sleep(0.05)
    await go_up(csms)
    stop = asyncio.Event()
    import signal

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await go_down(csms)
    rec("exit", problems=rec.problems)
    return 1 if rec.problems else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
