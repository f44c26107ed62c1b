<?php
// Echoes the query's parameters ($_GET), sorted, one "name=value" a line.
header("Content-Type: text/plain");
$q = $_GET;
ksort($q);
foreach ($q as $k => $v)
	echo "$k=$v\n";
