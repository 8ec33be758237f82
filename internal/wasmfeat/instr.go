package wasmfeat

import "fmt"

// instructions reads instructions up to the end that closes the
// expression (a function body or a constant expression), noting the
// feature each belongs to.
func (d *decoder) instructions(constant bool) error {
	depth := 0
	for {
		if d.r.done() {
			return d.errorf("instructions without their final end")
		}
		op, _ := d.r.byte()
		if constant {
			switch op {
			case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // i32/i64 add, sub, mul
				d.use(ExtendedConst)
			}
		}
		switch {
		case op == 0x0b: // end
			if depth == 0 {
				return nil
			}
			depth--
		case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
			depth++
			if err := d.blockType(); err != nil {
				return err
			}
		case op == 0x06: // try (legacy exceptions)
			d.use(Exceptions)
			depth++
			if err := d.blockType(); err != nil {
				return err
			}
		case op == 0x1f: // try_table
			d.use(Exceptions)
			depth++
			if err := d.blockType(); err != nil {
				return err
			}
			if err := d.vec(d.catchClause); err != nil {
				return err
			}
		case op == 0x07 || op == 0x08: // catch, throw: a tag index
			d.use(Exceptions)
			if err := d.u32s(1); err != nil {
				return err
			}
		case op == 0x09 || op == 0x18: // rethrow, delegate: a label
			d.use(Exceptions)
			if err := d.u32s(1); err != nil {
				return err
			}
		case op == 0x0a || op == 0x19: // throw_ref, catch_all
			d.use(Exceptions)
		case op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0f || op == 0x1a || op == 0x1b:
			// unreachable, nop, else, return, drop, select
		case op == 0x0c || op == 0x0d || op == 0x10: // br, br_if, call
			if err := d.u32s(1); err != nil {
				return err
			}
		case op == 0x0e: // br_table
			if err := d.vec(func() error { return d.u32s(1) }); err != nil {
				return err
			}
			if err := d.u32s(1); err != nil {
				return err
			}
		case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
			if op == 0x13 {
				d.use(TailCalls)
			}
			if err := d.u32s(1); err != nil {
				return err
			}
			t, err := d.r.u32()
			if err != nil {
				return d.wrap(err)
			}
			if t != 0 {
				d.use(ReferenceTypes)
			}
		case op == 0x12: // return_call
			d.use(TailCalls)
			if err := d.u32s(1); err != nil {
				return err
			}
		case op == 0x14 || op == 0x15: // call_ref, return_call_ref
			d.use(TypedFuncRefs)
			if op == 0x15 {
				d.use(TailCalls)
			}
			if err := d.u32s(1); err != nil {
				return err
			}
		case op == 0x1c: // select with types
			d.use(ReferenceTypes)
			if err := d.vec(d.valType); err != nil {
				return err
			}
		case op >= 0x20 && op <= 0x24: // local.*, global.*
			if err := d.u32s(1); err != nil {
				return err
			}
		case op == 0x25 || op == 0x26: // table.get, table.set
			d.use(ReferenceTypes)
			if err := d.u32s(1); err != nil {
				return err
			}
		case op >= 0x28 && op <= 0x3e: // loads and stores
			if err := d.memarg(); err != nil {
				return err
			}
		case op == 0x3f || op == 0x40: // memory.size, memory.grow
			if err := d.memoryIndex(); err != nil {
				return err
			}
		case op == 0x41: // i32.const
			if _, err := d.r.s33(); err != nil {
				return d.wrap(err)
			}
		case op == 0x42: // i64.const
			if err := d.r.s64(); err != nil {
				return d.wrap(err)
			}
		case op == 0x43:
			if _, err := d.r.bytes(4); err != nil {
				return d.wrap(err)
			}
		case op == 0x44:
			if _, err := d.r.bytes(8); err != nil {
				return d.wrap(err)
			}
		case op >= 0x45 && op <= 0xbf: // numeric
		case op >= 0xc0 && op <= 0xc4: // i32.extend8_s ... i64.extend32_s
			d.use(SignExtension)
		case op == 0xd0: // ref.null
			d.use(ReferenceTypes)
			if err := d.heapType(); err != nil {
				return err
			}
		case op == 0xd1: // ref.is_null
			d.use(ReferenceTypes)
		case op == 0xd2: // ref.func
			d.use(ReferenceTypes)
			if err := d.u32s(1); err != nil {
				return err
			}
		case op == 0xd4: // ref.as_non_null
			d.use(TypedFuncRefs)
		case op == 0xd5 || op == 0xd6: // br_on_null, br_on_non_null
			d.use(TypedFuncRefs)
			if err := d.u32s(1); err != nil {
				return err
			}
		case op == 0xfc:
			if err := d.prefixFC(); err != nil {
				return err
			}
		case op == 0xfd:
			if err := d.prefixFD(); err != nil {
				return err
			}
		case op == 0xfe:
			if err := d.prefixFE(); err != nil {
				return err
			}
		case op == 0xd3 || op == 0xfb:
			return d.unknown(fmt.Sprintf("garbage collection instruction 0x%02x", op))
		default:
			return d.errorf("unknown opcode 0x%02x", op)
		}
	}
}

// blockType reads a block type: empty, one value type, or (multi-value) a
// type index.
func (d *decoder) blockType() error {
	b, err := d.r.peek()
	if err != nil {
		return d.wrap(err)
	}
	switch b {
	case tEmpty:
		d.r.pos++
		return nil
	case tI32, tI64, tF32, tF64, tV128, tFuncref, tExternref, tExnref, tRefNull, tRef:
		d.r.pos++
		return d.valTypeCode(b)
	}
	v, err := d.r.s33()
	if err != nil {
		return d.wrap(err)
	}
	if v < 0 {
		return d.typeCodeError(byte(v & 0x7f))
	}
	d.use(MultiValue)
	return nil
}

// catchClause reads one of try_table's catch clauses.
func (d *decoder) catchClause() error {
	kind, err := d.r.byte()
	if err != nil {
		return d.wrap(err)
	}
	switch kind {
	case 0, 1: // catch, catch_ref: a tag and a label
		return d.u32s(2)
	case 2, 3: // catch_all, catch_all_ref: a label
		return d.u32s(1)
	}
	return d.errorf("unknown catch clause kind %d", kind)
}

// u32s reads n unsigned LEB128 immediates.
func (d *decoder) u32s(n int) error {
	for i := 0; i < n; i++ {
		if _, err := d.r.u32(); err != nil {
			return d.wrap(err)
		}
	}
	return nil
}

// memarg reads a load's or store's alignment and offset; bit 6 of the
// alignment announces a memory index (multiple memories).
func (d *decoder) memarg() error {
	align, err := d.r.u32()
	if err != nil {
		return d.wrap(err)
	}
	if align&0x40 != 0 {
		m, err := d.r.u32()
		if err != nil {
			return d.wrap(err)
		}
		if m != 0 {
			return d.unknown(fmt.Sprintf("an access to memory %d", m))
		}
	}
	_, err = d.r.u32()
	return d.wrap(err)
}

// memoryIndex reads the memory index of memory.size, memory.grow and the
// bulk memory instructions.
func (d *decoder) memoryIndex() error {
	m, err := d.r.u32()
	if err != nil {
		return d.wrap(err)
	}
	if m != 0 {
		return d.unknown(fmt.Sprintf("an instruction on memory %d", m))
	}
	return nil
}

// prefixFC: saturating conversions, bulk memory, table instructions.
func (d *decoder) prefixFC() error {
	sub, err := d.r.u32()
	if err != nil {
		return d.wrap(err)
	}
	switch {
	case sub <= 7: // i32.trunc_sat_f32_s ... i64.trunc_sat_f64_u
		d.use(NonTrappingFloatToInt)
		return nil
	case sub == 8: // memory.init data memory
		d.use(BulkMemory)
		if err := d.u32s(1); err != nil {
			return err
		}
		return d.memoryIndex()
	case sub == 9 || sub == 13: // data.drop, elem.drop
		d.use(BulkMemory)
		return d.u32s(1)
	case sub == 10: // memory.copy dst src
		d.use(BulkMemory)
		if err := d.memoryIndex(); err != nil {
			return err
		}
		return d.memoryIndex()
	case sub == 11: // memory.fill
		d.use(BulkMemory)
		return d.memoryIndex()
	case sub == 12 || sub == 14: // table.init elem table, table.copy dst src
		d.use(BulkMemory)
		t := make([]uint32, 2)
		for i := range t {
			if t[i], err = d.r.u32(); err != nil {
				return d.wrap(err)
			}
		}
		if sub == 14 && (t[0] != 0 || t[1] != 0) || sub == 12 && t[1] != 0 {
			d.use(ReferenceTypes)
		}
		return nil
	case sub >= 15 && sub <= 17: // table.grow, table.size, table.fill
		d.use(ReferenceTypes)
		return d.u32s(1)
	}
	return d.unknown(fmt.Sprintf("instruction 0xfc %d", sub))
}

// prefixFD: SIMD (and relaxed SIMD, also SIMD here).
func (d *decoder) prefixFD() error {
	d.use(SIMD)
	sub, err := d.r.u32()
	if err != nil {
		return d.wrap(err)
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // v128 loads, store, load*_zero
		return d.memarg()
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		_, err := d.r.bytes(16)
		return d.wrap(err)
	case sub >= 21 && sub <= 34: // extract_lane, replace_lane
		_, err := d.r.byte()
		return d.wrap(err)
	case sub >= 84 && sub <= 91: // load*_lane, store*_lane
		if err := d.memarg(); err != nil {
			return err
		}
		_, err := d.r.byte()
		return d.wrap(err)
	case sub <= 0x113: // the rest take no immediates (0x100-0x113: relaxed SIMD)
		return nil
	}
	return d.unknown(fmt.Sprintf("instruction 0xfd %d", sub))
}

// prefixFE: threads' atomic instructions.
func (d *decoder) prefixFE() error {
	d.use(Threads)
	sub, err := d.r.u32()
	if err != nil {
		return d.wrap(err)
	}
	switch {
	case sub == 3: // atomic.fence
		z, err := d.r.byte()
		if err != nil {
			return d.wrap(err)
		}
		if z != 0 {
			return d.errorf("atomic.fence with 0x%02x", z)
		}
		return nil
	case sub <= 2 || sub >= 0x10 && sub <= 0x4e:
		return d.memarg()
	}
	return d.unknown(fmt.Sprintf("instruction 0xfe %d", sub))
}
