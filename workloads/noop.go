package workloads

// Noop is a module exporting one function, noop ([] -> []), that does
// nothing: calling it in a loop measures the host-to-guest call cost.
// Hand-assembled (it is 38 bytes); the bytes are, section by section:
//
//	(module (func (export "noop")))
var Noop = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
	0x03, 0x02, 0x01, 0x00, // function section: func 0 has type 0
	0x07, 0x08, 0x01, 0x04, 'n', 'o', 'o', 'p', 0x00, 0x00, // export "noop" = func 0
	0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code: no locals, end
}
