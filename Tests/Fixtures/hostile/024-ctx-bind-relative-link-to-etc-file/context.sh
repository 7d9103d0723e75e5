#!/usr/bin/env bash
set -eu
ln -s ../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../etc/swbuild-canary.txt e.txt
