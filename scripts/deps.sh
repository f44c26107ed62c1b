# Sourced by scripts/quickstart.sh and scripts/test.sh: installs what ferry
# needs from Debian's archive.  Safe to run again: apt-get skips what is there.
ferry_build_deps="autoconf automake libtool pkg-config make gcc libc6-dev
	libev-dev libfcgi-dev check libinih-dev nettle-dev libsystemd-dev libseccomp-dev"
ferry_test_deps="clang libclang-rt-14-dev curl php-cgi fcgiwrap nginx-light
	python3-websocket systemd prometheus haproxy"

ferry_install_deps() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "ferry: missing Debian packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
		return 1
	fi
	echo "ferry: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing
}
