#!/usr/bin/env bash
set -eu
mkdir sub && echo hi > sub/f
