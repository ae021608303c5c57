#!/usr/bin/env python3
"""Self-test of tests/ocpp/csms.py with a tiny charge point written on the same library.

Starts csms.py, connects a charge point that boots (Pending, then Accepted), sends statuses,
a transaction, a deliberately invalid StatusNotification and a StopTransaction for an id the
CSMS never gave; answers the CSMS's calls; then checks that the CSMS's log records all of it,
schema error and violations included (the "fail loudly" path the Rust suite relies on).

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
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

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


async def run(tmp: Path) -> list[str]:
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


def main() -> int:
    import logging

    logging.getLogger("ocpp").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        passed = asyncio.run(run(Path(tmp)))
    for p in passed:
        print(f"ok: {p}")
    print(f"selftest: {len(passed)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
