#!/bin/sh
# Spins on the CPU until something stops it, printing nothing.
while :; do :; done
