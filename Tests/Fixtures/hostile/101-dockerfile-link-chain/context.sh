#!/usr/bin/env bash
set -eu
rm -f Dockerfile && ln -s /root/.swbuild-canary/secret.txt df2 && ln -s df2 Dockerfile
