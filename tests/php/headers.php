<?php
// Sets a status and header fields from PHP: 201, X-Php: yes, and a cookie.
http_response_code(201);
header("X-Php: yes");
header("Content-Type: text/plain");
setcookie("flavour", "oat");
echo "created\n";
