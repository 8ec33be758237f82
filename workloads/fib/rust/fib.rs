// fib: prints fibonacci(n) + "\n", computed by naive recursion on u64, for
// n = argv[1] (decimal). A WASI command; the same source is the native build.
//
// Built (from this folder) by `make workloads` and `make native`, always with
// Debian's rustc (a rustup rustc may come first on PATH):
//
//	/usr/bin/rustc --target wasm32-wasi -C opt-level=2 -o fib.wasm fib.rs && wasm-strip fib.wasm
//	/usr/bin/rustc -C opt-level=2 -C strip=debuginfo -o ../../../bin/native/fib-rust fib.rs

use std::process::exit;

fn fib(n: u32) -> u64 {
    if n < 2 {
        return n as u64;
    }
    fib(n - 1) + fib(n - 2)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 2 {
        eprintln!("usage: fib N");
        exit(2);
    }
    let n = match args[1].parse::<u64>() {
        Ok(n) if n <= 93 => n as u32,
        _ => {
            eprintln!("fib: N must be a decimal from 0 to 93, not {}", args[1]);
            exit(2);
        }
    };
    println!("{}", fib(n));
}
