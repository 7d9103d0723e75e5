#!/usr/bin/env bash
set -eu
ln -s / rootlink
