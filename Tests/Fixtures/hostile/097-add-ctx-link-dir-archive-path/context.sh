#!/usr/bin/env bash
set -eu
ln -s /root/.swbuild-canary cdir
