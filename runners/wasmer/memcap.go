package wasmer

import (
	"bytes"
	"errors"

	"github.com/wasmbench/bench/runners"
)

// Wasmer 2.x has no memory limit API, but it honours a module's declared
// memory maximum, as the spec requires: memory.grow past it returns -1.
// capMemory lowers that maximum to the job's cap before the module is
// compiled, so the cap is on the guest's linear memory, as under the
// runtimes that have a limit of their own. (A cap on the whole worker
// process, RLIMIT_DATA, was tried first: a guest that grows until refused
// also uses up the headroom the runtime needs, and under Cranelift the
// trap that follows aborted the worker for want of memory.)

const wasmPage = 64 << 10

// capMemory returns wasm with the maximum of each memory it defines set to
// at most maxBytes (in whole pages), or wasm itself when maxBytes is 0 or
// the module defines no memory. A module whose initial memory is already
// over the cap is a KindMemory error. Imported memories are left alone
// (Wasmer's WASI host provides none).
func capMemory(wasm []byte, maxBytes int64) ([]byte, error) {
	if maxBytes <= 0 || !bytes.HasPrefix(wasm, wasmMagic) || len(wasm) < 8 {
		return wasm, nil
	}
	pages := uint64(maxBytes / wasmPage)
	off := 8
	for off < len(wasm) {
		start := off
		id := wasm[off]
		size, n, err := uleb(wasm[off+1:])
		if err != nil {
			return nil, runners.Errorf(runners.KindCompile, "section at byte %d: %v", start, err)
		}
		body := off + 1 + n
		end := body + int(size)
		if size > uint64(len(wasm)) || end > len(wasm) {
			return nil, runners.Errorf(runners.KindCompile, "section %d at byte %d runs past the end of the module", id, start)
		}
		off = end
		if id != 5 { // the memory section
			continue
		}
		payload, err := capMemorySection(wasm[body:end], pages)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(wasm)+16)
		out = append(out, wasm[:start]...)
		out = append(out, 5)
		out = appendULEB(out, uint64(len(payload)))
		out = append(out, payload...)
		return append(out, wasm[end:]...), nil
	}
	return wasm, nil
}

// capMemorySection rewrites a memory section's limits.
func capMemorySection(sec []byte, pages uint64) ([]byte, error) {
	count, n, err := uleb(sec)
	if err != nil {
		return nil, runners.Errorf(runners.KindCompile, "memory section: %v", err)
	}
	out := appendULEB(nil, count)
	p := n
	for i := uint64(0); i < count; i++ {
		if p >= len(sec) {
			return nil, runners.Errorf(runners.KindCompile, "memory section: truncated")
		}
		flags := sec[p]
		p++
		if flags > 3 { // memory64 and beyond: not Wasmer 2's to run
			return nil, runners.Errorf(runners.KindUnsupported, "memory with limits flags %#x (memory64?)", flags)
		}
		min, n, err := uleb(sec[p:])
		if err != nil {
			return nil, runners.Errorf(runners.KindCompile, "memory section: %v", err)
		}
		p += n
		max := pages
		if flags&1 != 0 {
			m, n, err := uleb(sec[p:])
			if err != nil {
				return nil, runners.Errorf(runners.KindCompile, "memory section: %v", err)
			}
			p += n
			max = minU(m, pages)
		}
		if min > pages {
			return nil, runners.Errorf(runners.KindMemory, "the module starts with %d MiB of linear memory, over the %d MiB cap",
				min*wasmPage>>20, pages*wasmPage>>20)
		}
		out = append(out, flags|1)
		out = appendULEB(out, min)
		out = appendULEB(out, max)
	}
	if p != len(sec) {
		return nil, runners.Errorf(runners.KindCompile, "memory section: %d bytes left over", len(sec)-p)
	}
	return out, nil
}

func minU(a, b uint64) uint64 {
	if a < b {
		return a
	}
	return b
}

var errLEB = errors.New("bad LEB128 number")

// uleb decodes an unsigned LEB128 number of at most 64 bits.
func uleb(b []byte) (v uint64, n int, err error) {
	for shift := uint(0); n < len(b) && shift < 64; shift += 7 {
		c := b[n]
		n++
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, n, nil
		}
	}
	return 0, 0, errLEB
}

func appendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}
