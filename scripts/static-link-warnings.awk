# Filters `go build` output for the statically linked wasmtime workers
# (mk/wasmtime.mk). GNU ld warns, in two lines each, that glibc functions
# such as getpwuid_r, getaddrinfo and dlopen "in statically linked
# applications require at runtime the shared libraries from the glibc
# version used for linking". In libwasmtime.a they sit on code paths the
# workers never take (a home-directory lookup for the cache, Rust's
# std::net, VTune's profiling agent), so each such pair is dropped and
# counted, and one line names them. Everything else passes through,
# including go build's "# package" line when anything else follows it.
#
#   awk -v target=bin/bench-wasmtime -f scripts/static-link-warnings.awk
function flush() {
	if (header != "") { print header; header = "" }
	if (pending != "") { print pending; pending = "" }
}
/^# / { flush(); header = $0; next }
/: in function / { if (pending != "") flush(); pending = $0; next }
/warning: Using '[^']*' in statically linked applications requires at runtime the shared libraries/ {
	f = $0
	sub(/.*warning: Using '/, "", f)
	sub(/'.*/, "", f)
	if (!(f in seen)) { seen[f] = 1; names = names (names == "" ? "" : ", ") f }
	n++
	pending = ""
	next
}
{ flush(); print }
END {
	if (pending != "") flush()
	if (n > 0)
		printf "%s: %d known ld warnings hidden (%s in a static binary: paths wasmtime does not take; see mk/wasmtime.mk)\n", target, n, names
}
