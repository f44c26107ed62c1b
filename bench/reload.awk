# bench/reload.awk: the report of the reload-under-load bench (bench/run.sh,
# the "reload" workload).
#
#   awk -f reload.awk -v every=S -v sockerr=N -v pool0=v1 -v cgi0=a \
#       RELOADS LOG...
#
# RELOADS: one line per SIGHUP, "I KIND T_US POOL CGI" (KIND replace or
# keep, T_US the CLOCK_MONOTONIC time of the kill() in microseconds, POOL
# and CGI the markers the new configuration answers with).  LOG: the
# files bench/reload.lua writes, named *.MODE.TID (MODE ka or close, TID 1
# for the pool, 2 for the CGI), one line per response "T_US LAT_US STATUS
# TARGET MARKER PID".  every: the seconds between SIGHUPs; sockerr: wrk's
# socket errors (connect, read, write, timeout) of all the runs; pool0
# and cgi0: the markers of the configuration ferryd started with.
#
# Windows of 1 s: one around each SIGHUP (from 0.5 s before to 0.5 s
# after), and the steady ones half-way between two SIGHUPs (and as far
# before the first and after the last); those not wholly inside the
# responses' span are left out.  Each kind of window is compared with the
# steady ones, the steady ones too (the spread of a window without a
# reload).  Latency goes into histograms of 1 %
# wide buckets, from which the p99s are read.

function bucket(us) { return us < 1 ? 0 : int(log(us) / LOGB) }
function bucket_us(b) { return exp((b + 0.5) * LOGB) }

# The p99 in ms of the histogram h[key, b] (keys and totals given).
function p99(h, key, total,	b, seen, want) {
	if (total <= 0)
		return -1
	want = total * 0.99
	seen = 0
	for (b = 0; b <= maxb; b++) {
		if ((key, b) in h)
			seen += h[key, b]
		if (seen >= want)
			return bucket_us(b) / 1000
	}
	return bucket_us(maxb) / 1000
}

# The window holding t (binary search over the sorted starts), or 0.
function window(t,	lo, hi, mid) {
	lo = 1
	hi = nw
	while (lo < hi) {
		mid = int((lo + hi + 1) / 2)
		if (wstart[mid] <= t)
			lo = mid
		else
			hi = mid - 1
	}
	return t >= wstart[lo] && t < wstart[lo] + 1000000 ? lo : 0
}

# The reload whose interval holds t: the last SIGHUP at or before t.
function interval(t,	i) {
	for (i = nr; i >= 1; i--)
		if (t >= hup[i])
			return i
	return 0
}

function median(a, n,	i, j, v) {
	for (i = 2; i <= n; i++) {
		v = a[i]
		for (j = i - 1; j >= 1 && a[j] > v; j--)
			a[j + 1] = a[j]
		a[j + 1] = v
	}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

function add_window(start, kind) {
	nw++
	wstart[nw] = start
	wkind[nw] = kind
}

BEGIN {
	LOGB = log(1.01)
	maxb = 0
	nr = 0
	half = every * 500000
}

FNR == NR {
	nr++
	hup[nr] = $3
	rkind[nr] = $2
	rpool[nr] = $4
	rcgi[nr] = $5
	next
}

FNR == 1 {
	# The windows, once the reloads are known: sorted by start.
	if (nw == 0 && nr > 0) {
		add_window(hup[1] - half - 500000, "steady")
		for (i = 1; i <= nr; i++) {
			add_window(hup[i] - 500000, rkind[i])
			if (i < nr)
				add_window((hup[i] + hup[i + 1]) / 2 - 500000,
				    "steady")
		}
		add_window(hup[nr] + half - 500000, "steady")
	}
	n = split(FILENAME, part, ".")
	mode = part[n - 1]
	target = part[n] == 1 ? "pool" : "cgi"
	fileno++
	modes[mode] = 1
}

{
	t = $1
	if (!(fileno in tmin) || t < tmin[fileno])
		tmin[fileno] = t
	if (!(fileno in tmax) || t > tmax[fileno])
		tmax[fileno] = t
	total[mode]++
	# The configuration in use when t falls after SIGHUP i (new), and
	# the one before it (old): an answer names one of the two.
	i = interval(t)
	if (target == "pool") {
		new = i > 0 ? rpool[i] : pool0
		old = i > 1 ? rpool[i - 1] : pool0
	} else {
		new = i > 0 ? rcgi[i] : cgi0
		old = i > 1 ? rcgi[i - 1] : cgi0
	}
	if ($3 != 200 || $2 < 0 || $4 != target ||
	    ($5 != new && $5 != old)) {
		bad++
		if ($3 != 200)
			non200++
		else
			wrong++
		next
	}
	w = nw > 0 ? window(t) : 0
	if (w > 0 && target == "pool" && (fileno in prev) &&
	    t - prev[fileno] > gap[w])
		gap[w] = t - prev[fileno]
	prev[fileno] = t
	if (w > 0) {
		g = mode SUBSEP target
		b = bucket($2)
		if (b > maxb)
			maxb = b
		cnt[w, g]++
		hist[w, g, b]++
	}
	if (i > 0) {
		# The first answer of the new configuration, and the last of
		# the old one, after each SIGHUP.
		if ($5 == new && (!((i, target) in first) ||
		    t - hup[i] < first[i, target]))
			first[i, target] = t - hup[i]
		if ($5 != new && $5 == old) {
			if (t - hup[i] > last[i, target])
				last[i, target] = t - hup[i]
			# Written after the SIGHUP, yet routed before it.
			if (t - $2 >= hup[i])
				late[rkind[i], target]++
		}
	}
	if (target == "pool") {
		# The pool's pids between two SIGHUPs, from 1 s after the
		# first: which workers answer once a reload has settled.
		j = interval(t - 1000000)
		if (j == interval(t))
			pids[j, $6] = 1
	}
}

END {
	# A window counts only where every log has responses on both sides.
	lo = 0
	hi = 0
	for (f = 1; f <= fileno; f++) {
		if (lo == 0 || tmin[f] > lo)
			lo = tmin[f]
		if (hi == 0 || tmax[f] < hi)
			hi = tmax[f]
	}
	nk = split("replace keep steady", kinds, " ")
	for (w = 1; w <= nw; w++) {
		ok[w] = wstart[w] >= lo && wstart[w] + 1000000 <= hi
		if (ok[w])
			nwin[wkind[w]]++
	}
	for (k in cnt) {
		split(k, kp, SUBSEP)
		if (!ok[kp[1]])
			continue
		g = kp[2] SUBSEP kp[3]
		kc[wkind[kp[1]], g] += cnt[k]
	}
	for (k in hist) {
		split(k, kp, SUBSEP)
		if (!ok[kp[1]])
			continue
		kh[wkind[kp[1]], kp[2], kp[3], kp[4]] += hist[k]
	}
	printf "%-8s %-5s %-6s %7s %12s %12s %6s %6s %11s %11s %6s %6s\n",
	    "reload", "conn", "target", "windows", "req/s steady",
	    "req/s reload", "ratio", "worst", "p99 steady", "p99 reload",
	    "ratio", "worst"
	# The steady row compares each steady window with them all: its
	# "worst" columns are the spread that noise alone gives.
	for (ki = 1; ki <= 3; ki++) {
		kind = kinds[ki]
		for (mi = 1; mi <= 2; mi++) {
			mode = mi == 1 ? "ka" : "close"
			if (!(mode in modes))
				continue
			for (ti = 1; ti <= 2; ti++) {
				target = ti == 1 ? "pool" : "cgi"
				g = mode SUBSEP target
				sn = nwin["steady"]
				rn = nwin[kind]
				if (sn == 0 || rn == 0)
					continue
				srps = kc["steady", g] / sn
				rrps = kc[kind, g] / rn
				sp = p99(kh, "steady" SUBSEP g, kc["steady", g])
				rp = p99(kh, kind SUBSEP g, kc[kind, g])
				# The worst single window of this kind.
				wr = -1
				wp = -1
				for (w = 1; w <= nw; w++) {
					if (!ok[w] || wkind[w] != kind)
						continue
					r = srps > 0 ? cnt[w, g] / srps : 0
					if (wr < 0 || r < wr)
						wr = r
					p = p99(hist, w SUBSEP g, cnt[w, g])
					r = sp > 0 ? p / sp : 0
					if (r > wp)
						wp = r
				}
				printf "%-8s %-5s %-6s %7d %12.0f %12.0f %6.2f %6.2f" \
				    " %8.2f ms %8.2f ms %6.2f %6.2f\n", kind, mode,
				    target, rn, srps, rrps,
				    (srps > 0 ? rrps / srps : 0), wr, sp, rp,
				    (sp > 0 ? rp / sp : 0), wp
			}
		}
	}
	print ""
	print "SIGHUP to the first answer of the new configuration (new), and" \
	    " to the last"
	print "answer of the old one (old: requests routed before the" \
	    " reload), median / max:"
	for (ki = 1; ki <= 2; ki++) {
		kind = kinds[ki]
		for (ti = 1; ti <= 2; ti++) {
			target = ti == 1 ? "pool" : "cgi"
			# A kept pool answers as before: nothing new to see.
			if (kind == "keep" && target == "pool")
				continue
			n = 0
			never = 0
			nl = 0
			split("", v)
			split("", vl)
			for (i = 1; i <= nr; i++) {
				if (rkind[i] != kind)
					continue
				if ((i, target) in first) {
					v[++n] = first[i, target] / 1000
					if (n == 1 || v[n] > mx)
						mx = v[n]
				} else
					never++
				vl[++nl] = last[i, target] / 1000
				if (nl == 1 || vl[nl] > mxl)
					mxl = vl[nl]
			}
			line = sprintf("  %-8s %-5s", kind, target)
			if (n == 0)
				line = line " new: never"
			else
				line = line sprintf(" new %6.1f / %6.1f ms   old" \
				    " %6.1f / %6.1f ms", median(v, n), mx,
				    median(vl, nl), mxl)
			if (never > 0)
				line = line sprintf("   never new after %d of" \
				    " %d", never, never + n)
			if (late[kind, target] > 0)
				line = line sprintf("   old answers to requests" \
				    " written after the SIGHUP: %d",
				    late[kind, target])
			print line
		}
	}
	# The longest pause between two answers of the pool to one wrk
	# thread (a loop that stops answering shows here), per window.
	line = "longest pause in one thread's pool answers in a window," \
	    " median / max:"
	for (ki = 1; ki <= 3; ki++) {
		n = 0
		split("", v)
		for (w = 1; w <= nw; w++)
			if (ok[w] && wkind[w] == kinds[ki]) {
				v[++n] = gap[w] / 1000
				if (n == 1 || v[n] > mx)
					mx = v[n]
			}
		if (n > 0)
			line = line sprintf(" %s %.1f / %.1f ms%s", kinds[ki],
			    median(v, n), mx, ki < 3 ? "," : "")
	}
	print line
	# Pool workers across each reload: the same pids after it (kept),
	# or none of the pids before it (replaced).
	for (i = 1; i <= nr; i++) {
		nb = 0
		na = 0
		same = 0
		for (k in pids) {
			split(k, kp, SUBSEP)
			if (kp[1] == i - 1) {
				nb++
				if ((i, kp[2]) in pids)
					same++
			} else if (kp[1] == i)
				na++
		}
		if (nb == 0 || na == 0)
			continue
		seen[rkind[i]]++
		if (same == nb && same == na)
			kept[rkind[i]]++
		else if (same == 0)
			fresh[rkind[i]]++
	}
	printf "pool workers 1 s after a reload: replace: %d of %d reloads" \
	    " answered by new workers only; keep: %d of %d by the same ones\n",
	    fresh["replace"], seen["replace"], kept["keep"], seen["keep"]
	all = 0
	for (m in total)
		all += total[m]
	printf "failed requests: %d of %d (non-200 %d, wrong answers %d, wrk" \
	    " socket errors %d)%s\n", bad + sockerr, all, non200, wrong,
	    sockerr, (bad + sockerr > 0 ? "  <-- must be 0" : "")
}
