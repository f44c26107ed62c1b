#!/bin/sh
# A form: GET shows it, POST reads the body (CONTENT_LENGTH bytes from
# stdin, application/x-www-form-urlencoded) and echoes the fields back.
if [ "$REQUEST_METHOD" = POST ]; then
	body=$(head -c "${CONTENT_LENGTH:-0}")
	printf 'Content-Type: text/plain\n\n'
	printf 'You posted %s bytes:\n' "${CONTENT_LENGTH:-0}"
	printf '%s\n' "$body" | tr '&' '\n' | sed 's/+/ /g; s/=/ = /'
	exit 0
fi
printf 'Content-Type: text/html; charset=utf-8\n\n'
cat <<HTML
<!doctype html>
<title>ferry form</title>
<form method="post" action="$SCRIPT_NAME">
  <label>Name <input name="name"></label>
  <label>Message <input name="message"></label>
  <button>Send</button>
</form>
HTML
