#!/usr/bin/env bash
set -eu
rm -f Dockerfile && ln -s /proc/$CANARY_PID/cmdline Dockerfile
