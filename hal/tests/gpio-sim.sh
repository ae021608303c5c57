#!/bin/sh
# Run the GPIO suite against the kernel's GPIO simulator (gpio-sim, configfs): GpioSource on
# the real character device. Needs root and a kernel with CONFIG_GPIO_SIM (a module on most
# distribution kernels). The test FAILS, never skips, when gpio-sim is missing.
#
#   sudo hal/tests/gpio-sim.sh
set -eu
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
    echo "gpio-sim.sh: run as root (configfs and /dev/gpiochip* of the simulator)" >&2
    exit 1
fi
modprobe gpio-sim || echo "gpio-sim.sh: modprobe gpio-sim failed: the test will say why" >&2
if ! mountpoint -q /sys/kernel/config; then
    mount -t configfs none /sys/kernel/config
fi
exec cargo test -p charger-hal --features gpio-sim --test gpio_sim -- --nocapture
