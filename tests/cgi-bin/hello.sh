#!/bin/sh
printf "Content-Type: text/plain\n\nhello\n"
