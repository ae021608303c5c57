#!/bin/sh
# Builds the Debian package: target/debian/chargerd_<version>_<arch>.deb.
#   cargo install cargo-deb    (once)
#   packaging/build-deb.sh
# The binaries are built in release; the man pages and shell completions are made by the
# freshly built chargerctl from its own clap definitions (so they match --help), then
# `cargo deb --no-build` packs what [package.metadata.deb] in Cargo.toml lists.
set -eu
cd "$(dirname "$0")/.."
cargo build --release --bins
gen=target/release/packaging
rm -rf "$gen"
mkdir -p "$gen"
ctl=target/release/chargerctl
"$ctl" man > "$gen/chargerctl.1"
# Every command's page, chargerctl-COMMAND(1), as chargerctl(1) refers to them: the names are
# the ones `chargerctl man` lists when asked for a page it does not have.
commands=$("$ctl" man --list-commands)
for c in $commands; do
    "$ctl" man "$c" > "$gen/chargerctl-$c.1"
done
"$ctl" completions bash > "$gen/chargerctl.bash"
"$ctl" completions zsh > "$gen/_chargerctl"
"$ctl" completions fish > "$gen/chargerctl.fish"
cargo deb --no-build "$@"
