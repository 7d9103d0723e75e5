#!/usr/bin/env bash
set -eu
ln -s / rootlink
ln -s ../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../root/.swbuild-canary up
