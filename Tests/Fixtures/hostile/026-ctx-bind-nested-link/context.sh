#!/usr/bin/env bash
set -eu
mkdir sub && ln -s /root/.swbuild-canary sub/c
