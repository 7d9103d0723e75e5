#!/usr/bin/env bash
set -eu
rm -f Dockerfile && ln -s /etc/swbuild-canary.txt Dockerfile
