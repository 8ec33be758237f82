#!/usr/bin/env bash
# Does a fresh clone pass `make test` on a machine that has nothing?
#
#   sudo scripts/fresh-machine.sh [--keep] [--rebuild-base] [--network host|bridge]
#
# 1. Builds a minimal Debian root with debootstrap (--variant=minbase: apt,
#    dpkg, coreutils, bash; no compiler, no git, no make), from the archive
#    and apt sources this machine uses: the mirror and suite of its Debian
#    source, and then its enabled /etc/apt/sources.list* files with the keys
#    they name (a NodeSource source and its key come along when enabled) and
#    its Acquire:: settings, and its local certificate authorities
#    (/usr/local/share/ca-certificates, where a TLS-inspecting egress proxy
#    puts its CA; without it the Go module download fails with "x509:
#    certificate signed by unknown authority"). `docker import` turns it
#    into an image; no registry is involved. The root is cached (tarball and image), keyed by
#    the sources, so a rerun starts in seconds.
# 2. Clones the committed tree (HEAD of this checkout; uncommitted changes
#    are not tested) into a scratch folder.
# 3. Runs, in a container of that image, with this machine's Go toolchain
#    mounted read-only at /usr/local/go and CI=true (so a test that would
#    skip for want of a tool fails instead, as on CI):
#      bash scripts/setup.sh        installs every package, proves toolchains
#      dockerd                      started as the machine would at boot
#      make test                    every module, with its summary
#      bin/bench run --quick --runtime wazero,native
#    and prints the wall time of each, or names the first missing piece.
#
# Docker and runc inside: the container is privileged, so runc can make
# its namespaces and cgroups, and a Docker daemon of its own (Debian's
# docker.io, which setup installs when there is no docker) runs inside
# with its storage in the scratch folder: container-local's tests then see
# the same paths, loopback and cgroups as their containers, which binding
# this machine's Docker socket would not give (the host daemon would
# resolve the tests' bind mounts and /proc paths in its own namespace).
# Where the daemon cannot grant --privileged (a sandboxed host whose
# capability bounding set lacks some, e.g. CAP_SYS_RESOURCE), the container
# gets the same by parts: every capability the host has, no seccomp or
# AppArmor profile, every device, unmasked /proc, /sys remounted
# read-write and each cgroup v1 hierarchy mounted whole at its start.
#
# Needs root, a running Docker daemon, debootstrap (installed when missing)
# and Go at $(go env GOROOT). Not part of CI: it takes a long while (see
# README). Logs: $CACHE/runs/; scratch: /var/tmp/bench-fresh.* (removed
# unless --keep).
set -euo pipefail

keep=no
rebuild=no
network=bridge
while [ $# -gt 0 ]; do
	case "$1" in
	--keep) keep=yes ;;
	--rebuild-base) rebuild=yes ;;
	--network) network=${2:?--network needs host or bridge}; shift ;;
	--network=*) network=${1#--network=} ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "fresh-machine: unknown argument $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$network" in host | bridge) ;; *) echo "fresh-machine: --network is host or bridge, not $network" >&2; exit 2 ;; esac

say() { echo "fresh-machine: $*"; }
die() { echo "fresh-machine: $*" >&2; exit 1; }
dur() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# The checkout to test: this script's (BENCH_FRESH_REPO to run a copy of
# the script, which is safer while editing it: bash reads a script as it
# runs).
repo=$(git -C "${BENCH_FRESH_REPO:-$(dirname "$0")/..}" rev-parse --show-toplevel)
commit=$(git -C "$repo" rev-parse HEAD)
cache=${BENCH_FRESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bench-fresh-machine}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, and a --privileged container): run it with sudo"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
	die "the Docker daemon is not reachable (docker version failed): start it, or run where Docker runs"
goroot=$(go env GOROOT 2>/dev/null) && [ -x "$goroot/bin/go" ] ||
	die "no Go toolchain (go env GOROOT): install Go at /usr/local/go first"
goproxy=$(go env GOPROXY)
gosumdb=$(go env GOSUMDB)
if ! command -v debootstrap >/dev/null 2>&1; then
	say "installing debootstrap (a tool of this script, not of bench)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null ||
		die "apt-get install debootstrap failed"
fi

# --- this machine's apt sources -----------------------------------------
. /etc/os-release
codename=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
src_files=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] && src_files+=("$f")
done
[ ${#src_files[@]} -gt 0 ] || die "no apt sources in /etc/apt/sources.list*"
# One line per enabled "deb" entry: URI SUITE KEYRING ("-" when none).
entries=$(
	for f in "${src_files[@]}"; do
		case "$f" in
		*.sources)
			awk 'BEGIN{RS=""; FS="\n"}
			{
				types=""; uris=""; suites=""; key="-"; enabled="yes"
				for (i = 1; i <= NF; i++) {
					line = $i
					if (line ~ /^#/) continue
					split(line, kv, ":"); k = tolower(kv[1]); v = substr(line, length(kv[1]) + 2)
					gsub(/^[ \t]+|[ \t]+$/, "", v)
					if (k == "types") types = v
					else if (k == "uris") uris = v
					else if (k == "suites") suites = v
					else if (k == "signed-by") key = v
					else if (k == "enabled") enabled = tolower(v)
				}
				if (enabled == "no" || (" " types " ") !~ / deb /) next
				nu = split(uris, U, " "); ns = split(suites, S, " ")
				for (a = 1; a <= nu; a++) for (b = 1; b <= ns; b++) print U[a], S[b], key
			}' "$f"
			;;
		*)
			sed -e 's/#.*//' "$f" | awk '$1 == "deb" {
				key = "-"; i = 2
				if ($2 ~ /^\[/) {
					while (i <= NF) { if ($i ~ /signed-by=/) { key = $i; sub(/.*signed-by=/, "", key); sub(/\]$/, "", key) } if ($i ~ /\]$/) { i++; break } i++ }
				}
				print $i, $(i + 1), key
			}'
			;;
		esac
	done
)
read -r mirror _ keyring < <(echo "$entries" | awk -v c="$codename" '$2 == c {print; exit}') ||
	die "no enabled 'deb' source for $codename in ${src_files[*]}"
[ "$keyring" = - ] && keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "the keyring $keyring that the $codename source names is missing"
keys=$(echo "$entries" | awk '$3 != "-" && $3 ~ /^\// {print $3}' | sort -u)
acquire=()
for f in /etc/apt/apt.conf.d/*; do
	[ -f "$f" ] || continue
	# Only files that set Acquire:: options (e.g. a snapshot mirror's
	# Check-Valid-Until), not hooks that call this machine's programs.
	if grep -qE '^[[:space:]]*Acquire::' "$f" && ! grep -vE '^[[:space:]]*(Acquire::|//|#|$)' "$f" >/dev/null; then
		acquire+=("$f")
	fi
done

local_cas=()
while IFS= read -r -d '' f; do local_cas+=("$f"); done < <(find /usr/local/share/ca-certificates -name '*.crt' -print0 2>/dev/null)

base_version=1 # bump when the base root's recipe changes
key=$( {
	echo "$base_version $codename $mirror"
	sha256sum "$keyring"
	for f in "${src_files[@]}" ${keys} "${acquire[@]}" "${local_cas[@]}"; do echo "$f"; cat "$f"; done
} | sha256sum | cut -c1-12)
image=bench-fresh-base:$key
tarball=$cache/base-$codename-$key.tar
mkdir -p "$cache/runs"

# --- the base image ----------------------------------------------------
t0=$SECONDS
if [ $rebuild = yes ]; then
	docker image rm -f "$image" >/dev/null 2>&1 || true
	rm -f "$tarball"
fi
if docker image inspect "$image" >/dev/null 2>&1; then
	say "base image $image (cached; --rebuild-base to remake it)"
else
	if [ ! -f "$tarball" ]; then
		root=$(mktemp -d /var/tmp/bench-fresh-root.XXXXXX)
		trap 'rm -rf "$root"' EXIT
		say "debootstrap --variant=minbase $codename from $mirror into $root (a few minutes)"
		if ! debootstrap --variant=minbase --keyring="$keyring" "$codename" "$root" "$mirror" \
			>"$cache/runs/debootstrap.log" 2>&1; then
			tail -n 20 "$cache/runs/debootstrap.log" >&2
			die "debootstrap failed (log: $cache/runs/debootstrap.log)"
		fi
		# This machine's sources, keys and Acquire settings.
		rm -f "$root/etc/apt/sources.list"
		for f in "${src_files[@]}"; do
			case "$f" in
			/etc/apt/sources.list) cp "$f" "$root/etc/apt/sources.list" ;;
			*) cp "$f" "$root/etc/apt/sources.list.d/" ;;
			esac
		done
		for k in $keys; do
			[ -f "$k" ] || die "the apt source key $k is missing"
			mkdir -p "$root$(dirname "$k")"
			cp "$k" "$root$k"
		done
		for f in "${acquire[@]}"; do cp "$f" "$root/etc/apt/apt.conf.d/"; done
		# This machine's local certificate authorities (a TLS-inspecting
		# egress proxy's, say): trusted once setup installs ca-certificates.
		for f in "${local_cas[@]}"; do
			mkdir -p "$root/usr/local/share/ca-certificates"
			cp "$f" "$root/usr/local/share/ca-certificates/"
		done
		# As in Docker's own Debian images: packages do not start services
		# inside the image (docker.io's postinst would start a daemon).
		printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
		chmod 0755 "$root/usr/sbin/policy-rc.d"
		rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
		tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
		rm -rf "$root"
		trap - EXIT
	fi
	say "docker import $tarball as $image"
	docker import --change 'ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		"$tarball" "$image" >/dev/null
fi
say "base ready in $(dur $((SECONDS - t0)))"

# --- a clean clone and the run ------------------------------------------
work=$(mktemp -d /var/tmp/bench-fresh.XXXXXX)
name=bench-fresh-$$
log=$cache/runs/$(date -u +%Y%m%dT%H%M%SZ)-$(git -C "$repo" rev-parse --short HEAD).log
cleanup() {
	docker rm -f "$name" >/dev/null 2>&1 || true
	if [ $keep = yes ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
	say "note: $repo has uncommitted changes; they are not tested (the clone is of $commit)"
fi
git clone --quiet "$repo" "$work/src"
git -C "$work/src" checkout --quiet --detach "$commit" 2>/dev/null ||
	die "commit $commit is on no branch of $repo: commit it on a branch"
mkdir -p "$work/root" "$work/tmp" "$work/docker" "$work/out"
echo "$commit" >"$work/out/commit"
chmod 1777 "$work/tmp"

cat >"$work/out/inner.sh" <<'EOF'
#!/bin/bash
# Runs inside the fresh container (scripts/fresh-machine.sh).
set -uo pipefail
cd /src
dur() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
step() { # step NAME COMMAND...: runs it, records "NAME rc seconds" in /out/times
	local name=$1 t0=$SECONDS rc; shift
	echo "fresh-machine: ==== $name: $*"
	"$@"; rc=$?
	echo "$name $rc $((SECONDS - t0))" >>/out/times
	echo "fresh-machine: ==== $name: exit $rc after $(dur $((SECONDS - t0)))"
	return $rc
}
start_dockerd() {
	command -v dockerd >/dev/null || { echo "fresh-machine: no dockerd (setup installs docker.io when there is no docker)"; return 1; }
	# The container's own daemon: no bridge or iptables rules (the tests'
	# containers use --network host), storage on the scratch folder.
	dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
		>/out/dockerd.log 2>&1 &
	for _ in $(seq 60); do docker version >/dev/null 2>&1 && { docker info --format 'dockerd {{.ServerVersion}}, storage {{.Driver}}, cgroup {{.CgroupDriver}}'; return 0; }; sleep 1; done
	tail -n 20 /out/dockerd.log; return 1
}
if [ "${FRESH_REMOUNT:-}" = 1 ]; then
	# What --privileged would have given: a writable /sys and writable
	# cgroups. Each cgroup v1 hierarchy is mounted whole, as on the
	# machine itself (root "/", where /proc/self/cgroup's paths start):
	# Docker's bind mount of the container's own subtree would make runc
	# and dockerd place the tests' containers somewhere else than the
	# cgroups the tests create and read.
	mount -o remount,rw /sys || exit 1
	awk '$3 == "cgroup" {print $2, $4}' /proc/self/mounts | while read -r mp opts; do
		sub=$(echo "$opts" | tr , '\n' | grep -vxE 'rw|ro|nosuid|nodev|noexec|relatime' | paste -sd, -)
		umount "$mp" && mount -t cgroup -o "rw,nosuid,nodev,noexec,relatime,$sub" cgroup "$mp" || exit 1
	done || exit 1
fi
echo "fresh-machine: $(. /etc/os-release; echo "$PRETTY_NAME"), $(go version), $(nproc) cores, commit $(cat /out/commit)"
step setup bash scripts/setup.sh || exit 1
step dockerd start_dockerd || true
step make-test make test
step quick-run bin/bench run --quick --runtime wazero,native --out /out/quick-run
EOF

# --privileged, or the same by parts where the daemon cannot grant every
# capability (see the header).
privileged=(--privileged)
if ! docker run --rm --privileged "$image" true >/dev/null 2>&1; then
	capnames=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
		LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
		SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
		SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
		MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ)
	bnd=$((16#$(awk '/^CapBnd/ {print $2}' /proc/self/status)))
	privileged=(--cap-add ALL --security-opt seccomp=unconfined --security-opt apparmor=unconfined
		--security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm' -e FRESH_REMOUNT=1)
	dropped=()
	for i in "${!capnames[@]}"; do
		if [ $(((bnd >> i) & 1)) -eq 0 ]; then
			privileged+=(--cap-drop "${capnames[$i]}")
			dropped+=("${capnames[$i]}")
		fi
	done
	say "docker cannot grant --privileged here; the container gets every capability but ${dropped[*]:-none}, unconfined, with cgroups remounted read-write"
fi

say "clone of $commit in $work/src; container $name ($network network); log $log"
say "this takes a long while (setup installs about 2.3 GB of packages; make test builds and tests everything)"
t_run=$SECONDS
set +e
docker run --rm --name "$name" "${privileged[@]}" --network "$network" \
	-v "$goroot:/usr/local/go:ro" \
	-v "$work/src:/src" -v "$work/root:/root" -v "$work/tmp:/tmp" \
	-v "$work/docker:/var/lib/docker" -v "$work/out:/out" \
	-e CI=true -e HOME=/root -e GOPROXY="$goproxy" -e GOSUMDB="$gosumdb" \
	"$image" bash /out/inner.sh 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
say "container exited $rc after $(dur $((SECONDS - t_run)))"

# --- what it found ---------------------------------------------------------
echo
say "commit $commit on a fresh $codename ($image)"
declare -A st=() tm=()
if [ -f "$work/out/times" ]; then
	while read -r n r s; do st[$n]=$r; tm[$n]=$s; done <"$work/out/times"
fi
failed=no
for n in setup dockerd make-test quick-run; do
	if [ -z "${st[$n]:-}" ]; then
		printf 'fresh-machine:   %-10s not run\n' "$n"
	elif [ "${st[$n]}" = 0 ]; then
		printf 'fresh-machine:   %-10s ok      %s\n' "$n" "$(dur "${tm[$n]}")"
	else
		printf 'fresh-machine:   %-10s FAILED  %s (exit %s)\n' "$n" "$(dur "${tm[$n]}")" "${st[$n]}"
		failed=yes
	fi
done
[ -n "${st[make-test]:-}" ] || failed=yes
[ -n "${st[quick-run]:-}" ] || failed=yes
if [ $failed = yes ] || [ "$rc" -ne 0 ]; then
	# The first missing piece: a probe or apt failure, else the first
	# failing test with the first line of its output that names a tool, a
	# package or a file (or its first line).
	first=$(grep -m1 -E 'probe: .*FAILED|apt-get failed|go mod download failed|^E: ' "$log" || true)
	[ -n "$first" ] && first="$first$(grep -m1 'missing Debian package' "$log" | sed 's/^probe: */ — /' || true)"
	if [ -z "$first" ]; then
		first=$(awk '
			/^[[:space:]]*--- FAIL: / && test == "" { test = $3; next }
			test != "" && /^(FAIL|ok|---|=== )/ { exit }
			test != "" && msg == "" && NF > 0 { msg = $0 }
			test != "" && tolower($0) ~ /apt-get install|not installed|is missing|not found|no such file|unavailable|must run on ci|not reachable|cannot|permission denied|differs/ { msg = $0; exit }
			END { if (test != "") { gsub(/^[[:space:]]+/, "", msg); print test ": " msg } }' "$log")
	fi
	[ -n "$first" ] || first=$(grep -m1 -E 'Error [0-9]+|error:' "$log" || true)
	say "first missing piece: ${first:-see the log}"
	grep -E '^(ok|FAIL) +[0-9]+m[0-9]+s ' "$log" | sed 's/^/fresh-machine:   module /' || true
	say "log: $log"
	exit 1
fi
grep -E '^(ok|FAIL) +[0-9]+m[0-9]+s ' "$log" | sed 's/^/fresh-machine:   module /' || true
say "PASS: make test $(dur "${tm[make-test]}"), bench run --quick --runtime wazero,native $(dur "${tm[quick-run]}") (setup $(dur "${tm[setup]}"); log $log)"
