<?php
// Echoes a POSTed form ($_POST), sorted, one "name=value" a line, after
// the request method.
header("Content-Type: text/plain");
echo "method=" . $_SERVER["REQUEST_METHOD"] . "\n";
$p = $_POST;
ksort($p);
foreach ($p as $k => $v)
	echo "$k=$v\n";
