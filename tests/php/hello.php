<?php
// The smallest PHP page: a plain-text greeting.
header("Content-Type: text/plain");
echo "hello from php\n";
