// primes: prints the count of primes <= N + "\n" for N = argv[1] (decimal),
// testing each odd candidate by trial division with odd divisors up to its
// square root (u32 arithmetic). A WASI command; the same source is the
// native build.
//
// Built (from this folder) by `make workloads` and `make native`, always with
// Debian's rustc (a rustup rustc may come first on PATH):
//
//	/usr/bin/rustc --target wasm32-wasi -C opt-level=2 -o primes.wasm primes.rs && wasm-strip primes.wasm
//	/usr/bin/rustc -C opt-level=2 -C strip=debuginfo -o ../../../bin/native/primes-rust primes.rs

use std::process::exit;

fn count_primes(n: u32) -> u32 {
    if n < 2 {
        return 0;
    }
    let mut count: u32 = 1; // 2
    let mut i: u32 = 3;
    while i <= n {
        let mut prime: u32 = 1;
        let mut d: u32 = 3;
        while d * d <= i {
            if i % d == 0 {
                prime = 0;
                break;
            }
            d += 2;
        }
        count += prime;
        i += 2;
    }
    count
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 2 {
        eprintln!("usage: primes N");
        exit(2);
    }
    let n = match args[1].parse::<u64>() {
        Ok(n) if n <= 1_000_000_000 => n as u32,
        _ => {
            eprintln!("primes: N must be a decimal from 0 to 1000000000, not {}", args[1]);
            exit(2);
        }
    };
    println!("{}", count_primes(n));
}
