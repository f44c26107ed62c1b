#!/bin/sh
# A document response with a Status header.
printf 'Status: 201 Created\nContent-Type: text/plain\nX-Script: status\n\nmade\n'
