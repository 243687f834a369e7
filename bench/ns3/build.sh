#!/usr/bin/env bash
# Build the ns-3 anchor program against Debian's libns3-dev (3.37):
#   apt-get install -y libns3-dev g++ pkg-config
#   bench/ns3/build.sh [OUTPUT]        (default output: ./pod-walk next to this script)
# `npm run bench` calls it with an output path under its results directory.
# Debian's ns3-*.pc files emit a bogus include flag ("-I/usr;") and a python include: filtered out.
set -euo pipefail
SRC="$(cd "$(dirname "$0")" && pwd)/pod-walk.cc"
OUT=${1:-"$(dirname "$0")/pod-walk"}

PKG_CONFIG=${PKG_CONFIG:-pkg-config}
MODULES="ns3-core ns3-network ns3-internet ns3-csma ns3-bridge ns3-point-to-point ns3-traffic-control ns3-applications"
CFLAGS=$($PKG_CONFIG --cflags $MODULES | tr ' ' '\n' | grep -v -e '^-I/usr\\\?;$' -e 'python3' | sort -u | tr '\n' ' ')
# The .pc files also list absolute paths such as /usr/lib/x86_64-linux-gnu/libgsl.so that exist
# only with libgsl-dev installed; the ns-3 shared libraries already carry those dependencies,
# so drop any absolute library path that is not present.
LIBS=""
for f in $($PKG_CONFIG --libs $MODULES); do
  case "$f" in
    /*) [ -e "$f" ] && LIBS="$LIBS $f" ;;
    *) LIBS="$LIBS $f" ;;
  esac
done
CXX=${CXX:-g++}
OPT=${OPT:--O2}

$CXX -std=c++17 $OPT -Wall -Wno-unused-function $CFLAGS "$SRC" -o "$OUT" $LIBS
