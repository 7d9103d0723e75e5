#!/usr/bin/env bash
set -eu
mkdir dir && echo a > dir/a && mkdir dir/s && echo b > dir/s/b
