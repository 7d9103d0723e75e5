#!/usr/bin/env bash
set -eu
ln -s /dev devlink
