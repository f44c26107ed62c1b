#!/bin/sh
echo "bench: not written yet"
