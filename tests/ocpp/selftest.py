#!/usr/bin/env python3
"""Self-test of tests/ocpp/csms.py with tiny charge points written on the same library.

OCPP 1.6: starts csms.py, connects a charge point that boots (Pending, then Accepted), sends
statuses, a transaction, a deliberately invalid StatusNotification and a StopTransaction for an
id the CSMS never gave; answers the CSMS's calls; then checks that the CSMS's log records all
of it, schema error and violations included (the "fail loudly" path the Rust suite relies on).

OCPP 2.0.1: the same against `--versions ocpp2.0.1,ocpp1.6` with an `ocpp.v201` charge point:
boot Pending (a report the CSMS asked for is allowed then, a Heartbeat is not) then Accepted,
transactions whose seqNo runs 0, 1, 2 (with a retransmission), one with a gap, a NotifyReport
in two parts, the CSMS's calls (GetVariables, RequestStartTransaction, an invalid one, one
answered with a 1.6-only error code), state kept across a reconnect.

Negotiation: the CSMS's preference picks the version; an upgrade offering none is refused;
the "versions" command switches what later connections get.

    python3 tests/ocpp/selftest.py        # exit 0 and "selftest: N passed, 0 failed"
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets
from ocpp.exceptions import OccurenceConstraintViolationError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

HERE = Path(__file__).resolve().parent


class TinyCp(ChargePoint):
    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **_):
        return call_result.GetConfiguration(
            configuration_key=[{"key": "NumberOfConnectors", "readonly": True, "value": "1"}],
            unknown_key=[k for k in (key or []) if k != "NumberOfConnectors"] or None,
        )

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag, **_):
        return call_result.RemoteStartTransaction(status="Accepted")


class TinyCp201(ChargePoint201):
    @on(Action201.get_base_report)
    def on_get_base_report(self, request_id, report_base, **_):
        return result201.GetBaseReport(status="Accepted")

    @on(Action201.get_variables)
    def on_get_variables(self, get_variable_data, **_):
        return result201.GetVariables(get_variable_result=[
            {"attribute_status": "Accepted", "component": d["component"],
             "variable": d["variable"], "attribute_value": "86400"}
            for d in get_variable_data
        ])

    @on(Action201.request_start_transaction)
    def on_request_start_transaction(self, id_token, remote_start_id, **_):
        return result201.RequestStartTransaction(status="Accepted")

    @on(Action201.trigger_message)
    def on_trigger_message(self, requested_message, **_):
        return result201.TriggerMessage(status="Accepted")

    @on(Action201.reset)
    def on_reset(self, type, **_):
        # A 1.6 spelling, which 2.0.1 does not define: the CSMS must flag it.
        raise OccurenceConstraintViolationError(description="deliberately a 1.6 code")


async def start_csms(log: Path, *args: str) -> tuple[subprocess.Popen, int]:
    """csms.py with these options, once it listens."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "csms.py"), "--port", "0", "--log", str(log), *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise AssertionError(f"csms.py {' '.join(args)} did not start: {line!r}")
    await wait_for(log, lambda r: r["kind"] == "up", "csms.py listening")
    return proc, int(line.split()[1])


def stop_csms(proc: subprocess.Popen) -> int:
    proc.terminate()
    try:
        return proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(5)


def command(proc: subprocess.Popen, cmd: dict) -> None:
    proc.stdin.write(json.dumps(cmd) + "\n")
    proc.stdin.flush()


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(l) for l in path.read_text().splitlines() if l.endswith("}")]


async def wait_for(path: Path, pred, what: str, limit: float = 10.0) -> dict:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        for r in read_log(path):
            if pred(r):
                return r
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; log:\n" + path.read_text())


async def run_v16(tmp: Path) -> list[str]:
    log = tmp / "csms.jsonl"
    up = tmp / "up"
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "csms.py"), "--port", "0", "--log", str(log),
         "--boot", "Pending,Accepted", "--pending-interval", "1", "--down-until-file", str(up),
         "--tag-status", "BAD=Blocked"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    passed: list[str] = []
    try:
        port = int(proc.stdout.readline().split()[1])
        uri = f"ws://127.0.0.1:{port}/ocpp/CP-SELF"
        # Down: bound but not listening → refused.
        try:
            async with websockets.connect(uri, subprotocols=["ocpp1.6"], open_timeout=1):
                raise AssertionError("connected while the CSMS is down")
        except OSError:
            passed.append("down until the file exists: connection refused")
        up.touch()
        await wait_for(log, lambda r: r["kind"] == "up", "up")

        async with websockets.connect(uri, subprotocols=["ocpp1.6"]) as ws:
            cp = TinyCp("CP-SELF", ws)
            task = asyncio.create_task(cp.start())
            boot = call.BootNotification(charge_point_model="M", charge_point_vendor="V")
            r1 = await cp.call(boot)
            assert (r1.status, r1.interval) == ("Pending", 1), r1
            r2 = await cp.call(boot)
            assert (r2.status, r2.interval) == ("Accepted", 300), r2
            passed.append("boot script Pending then Accepted")
            ts = "2026-01-01T00:00:00Z"
            for c in (0, 1):
                await cp.call(call.StatusNotification(connector_id=c, error_code="NoError",
                                                      status="Available", timestamp=ts))
            st = await cp.call(call.StartTransaction(connector_id=1, id_tag="T1", meter_start=5,
                                                     timestamp=ts))
            assert st.transaction_id == 1000 and st.id_tag_info["status"] == "Accepted", st
            st2 = await cp.call(call.StartTransaction(connector_id=1, id_tag="BAD", meter_start=5,
                                                      timestamp=ts))
            assert st2.transaction_id == 1001 and st2.id_tag_info["status"] == "Blocked", st2
            passed.append("transaction ids from 1000, Blocked tag")
            await cp.call(call.StopTransaction(meter_stop=9, timestamp=ts, transaction_id=1000,
                                               reason="EVDisconnected"))
            # Deliberate faults: a timestamp without offset (schema-valid, format-invalid),
            # a wrong type (skips our validation on send), a stop for an unknown id.
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError",
                                                  status="Available",
                                                  timestamp="2026-01-01T00:00:00"))
            await cp.call(call.StatusNotification(connector_id="one", error_code="NoError",
                                                  status="Available", timestamp=ts),
                          skip_schema_validation=True)
            await cp.call(call.StopTransaction(meter_stop=9, timestamp=ts, transaction_id=4242))

            # Commands: a validated CALL and a raw frame.
            proc.stdin.write(json.dumps({"ref": "g1", "call": "GetConfiguration",
                                         "payload": {"key": ["NumberOfConnectors", "Nope"]}}) + "\n")
            proc.stdin.write(json.dumps({"ref": "raw1", "raw": '[2,"raw-1","Nonsense",{}]'}) + "\n")
            proc.stdin.flush()
            a = await wait_for(log, lambda r: r["kind"] == "answer" and r.get("ref") == "g1", "g1")
            assert a["ok"] and a["payload"]["unknownKey"] == ["Nope"], a
            rr = await wait_for(log, lambda r: r["kind"] == "raw_reply" and r["ref"] == "raw1",
                                "raw reply")
            # (The library answers an action unknown to 1.6 with NotSupported.)
            assert rr["frame"][0] == 4 and rr["frame"][2] == "NotSupported", rr
            passed.append("commands: GetConfiguration, raw frame answered")
            task.cancel()

        await wait_for(log, lambda r: r["kind"] == "disconnected", "disconnected")
        recs = read_log(log)
        kinds = [r["kind"] for r in recs]
        errors = [r for r in recs if r["kind"] == "schema_error"]
        assert len(errors) == 2, errors
        assert any("RFC 3339" in e["error"] for e in errors), errors
        assert any("TypeConstraint" in e["error"] for e in errors), errors
        wrong_type_reply = [r for r in recs if r["kind"] == "reply_out" and r["type"] == "error"]
        assert wrong_type_reply and wrong_type_reply[0]["code"] == "TypeConstraintViolation", recs
        violations = [r for r in recs if r["kind"] == "violation"]
        assert [v["what"] for v in violations] == [
            "StopTransaction for a transaction id this CSMS never assigned"
        ], violations
        assert kinds.count("call_in") == 10 and "connected" in kinds and "disconnected" in kinds
        passed.append("schema errors and violations recorded")
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert proc.returncode == 1, "csms.py exits 1 when it saw problems"
    passed.append("exit status 1 after problems")
    return passed


async def run_v201(tmp: Path) -> list[str]:
    log = tmp / "csms201.jsonl"
    proc, port = await start_csms(log, "--versions", "ocpp2.0.1,ocpp1.6", "--boot", "Pending,Accepted",
                            "--pending-interval", "1", "--heartbeat-interval", "86400",
                            "--tag-status", "BAD=Blocked")
    passed: list[str] = []
    ts = "2026-01-01T00:00:00Z"

    def answer(ref: str):
        return wait_for(log, lambda r: r["kind"] == "answer" and r.get("ref") == ref, ref)

    try:
        uri = f"ws://127.0.0.1:{port}/ocpp/CS-201"
        async with websockets.connect(uri, subprotocols=["ocpp2.0.1"]) as ws:
            assert ws.subprotocol == "ocpp2.0.1", ws.subprotocol
            cp = TinyCp201("CS-201", ws)
            task = asyncio.create_task(cp.start())
            c = await wait_for(log, lambda r: r["kind"] == "connected", "connected")
            assert (c["subprotocol"], c["version"]) == ("ocpp2.0.1", "2.0.1"), c
            passed.append("ocpp2.0.1 negotiated, connected record has version 2.0.1")

            boot = call201.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp")
            r1 = await cp.call(boot, suppress=False)
            assert (r1.status, r1.interval) == ("Pending", 1), r1
            # While Pending: a report the CSMS asked for is fine, in two parts.
            command(proc, {"ref": "rep", "call": "GetBaseReport",
                           "payload": {"requestId": 7, "reportBase": "FullInventory"}})
            a = await answer("rep")
            assert a["ok"] and a["payload"] == {"status": "Accepted"}, a
            item = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
                    "variable_attribute": [{"value": "86400"}]}
            await cp.call(call201.NotifyReport(request_id=7, generated_at=ts, seq_no=0,
                                               report_data=[item, item], tbc=True), suppress=False)
            await cp.call(call201.NotifyReport(request_id=7, generated_at=ts, seq_no=1,
                                               report_data=[item], tbc=False), suppress=False)
            done = await wait_for(log, lambda r: r["kind"] == "report_done", "report_done")
            assert (done["cp"], done["requestId"], done["parts"], done["items"]) == (
                "CS-201", 7, 2, 3), done
            passed.append("NotifyReport in 2 parts while Pending (asked for): report_done")
            command(proc, {"ref": "trg", "call": "TriggerMessage",
                           "payload": {"requestedMessage": "StatusNotification"}})
            a = await answer("trg")
            assert a["ok"] and a["payload"] == {"status": "Accepted"}, a
            await cp.call(call201.StatusNotification(timestamp=ts, connector_status="Available",
                                                     evse_id=1, connector_id=1), suppress=False)
            # ... but an unsolicited Heartbeat is not (a violation, checked at the end).
            await cp.call(call201.Heartbeat(), suppress=False)
            r2 = await cp.call(boot, suppress=False)
            assert (r2.status, r2.interval) == ("Accepted", 86400), r2
            passed.append("boot script Pending then Accepted, interval 86400")

            await cp.call(call201.StatusNotification(timestamp=ts, connector_status="Available",
                                                     evse_id=1, connector_id=1), suppress=False)
            au = await cp.call(call201.Authorize(id_token={"id_token": "BAD", "type": "ISO14443"}),
                               suppress=False)
            assert au.id_token_info["status"] == "Blocked", au
            evse = {"id": 1, "connector_id": 1}
            tok = {"id_token": "T1", "type": "ISO14443"}

            def ev(kind, seq, tx="TX1", reason="Authorized", **kw):
                return call201.TransactionEvent(
                    event_type=kind, timestamp=ts, trigger_reason=reason, seq_no=seq,
                    transaction_info={"transaction_id": tx, **kw.pop("info", {})}, **kw)

            s0 = await cp.call(ev("Started", 0, evse=evse, id_token=tok), suppress=False)
            assert s0.id_token_info == {"status": "Accepted"}, s0
            upd = ev("Updated", 1, reason="ChargingStateChanged",
                     info={"charging_state": "Charging"})
            u1 = await cp.call(upd, suppress=False)
            assert u1.id_token_info is None, u1  # no idToken, no idTokenInfo
            await cp.call(upd, suppress=False)  # a retransmission: same seqNo, same payload
            await cp.call(ev("Ended", 2, reason="EVCommunicationLost",
                             info={"stopped_reason": "EVDisconnected"}), suppress=False)
            b0 = await cp.call(ev("Started", 0, tx="TX2", evse=evse,
                                  id_token={"id_token": "BAD", "type": "ISO14443"}),
                               suppress=False)
            assert b0.id_token_info == {"status": "Blocked"}, b0
            await cp.call(ev("Updated", 2, tx="TX2", reason="MeterValuePeriodic"),
                          suppress=False)  # seqNo 1 skipped: a violation
            # A timestamp without offset: schema-valid, not RFC 3339 (a schema_error).
            await cp.call(call201.StatusNotification(
                timestamp="2026-01-01T00:00:00", connector_status="Occupied", evse_id=1,
                connector_id=1), suppress=False)
            passed.append("Authorize/TransactionEvent idTokenInfo per --tag-status")

            # Commands on a 2.0.1 connection.
            command(proc, {"ref": "gv", "call": "GetVariables", "payload": {"getVariableData": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}})
            a = await answer("gv")
            assert a["ok"] and a["action"] == "GetVariables", a
            assert a["payload"]["getVariableResult"][0]["attributeValue"] == "86400", a
            command(proc, {"ref": "rst", "call": "RequestStartTransaction", "payload": {
                "idToken": {"idToken": "T9", "type": "ISO14443"}, "remoteStartId": 1}})
            a = await answer("rst")
            assert a["ok"] and a["payload"]["status"] == "Accepted", a
            command(proc, {"ref": "bad", "call": "GetVariables", "payload": {}})
            a = await answer("bad")
            assert not a["ok"] and a["code"] == "ProtocolError", a
            command(proc, {"ref": "v16", "call": "RemoteStartTransaction",
                           "payload": {"idTag": "T"}})
            a = await answer("v16")
            assert not a["ok"] and "no OCPP 2.0.1 CALL named" in a["error"], a
            command(proc, {"ref": "reset", "call": "Reset", "payload": {"type": "Immediate"}})
            a = await answer("reset")
            assert not a["ok"] and a["code"] == "OccurenceConstraintViolation", a
            passed.append("commands: GetVariables, RequestStartTransaction answered; invalid "
                          "and 1.6 calls refused before sending; CALLERROR code answered")
            task.cancel()
        await wait_for(log, lambda r: r["kind"] == "disconnected", "disconnected")

        # A plain reconnect: the registration and the transaction's seqNo carry over.
        async with websockets.connect(uri, subprotocols=["ocpp2.0.1"]) as ws:
            cp = TinyCp201("CS-201", ws)
            task = asyncio.create_task(cp.start())
            await cp.call(call201.Heartbeat(), suppress=False)
            await cp.call(ev("Ended", 3, tx="TX2", reason="StopAuthorized"), suppress=False)
            # More faults: after Ended, a transaction not begun by Started, a report's gap and
            # a part after its last.
            await cp.call(ev("Updated", 3, tx="TX1", reason="MeterValuePeriodic"), suppress=False)
            await cp.call(ev("Updated", 0, tx="TX3", reason="MeterValuePeriodic"), suppress=False)
            await cp.call(call201.NotifyReport(request_id=8, generated_at=ts, seq_no=1,
                                               report_data=[item], tbc=False), suppress=False)
            await cp.call(call201.NotifyReport(request_id=7, generated_at=ts, seq_no=2,
                                               report_data=[item], tbc=False), suppress=False)
            task.cancel()
        await wait_for(log, lambda r: r["kind"] == "disconnected" and r["t"] > done["t"]
                       and sum(x["kind"] == "disconnected" for x in read_log(log)) == 2,
                       "the second disconnect")

        recs = read_log(log)
        violations = [r for r in recs if r["kind"] == "violation"]
        whats = [v["what"] for v in violations]
        assert whats == [
            "Heartbeat sent while the registration is Pending",
            "TransactionEvent seqNo out of sequence",
            "CALLERROR not as OCPP-J 2.0.1 defines it",
            "TransactionEvent after Ended",
            "first TransactionEvent of a transaction is not Started",
            "NotifyReport seqNo out of sequence",
            "NotifyReport after its last part (tbc false)",
        ], violations
        gap = violations[1]
        assert (gap["transaction_id"], gap["seq_no"], gap["expected"]) == ("TX2", 2, 1), gap
        report_gap = violations[5]
        assert (report_gap["requestId"], report_gap["seq_no"], report_gap["expected"]) == (
            8, 1, 0), report_gap
        done8 = [r for r in recs if r["kind"] == "report_done" and r["requestId"] == 8]
        assert done8 and done8[0]["parts"] == 1, recs
        passed.append("violations: unsolicited call while Pending (a triggered one is fine), "
                      "seqNo gap, 1.6 error code, after Ended, not Started, report gap, "
                      "report part after the last")
        retr = [r for r in recs if r["kind"] == "retransmit"]
        assert [(r["action"], r["transaction_id"], r["seq_no"]) for r in retr] == [
            ("TransactionEvent", "TX1", 1)], retr
        started = [(r["transaction_id"], r["id_tag"], r["evse"], r["connector"])
                   for r in recs if r["kind"] == "transaction"]
        assert started == [("TX1", "T1", 1, 1), ("TX2", "BAD", 1, 1)], started
        ended = [(r["transaction_id"], r["seq_no"], r["trigger_reason"], r["stopped_reason"])
                 for r in recs if r["kind"] == "transaction_ended"]
        assert ended == [("TX1", 2, "EVCommunicationLost", "EVDisconnected"),
                         ("TX2", 3, "StopAuthorized", None)], ended
        passed.append("retransmit, transaction and transaction_ended records")
        errors = [r for r in recs if r["kind"] == "schema_error"]
        assert len(errors) == 1 and "RFC 3339" in errors[0]["error"], errors
        assert not [r for r in recs if r["kind"] == "call_out" and r["ref"] in ("bad", "v16")]
        results = [r for r in recs if r["kind"] == "reply_out"]
        assert results and all(r["type"] == "result" for r in results), results
        passed.append("RFC 3339 schema error; every CALL answered with a result")
    finally:
        code = stop_csms(proc)
    assert code == 1, f"csms.py exits 1 when it saw problems, not {code}"
    return passed


async def run_negotiation(tmp: Path) -> list[str]:
    passed: list[str] = []
    # A 2.0.1-only CSMS turns a 1.6-only charge point away; "versions" switches it to 1.6.
    log = tmp / "only201.jsonl"
    proc, port = await start_csms(log, "--versions", "ocpp2.0.1")
    try:
        uri = f"ws://127.0.0.1:{port}/ocpp/CP-NEG"
        try:
            async with websockets.connect(uri, subprotocols=["ocpp1.6"], open_timeout=5):
                raise AssertionError("a 1.6-only upgrade was accepted by a 2.0.1-only CSMS")
        except websockets.InvalidStatus as e:
            assert e.response.status_code == 400, e
        refused = await wait_for(log, lambda r: r["kind"] == "refused", "refused")
        assert refused["why"] == "subprotocols ['ocpp1.6']", refused
        v = await wait_for(log, lambda r: r["kind"] == "violation", "violation")
        assert v["what"] == "upgrade without subprotocol ocpp2.0.1", v
        passed.append("offering only ocpp1.6 to --versions ocpp2.0.1: refused")
        command(proc, {"ref": "bad", "versions": ["ocpp2.0"]})
        a = await wait_for(log, lambda r: r["kind"] == "answer" and r["ref"] == "bad", "bad")
        assert not a["ok"] and "unknown subprotocol" in a["error"], a
        command(proc, {"ref": "v", "versions": ["ocpp1.6"]})
        a = await wait_for(log, lambda r: r["kind"] == "answer" and r["ref"] == "v", "versions")
        assert a["ok"], a
        async with websockets.connect(uri, subprotocols=["ocpp2.0.1", "ocpp1.6"]) as ws:
            assert ws.subprotocol == "ocpp1.6", ws.subprotocol
        c = await wait_for(log, lambda r: r["kind"] == "connected", "connected")
        assert (c["subprotocol"], c["version"]) == ("ocpp1.6", "1.6"), c
        passed.append("command versions [ocpp1.6]: the next connection gets 1.6")
    finally:
        code = stop_csms(proc)
    assert code == 1, f"exit 1 after the refusal's violation, not {code}"

    # The CSMS's preference decides: 1.6 first, though the charge point prefers 2.0.1.
    log = tmp / "pref16.jsonl"
    proc, port = await start_csms(log, "--versions", "ocpp1.6,ocpp2.0.1")
    try:
        uri = f"ws://127.0.0.1:{port}/ocpp/CP-PREF"
        async with websockets.connect(uri, subprotocols=["ocpp2.0.1", "ocpp1.6"]) as ws:
            assert ws.subprotocol == "ocpp1.6", ws.subprotocol
            cp = TinyCp("CP-PREF", ws)
            task = asyncio.create_task(cp.start())
            r = await cp.call(call.BootNotification(charge_point_model="M",
                                                    charge_point_vendor="V"))
            assert r.status == "Accepted", r
            task.cancel()
        c = await wait_for(log, lambda r: r["kind"] == "connected", "connected")
        assert (c["subprotocol"], c["version"]) == ("ocpp1.6", "1.6"), c
        async with websockets.connect(uri, subprotocols=["ocpp2.0.1"]) as ws:
            assert ws.subprotocol == "ocpp2.0.1", ws.subprotocol
        await wait_for(log, lambda r: r["kind"] == "connected" and r["version"] == "2.0.1",
                       "a 2.0.1 connection")
        passed.append("offering ocpp2.0.1,ocpp1.6 to --versions ocpp1.6,ocpp2.0.1: 1.6; "
                      "offering ocpp2.0.1 alone: 2.0.1")
    finally:
        code = stop_csms(proc)
    bad = [r for r in read_log(log) if r["kind"] in ("violation", "schema_error")]
    assert code == 0 and not bad, f"exit {code}, problems {bad}"
    passed.append("no problems, exit 0")
    return passed


def main() -> int:
    import logging

    logging.getLogger("ocpp").setLevel(logging.CRITICAL)
    passed: list[str] = []
    for part in (run_v16, run_v201, run_negotiation):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                got = asyncio.run(part(Path(tmp)))
            except Exception as e:  # noqa: BLE001 - report which part, then the traceback
                for p in passed:
                    print(f"ok: {p}")
                print(f"selftest FAILED in {part.__name__}: {type(e).__name__}: {e}",
                      file=sys.stderr)
                import traceback

                traceback.print_exc()
                print(f"selftest: {len(passed)} passed, 1 failed", file=sys.stderr)
                return 1
        passed += [f"{part.__name__[4:]}: {p}" for p in got]
    for p in passed:
        print(f"ok: {p}")
    print(f"selftest: {len(passed)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
