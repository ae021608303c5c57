#!/usr/bin/env python3
"""A Modbus TCP peer that is not chargerd's: pymodbus serving the Kestrel KIO-16 I/O module.

The register map comes from the datasheet in hal/tests/data/kestrel-io16.toml (the comment
block), encoded here independently with struct.pack: this script never reads the profile, so a
profile that misreads the datasheet reads wrong inputs or closes the wrong relay in the test
(hal/tests/modbus_pymodbus.rs), as it would on the real module.

Usage: kestrel_io16.py --port PORT   (0 picks a free port)

Standard input, one JSON object per line, sets what is on the module's terminals:
  {"din": MASK}                 the levels of X1..X8 as bits 0..7
  {"ain": [N, VOLTS]}           the voltage on AIN<N> (1 or 2), -10..10 V
Standard output, one JSON object per line, flushed:
  {"listening": PORT}                                   once, when accepting connections
  {"event": "request", "fc": F, "address": A, "count": N, "unit": U}
                                                        every request received
  {"event": "write", "name": NAME, "value": V}          every write, decoded by the datasheet
                                                        (K1..K4 as "k1".."k4", LIFE as "life")
  {"event": "input", ...}                               each stdin line, once applied
Exits when stdin closes or the parent process dies.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import signal
import struct
import sys

try:
    from pymodbus.constants import ExcCodes
    from pymodbus.server import ModbusTcpServer
    from pymodbus.simulator import DataType, SimData, SimDevice
except ImportError as exc:  # the Rust test turns this exit code into an install hint
    print(f"pymodbus missing: {exc}", file=sys.stderr)
    sys.exit(3)

UNIT_ID = 5
FIRST_RELAY_COIL = 16  # 00017 = K1
RELAYS = 4

# What is on the terminals now; written into the input registers before each read.
terminals = {"status": 0, "din": 0b0000_0101, "ain": [4.2, -2.5]}


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def ain_word(volts: float) -> int:
    """10 mV per digit, two's complement, as the wire carries it."""
    (word,) = struct.unpack(">H", struct.pack(">h", round(volts * 100)))
    return word


def input_registers() -> list[int]:
    """30001..30004: STATUS, DIN, AIN1, AIN2."""
    return [
        terminals["status"],
        terminals["din"] & 0x00FF,
        ain_word(terminals["ain"][0]),
        ain_word(terminals["ain"][1]),
    ]


async def action(
    function_code: int,
    start_address: int,
    address: int,
    count: int,
    registers: list[int],
    set_values: list[int] | list[bool] | None,
) -> ExcCodes | None:
    """pymodbus calls this for every request to a defined address, before answering."""
    if function_code == 4:
        # The input block starts at address 0: lay the terminals into it.
        for i, word in enumerate(input_registers()):
            registers[i - start_address] = word
    if function_code in (5, 15) and set_values is not None:
        for i, bit in enumerate(set_values):
            relay = address + i - FIRST_RELAY_COIL + 1
            if 1 <= relay <= RELAYS:
                emit({"event": "write", "name": f"k{relay}", "value": bool(bit)})
    if function_code in (6, 16) and set_values is not None and address == 0:
        emit({"event": "write", "name": "life", "value": int(set_values[0])})
    return None


def trace_pdu(sending: bool, pdu):
    if not sending:
        emit(
            {
                "event": "request",
                "fc": pdu.function_code,
                "address": pdu.address,
                "count": pdu.count,
                "unit": pdu.dev_id,
            }
        )
    return pdu


def apply(line: str) -> None:
    """One stdin command: what is on the terminals."""
    cmd = json.loads(line)
    if "din" in cmd:
        terminals["din"] = int(cmd["din"]) & 0xFF
    if "ain" in cmd:
        n, volts = cmd["ain"]
        terminals["ain"][int(n) - 1] = float(volts)
    emit({"event": "input", **cmd})


def die_with_parent() -> None:
    """Linux: SIGTERM when the process that started us exits (prctl PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    die_with_parent()

    device = SimDevice(
        id=UNIT_ID,
        # (coils, discrete inputs, holding registers, input registers). Coils are addressed by
        # bit (use_bit_addressing): K1..K4 at 16..19; 0..15 are not defined and answer
        # exception 02, as the datasheet says. The module has no discrete inputs, but pymodbus
        # wants a block in every table: one far above anything the datasheet names.
        simdata=(
            [SimData(FIRST_RELAY_COIL, values=[False] * 16, datatype=DataType.BITS)],
            [SimData(0xFF00, values=[False] * 16, datatype=DataType.BITS)],
            [SimData(0, values=[0], datatype=DataType.REGISTERS)],
            [SimData(0, values=input_registers(), datatype=DataType.REGISTERS)],
        ),
        use_bit_addressing=True,
        action=action,
    )
    server = ModbusTcpServer(device, address=(args.host, args.port), trace_pdu=trace_pdu)
    await server.serve_forever(background=True)
    port = server.transport.sockets[0].getsockname()[1]
    emit({"listening": port})

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():  # until stdin closes
        if line.strip():
            apply(line.decode())
    await server.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
