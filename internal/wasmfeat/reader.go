package wasmfeat

import "errors"

var (
	errEOF      = errors.New("unexpected end")
	errOverflow = errors.New("LEB128 integer too long")
)

// reader reads the binary format's bytes and LEB128 integers; off is the
// offset in the whole module, for errors.
type reader struct {
	b    []byte
	pos  int
	base int // offset of b[0] in the module
	off  int // the module offset of pos, kept current for errors
}

func (r *reader) done() bool { return r.pos >= len(r.b) }

func (r *reader) sync() { r.off = r.base + r.pos }

func (r *reader) peek() (byte, error) {
	r.sync()
	if r.pos >= len(r.b) {
		return 0, errEOF
	}
	return r.b[r.pos], nil
}

func (r *reader) byte() (byte, error) {
	c, err := r.peek()
	if err == nil {
		r.pos++
	}
	return c, err
}

// bytes returns the next n bytes.
func (r *reader) bytes(n int) ([]byte, error) {
	r.sync()
	if n < 0 || n > len(r.b)-r.pos {
		return nil, errEOF
	}
	out := r.b[r.pos : r.pos+n]
	r.pos += n
	r.sync()
	return out, nil
}

// u32 reads an unsigned LEB128 integer of at most 32 bits.
func (r *reader) u32() (uint32, error) {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift == 28 && c&0x70 != 0 {
			return 0, errOverflow
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errOverflow
}

// s33 reads a signed LEB128 integer of at most 33 bits (block types, heap
// types; also good for i32.const).
func (r *reader) s33() (int64, error) {
	var v int64
	shift := 0
	for {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift >= 35 {
			return 0, errOverflow
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, nil
		}
	}
}

// s64 skips a signed LEB128 integer of at most 64 bits.
func (r *reader) s64() error {
	for i := 0; i < 10; i++ {
		c, err := r.byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return errOverflow
}
