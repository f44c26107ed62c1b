<?php
// A PHP fatal error: calls a function that does not exist.  With
// display_errors off, php-cgi answers 500 and logs the error to stderr.
header("Content-Type: text/plain");
no_such_function_anywhere();
echo "not reached\n";
