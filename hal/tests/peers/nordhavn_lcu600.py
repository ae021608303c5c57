#!/usr/bin/env python3
"""A Modbus TCP peer that is not chargerd's: pymodbus serving the Nordhavn LCU-600 cooling unit.

The register map and the values come from the datasheet in hal/tests/data/nordhavn-lcu600.toml
(the comment block), encoded here independently with struct.pack: this script never reads the
profile, so a profile that misreads the datasheet decodes wrong values in the test
(hal/tests/modbus_pymodbus.rs), as it would on the real unit.

Usage: nordhavn_lcu600.py --port PORT   (0 picks a free port)

Prints one JSON object per line on stdout, flushed:
  {"listening": PORT}                                   once, when accepting connections
  {"event": "request", "fc": F, "address": A, "count": N, "unit": U}
                                                        every request received, refused or not
  {"event": "write", "name": NAME, "value": V}          every write, decoded by the datasheet
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

UNIT_ID = 7
MAX_REGISTERS_PER_READ = 12  # datasheet: longer reads answer exception 03

# Datasheet values (see the profile's comment block).
PIN_DC_PLUS = 47.3
PIN_DC_MINUS = 45.9
COOLANT_INLET = 28.4
COOLANT_OUTLET = 33.1
FLOW = 11.75
PRESSURE = 2.375
LEVEL = 87.5
MEASUREMENT_COUNTER_START = 0xFFF0  # wraps during the test
ALARM_WORD = 0x0008  # level low
OPERATING_STATE = 1  # running
FIRMWARE = 312
PUMP_TIME_S = 27439044
FAN_TIME_S = 195948557
ENERGY_MWH = 4886718345
SERIAL = "LCU600-24090173"
PUMP_SETPOINT = 40.0
FAN_SETPOINT = 25.0
LOW_FLOW_THRESHOLD = 4.5
COOLING_RUN = True
DISCRETE_INPUTS = [True, True, True, False]  # pump, fan, common alarm, level switch OK


def words(raw: bytes) -> list[int]:
    """Bytes as they travel on the wire, two per register, high byte first."""
    return list(struct.unpack(f">{len(raw) // 2}H", raw))


def int16_tenths(value: float) -> list[int]:
    return words(struct.pack(">h", round(value * 10)))


def float32_low_word_first(value: float) -> list[int]:
    high, low = words(struct.pack(">f", value))
    return [low, high]


def uint32_le(value: int) -> list[int]:
    """Least significant byte first: the value's bytes in reverse order."""
    return words(struct.pack("<I", value))


def uint32_bytes_swapped(value: int) -> list[int]:
    """High word first, the two bytes of each word swapped."""
    a, b, c, d = struct.pack(">I", value)
    return words(bytes([b, a, d, c]))


def uint64_low_word_first(value: int) -> list[int]:
    return list(reversed(words(struct.pack(">Q", value))))


def ascii_string(text: str, registers: int) -> list[int]:
    return words(text.encode("ascii").ljust(2 * registers, b"\0"))


def input_registers_low() -> list[int]:
    """30001..30012: addresses 0..11."""
    regs = (
        int16_tenths(PIN_DC_PLUS)
        + int16_tenths(PIN_DC_MINUS)
        + int16_tenths(COOLANT_INLET)
        + int16_tenths(COOLANT_OUTLET)
        + [0x7FFF]  # auxiliary probe T5 not fitted: sensor open
        + float32_low_word_first(FLOW)
        + float32_low_word_first(PRESSURE)
        + [round(LEVEL / 0.5)]
        + [MEASUREMENT_COUNTER_START]
        + [ALARM_WORD]
    )
    assert len(regs) == 12, len(regs)
    return regs


def input_registers_high() -> list[int]:
    """30021..30038: addresses 20..37."""
    regs = (
        [OPERATING_STATE, FIRMWARE]
        + uint32_le(PUMP_TIME_S)
        + uint32_bytes_swapped(FAN_TIME_S)
        + uint64_low_word_first(ENERGY_MWH)
        + ascii_string(SERIAL, 8)
    )
    assert len(regs) == 18, len(regs)
    return regs


def holding_registers() -> list[int]:
    """40001..40004: addresses 0..3."""
    return [round(PUMP_SETPOINT * 10), round(FAN_SETPOINT * 10)] + float32_low_word_first(
        LOW_FLOW_THRESHOLD
    )


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def decode_holding_write(address: int, values: list[int]) -> None:
    """Log each datasheet register a holding write covers, decoded by the datasheet."""
    regs = dict(zip(range(address, address + len(values)), values))
    if 0 in regs:
        emit({"event": "write", "name": "pump_setpoint", "value": regs[0] * 0.1})
    if 1 in regs:
        emit({"event": "write", "name": "fan_setpoint", "value": regs[1] * 0.1})
    if 2 in regs and 3 in regs:
        (value,) = struct.unpack(">f", struct.pack(">HH", regs[3], regs[2]))
        emit({"event": "write", "name": "low_flow_threshold", "value": value})
    elif 2 in regs or 3 in regs:
        emit({"event": "write", "name": "low_flow_threshold_half", "value": None})
    if 100 in regs:
        emit({"event": "write", "name": "comm_watchdog", "value": regs[100]})


async def action(
    function_code: int,
    start_address: int,
    address: int,
    count: int,
    registers: list[int],
    set_values: list[int] | list[bool] | None,
) -> ExcCodes | None:
    """pymodbus calls this for every request to a defined address, before answering."""
    if function_code in (3, 4) and count > MAX_REGISTERS_PER_READ:
        return ExcCodes.ILLEGAL_VALUE
    if function_code == 4 and address <= 10 < address + count:
        # One measurement per read of the block: the cycle counter moves (and wraps).
        offset = 10 - start_address
        registers[offset] = (registers[offset] + 1) & 0xFFFF
    if function_code in (6, 16) and set_values is not None:
        decode_holding_write(address, [int(v) for v in set_values])
    if function_code in (5, 15) and set_values is not None:
        # For bit tables pymodbus passes the coil address; set_values are the coils written.
        for i, bit in enumerate(set_values):
            coil = address + i
            if coil == 0:
                emit({"event": "write", "name": "cooling_run", "value": bool(bit)})
            elif coil == 1:
                emit({"event": "write", "name": "alarm_acknowledge", "value": bool(bit)})
                if bit:
                    # The unit acts on the command and clears the coil itself, shortly after
                    # answering (the answer echoes the request, as Modbus requires).
                    word = coil // 16 - start_address
                    mask = ~(1 << (coil % 16)) & 0xFFFF

                    def clear(regs=registers, word=word, mask=mask):
                        regs[word] &= mask

                    asyncio.get_running_loop().call_later(0.05, clear)
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
        # (coils, discrete inputs, holding registers, input registers): four separate tables,
        # coils and discrete inputs addressed by bit. Addresses not defined answer exception 02,
        # so the reserved block 30013-30020 (addresses 12..19) answers "illegal data address"
        # for any request that touches it, like the real unit.
        simdata=(
            [SimData(0, values=[COOLING_RUN, False], datatype=DataType.BITS)],
            [SimData(0, values=DISCRETE_INPUTS, datatype=DataType.BITS)],
            [
                SimData(0, values=holding_registers(), datatype=DataType.REGISTERS),
                SimData(100, values=[0], datatype=DataType.REGISTERS),
            ],
            [
                SimData(0, values=input_registers_low(), datatype=DataType.REGISTERS),
                SimData(20, values=input_registers_high(), datatype=DataType.REGISTERS),
            ],
        ),
        action=action,
    )
    server = ModbusTcpServer(device, address=(args.host, args.port), trace_pdu=trace_pdu)
    await server.serve_forever(background=True)
    port = server.transport.sockets[0].getsockname()[1]
    emit({"listening": port})

    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.buffer.read)  # until stdin closes
    await server.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
