package wasmfeat

import (
	"errors"
	"fmt"
	"sort"
)

// Feature is a WebAssembly feature beyond 1.0 that a runtime or tier may
// lack.
type Feature int

// The features, in the order Detect lists them. Their names (String) are
// the ones bench's messages use.
const (
	SIMD Feature = iota
	Threads
	TailCalls
	Exceptions
	ExtendedConst
	TypedFuncRefs
	BulkMemory
	ReferenceTypes
	MultiValue
	SignExtension
	NonTrappingFloatToInt
	numFeatures
)

var featureNames = [numFeatures]string{
	SIMD:                  "SIMD",
	Threads:               "threads (atomics)",
	TailCalls:             "tail calls",
	Exceptions:            "exception handling",
	ExtendedConst:         "extended constant expressions",
	TypedFuncRefs:         "typed function references",
	BulkMemory:            "bulk memory",
	ReferenceTypes:        "reference types",
	MultiValue:            "multi-value",
	SignExtension:         "sign-extension operators",
	NonTrappingFloatToInt: "non-trapping float-to-int conversions",
}

// String is the feature's name in messages: "SIMD", "threads (atomics)".
func (f Feature) String() string {
	if f >= 0 && f < numFeatures {
		return featureNames[f]
	}
	return fmt.Sprintf("Feature(%d)", int(f))
}

// All lists every feature the package names, in Detect's order.
func All() []Feature {
	out := make([]Feature, numFeatures)
	for i := range out {
		out[i] = Feature(i)
	}
	return out
}

// ErrUnknownFeature is wrapped by Detect's error when the module uses a
// construct that none of the features it names explains (garbage
// collection types, 64-bit or multiple memories, a newer proposal).
var ErrUnknownFeature = errors.New("a feature this reader does not name")

// Detect returns the features beyond WebAssembly 1.0 that the module wasm
// uses, in the order of All, none for a plain 1.0 module. A file that is
// not a WebAssembly binary, or is truncated or malformed, is an error
// naming the section and offset.
func Detect(wasm []byte) ([]Feature, error) {
	d := &decoder{r: reader{b: wasm}}
	if err := d.module(); err != nil {
		return nil, err
	}
	var out []Feature
	for f := Feature(0); f < numFeatures; f++ {
		if d.used[f] {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

var sectionNames = map[byte]string{
	secCustom: "custom", secType: "type", secImport: "import", secFunction: "function",
	secTable: "table", secMemory: "memory", secGlobal: "global", secExport: "export",
	secStart: "start", secElement: "element", secCode: "code", secData: "data",
	secDataCount: "data count", secTag: "tag",
}

// Value and reference type codes.
const (
	tI32       = 0x7f
	tI64       = 0x7e
	tF32       = 0x7d
	tF64       = 0x7c
	tV128      = 0x7b
	tFuncref   = 0x70
	tExternref = 0x6f
	tExnref    = 0x69
	tRefNull   = 0x63 // (ref null ht)
	tRef       = 0x64 // (ref ht)
	tEmpty     = 0x40 // the empty block type
)

type decoder struct {
	r       reader
	used    [numFeatures]bool
	section string
	tables  int // imported and defined
}

func (d *decoder) use(f Feature) { d.used[f] = true }

// errorf is a malformed-module error at the reader's offset.
func (d *decoder) errorf(format string, args ...any) error {
	where := "header"
	if d.section != "" {
		where = d.section + " section"
	}
	return fmt.Errorf("wasm: %s at offset %d: %s", where, d.r.off, fmt.Sprintf(format, args...))
}

// unknown is an ErrUnknownFeature error at the reader's offset.
func (d *decoder) unknown(what string) error {
	return fmt.Errorf("%w: %s", ErrUnknownFeature, d.errorf("%s", what))
}

func (d *decoder) module() error {
	magic, err := d.r.bytes(8)
	if err != nil || string(magic[:4]) != "\x00asm" {
		return errors.New("wasm: not a WebAssembly binary module (no \\0asm magic)")
	}
	if v := uint32(magic[4]) | uint32(magic[5])<<8 | uint32(magic[6])<<16 | uint32(magic[7])<<24; v != 1 {
		if magic[6] != 0 || magic[7] != 0 {
			return errors.New("wasm: a component or layered binary (version " + fmt.Sprint(v) + "), not a core module")
		}
		return fmt.Errorf("wasm: binary format version %d, want 1", v)
	}
	for !d.r.done() {
		id, err := d.r.byte()
		if err != nil {
			return d.errorf("%v", err)
		}
		name, ok := sectionNames[id]
		if !ok {
			d.section = ""
			return d.errorf("unknown section id %d", id)
		}
		d.section = name
		size, err := d.r.u32()
		if err != nil {
			return d.errorf("section size: %v", err)
		}
		body, err := d.r.bytes(int(size))
		if err != nil {
			return d.errorf("section of %d bytes: %v", size, err)
		}
		sub := &decoder{r: reader{b: body, base: d.r.off - len(body)}, section: name, tables: d.tables}
		if err := sub.sectionBody(id); err != nil {
			return err
		}
		if !sub.r.done() && id != secCustom {
			return sub.errorf("%d bytes left over", len(sub.r.b)-sub.r.pos)
		}
		for i, u := range sub.used {
			d.used[i] = d.used[i] || u
		}
		d.tables = sub.tables
	}
	d.section = ""
	if d.tables > 1 {
		d.use(ReferenceTypes)
	}
	return nil
}

func (d *decoder) sectionBody(id byte) error {
	switch id {
	case secCustom:
		return nil
	case secType:
		return d.vec(d.funcType)
	case secImport:
		return d.vec(d.importEntry)
	case secFunction:
		return d.vec(func() error { _, err := d.r.u32(); return d.wrap(err) })
	case secTable:
		return d.vec(d.table)
	case secMemory:
		n := 0
		err := d.vec(func() error { n++; return d.limits(true) })
		if err == nil && n > 1 {
			return d.unknown("more than one memory")
		}
		return err
	case secGlobal:
		return d.vec(func() error {
			if err := d.globalType(); err != nil {
				return err
			}
			return d.constExpr()
		})
	case secExport:
		return d.vec(func() error {
			if err := d.name(); err != nil {
				return err
			}
			kind, err := d.r.byte()
			if err != nil {
				return d.wrap(err)
			}
			if kind > 4 {
				return d.errorf("unknown export kind %d", kind)
			}
			if kind == 4 {
				d.use(Exceptions)
			}
			_, err = d.r.u32()
			return d.wrap(err)
		})
	case secStart:
		_, err := d.r.u32()
		return d.wrap(err)
	case secElement:
		return d.vec(d.element)
	case secCode:
		return d.vec(d.code)
	case secData:
		return d.vec(d.data)
	case secDataCount:
		d.use(BulkMemory)
		_, err := d.r.u32()
		return d.wrap(err)
	case secTag:
		d.use(Exceptions)
		return d.vec(d.tagType)
	}
	return d.errorf("unknown section id %d", id)
}

// wrap turns a reader error into a malformed-module error.
func (d *decoder) wrap(err error) error {
	if err == nil {
		return nil
	}
	return d.errorf("%v", err)
}

// vec reads a count and calls item that many times.
func (d *decoder) vec(item func() error) error {
	n, err := d.r.u32()
	if err != nil {
		return d.wrap(err)
	}
	if int(n) > len(d.r.b)-d.r.pos { // every item takes at least one byte
		return d.errorf("vector of %d items in %d bytes", n, len(d.r.b)-d.r.pos)
	}
	for i := uint32(0); i < n; i++ {
		if err := item(); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) name() error {
	n, err := d.r.u32()
	if err != nil {
		return d.wrap(err)
	}
	_, err = d.r.bytes(int(n))
	return d.wrap(err)
}

func (d *decoder) funcType() error {
	form, err := d.r.byte()
	if err != nil {
		return d.wrap(err)
	}
	switch form {
	case 0x60:
	case 0x4e, 0x50, 0x4f, 0x5e, 0x5f: // rec, sub, sub final, array, struct
		return d.unknown(fmt.Sprintf("garbage collection type (form 0x%02x)", form))
	default:
		return d.errorf("unknown type form 0x%02x", form)
	}
	if err := d.vec(d.valType); err != nil {
		return err
	}
	results := 0
	if err := d.vec(func() error { results++; return d.valType() }); err != nil {
		return err
	}
	if results > 1 {
		d.use(MultiValue)
	}
	return nil
}

// valType reads a value type, noting the feature it belongs to.
func (d *decoder) valType() error {
	t, err := d.r.byte()
	if err != nil {
		return d.wrap(err)
	}
	return d.valTypeCode(t)
}

func (d *decoder) valTypeCode(t byte) error {
	switch t {
	case tI32, tI64, tF32, tF64:
	case tV128:
		d.use(SIMD)
	case tFuncref, tExternref:
		d.use(ReferenceTypes)
	case tExnref:
		d.use(Exceptions)
	case tRefNull, tRef:
		d.use(TypedFuncRefs)
		return d.heapType()
	default:
		return d.typeCodeError(t)
	}
	return nil
}

func (d *decoder) typeCodeError(t byte) error {
	if t >= 0x65 && t <= 0x6e || t == 0x6a || t == 0x6b || t == 0x6c || t == 0x6d {
		return d.unknown(fmt.Sprintf("garbage collection reference type 0x%02x", t))
	}
	return d.errorf("unknown value type 0x%02x", t)
}

// heapType reads the heap type of (ref null? ht) or ref.null.
func (d *decoder) heapType() error {
	v, err := d.r.s33()
	if err != nil {
		return d.wrap(err)
	}
	if v >= 0 {
		d.use(TypedFuncRefs) // a type index
		return nil
	}
	switch byte(v & 0x7f) {
	case tFuncref, tExternref:
		return nil
	case tExnref:
		d.use(Exceptions)
		return nil
	}
	return d.typeCodeError(byte(v & 0x7f))
}

// refType reads a table's or element segment's reference type.
func (d *decoder) refType() error {
	t, err := d.r.byte()
	if err != nil {
		return d.wrap(err)
	}
	switch t {
	case tFuncref:
		return nil // the 1.0 table type
	case tExternref:
		d.use(ReferenceTypes)
		return nil
	case tRefNull, tRef:
		d.use(TypedFuncRefs)
		return d.heapType()
	}
	return d.typeCodeError(t)
}

func (d *decoder) importEntry() error {
	if err := d.name(); err != nil {
		return err
	}
	if err := d.name(); err != nil {
		return err
	}
	kind, err := d.r.byte()
	if err != nil {
		return d.wrap(err)
	}
	switch kind {
	case 0:
		_, err := d.r.u32()
		return d.wrap(err)
	case 1:
		return d.tableType()
	case 2:
		return d.limits(true)
	case 3:
		return d.globalType()
	case 4:
		d.use(Exceptions)
		return d.tagType()
	}
	return d.errorf("unknown import kind %d", kind)
}

func (d *decoder) tableType() error {
	d.tables++
	if err := d.refType(); err != nil {
		return err
	}
	return d.limits(false)
}

// table reads a table section entry: a table type, or (typed function
// references) 0x40 0x00, a table type and an initializer.
func (d *decoder) table() error {
	if b, err := d.r.peek(); err == nil && b == 0x40 {
		d.r.pos++
		if z, err := d.r.byte(); err != nil || z != 0 {
			return d.errorf("table with initializer: want 0x00 after 0x40")
		}
		d.use(TypedFuncRefs)
		if err := d.tableType(); err != nil {
			return err
		}
		return d.constExpr()
	}
	return d.tableType()
}

// limits reads a table's or memory's limits; a shared memory is threads'.
func (d *decoder) limits(memory bool) error {
	flags, err := d.r.byte()
	if err != nil {
		return d.wrap(err)
	}
	if flags > 3 {
		if memory && flags <= 7 {
			return d.unknown("a 64-bit memory")
		}
		return d.errorf("unknown limits flags 0x%02x", flags)
	}
	if flags&2 != 0 {
		if !memory {
			return d.errorf("a shared table")
		}
		d.use(Threads)
	}
	if _, err := d.r.u32(); err != nil {
		return d.wrap(err)
	}
	if flags&1 != 0 {
		if _, err := d.r.u32(); err != nil {
			return d.wrap(err)
		}
	}
	return nil
}

func (d *decoder) globalType() error {
	if err := d.valType(); err != nil {
		return err
	}
	mut, err := d.r.byte()
	if err != nil {
		return d.wrap(err)
	}
	if mut > 1 {
		return d.errorf("global mutability %d", mut)
	}
	return nil
}

func (d *decoder) tagType() error {
	attr, err := d.r.byte()
	if err != nil {
		return d.wrap(err)
	}
	if attr != 0 {
		return d.errorf("tag attribute %d", attr)
	}
	_, err = d.r.u32()
	return d.wrap(err)
}

// element reads an element segment. Flags (bit 0: passive or declarative,
// bit 1: explicit table index or declarative, bit 2: expressions): passive
// segments are bulk memory's; declarative ones, expressions, explicit
// tables and reference types other than funcref are reference types'.
func (d *decoder) element() error {
	flags, err := d.r.u32()
	if err != nil {
		return d.wrap(err)
	}
	if flags > 7 {
		return d.errorf("unknown element segment flags %d", flags)
	}
	passive, explicit, exprs := flags&1 != 0, flags&2 != 0, flags&4 != 0
	switch {
	case passive && !explicit:
		d.use(BulkMemory)
	case passive && explicit:
		d.use(ReferenceTypes) // declarative
	}
	if exprs {
		d.use(ReferenceTypes)
	}
	if !passive {
		if explicit {
			t, err := d.r.u32()
			if err != nil {
				return d.wrap(err)
			}
			if t != 0 {
				d.use(ReferenceTypes)
			} else {
				d.use(BulkMemory)
			}
		}
		if err := d.constExpr(); err != nil {
			return err
		}
	}
	if passive || explicit {
		if exprs {
			if err := d.refType(); err != nil {
				return err
			}
		} else {
			kind, err := d.r.byte()
			if err != nil {
				return d.wrap(err)
			}
			if kind != 0 {
				return d.errorf("unknown element kind %d", kind)
			}
		}
	}
	if exprs {
		return d.vec(d.constExpr)
	}
	return d.vec(func() error { _, err := d.r.u32(); return d.wrap(err) })
}

// data reads a data segment: active (flags 0), passive (1) or active with
// an explicit memory index (2), the last two bulk memory's.
func (d *decoder) data() error {
	flags, err := d.r.u32()
	if err != nil {
		return d.wrap(err)
	}
	switch flags {
	case 0:
		if err := d.constExpr(); err != nil {
			return err
		}
	case 1:
		d.use(BulkMemory)
	case 2:
		d.use(BulkMemory)
		m, err := d.r.u32()
		if err != nil {
			return d.wrap(err)
		}
		if m != 0 {
			return d.unknown("a data segment for memory " + fmt.Sprint(m))
		}
		if err := d.constExpr(); err != nil {
			return err
		}
	default:
		return d.errorf("unknown data segment flags %d", flags)
	}
	return d.name() // the bytes: a length and that many
}

// code reads a function body: its size, locals and instructions.
func (d *decoder) code() error {
	size, err := d.r.u32()
	if err != nil {
		return d.wrap(err)
	}
	body, err := d.r.bytes(int(size))
	if err != nil {
		return d.wrap(err)
	}
	fd := &decoder{r: reader{b: body, base: d.r.base + d.r.pos - len(body)}, section: d.section, tables: d.tables}
	err = fd.vec(func() error {
		if _, err := fd.r.u32(); err != nil {
			return fd.wrap(err)
		}
		return fd.valType()
	})
	if err == nil {
		err = fd.instructions(false)
	}
	for i, u := range fd.used {
		d.used[i] = d.used[i] || u
	}
	if err == nil && !fd.r.done() {
		err = fd.errorf("%d bytes after the function's final end", len(fd.r.b)-fd.r.pos)
	}
	return err
}

// constExpr reads a constant expression up to its end. Arithmetic in it is
// extended constant expressions'.
func (d *decoder) constExpr() error {
	return d.instructions(true)
}
