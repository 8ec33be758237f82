// image: reads a JPEG on stdin, resizes it to fit 1920x1080 keeping its
// aspect ratio (3000x2000 -> 1620x1080) with a Catmull-Rom filter, and
// writes it to stdout as a JPEG of quality 85, with the `image` crate
// (0.24, Debian's librust-image-dev: its own JPEG decoder and encoder).
// A WASI command; the same source is the native build, and the two must
// write the same bytes.
//
// Built (from this folder) by `make workloads` and `make native`, with
// Debian's cargo and rustc, offline from /usr/share/cargo/registry
// (.cargo/config.toml), reproducibly (build.sh says how):
//
//	sh build.sh --target wasm32-wasi -o image.wasm && wasm-strip image.wasm
//	sh build.sh -o ../../../bin/native/image-rust
//
// jpeg-decoder is built with `platform_independent` (Cargo.toml), so the
// native x86 build runs the same scalar IDCT and colour conversion as the
// wasm build (which has no SSSE3), as the C version does with
// STBI_NO_SIMD. Natively, jpeg-decoder 0.2 still decodes each colour
// component on its own thread (not configurable; the wasm build has no
// threads): RATIONALE.md has what that costs the comparison.

use std::io::{self, BufWriter, Read, Write};
use std::process::exit;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::{ColorType, ImageFormat};

// The box the output must fit in, and the output's JPEG quality.
const MAX_W: u32 = 1920;
const MAX_H: u32 = 1080;
const QUALITY: u8 = 85;

fn main() {
    if let Err(e) = run() {
        eprintln!("image: {}", e);
        exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut input = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut input)
        .map_err(|e| format!("read stdin: {}", e))?;
    let src = image::load_from_memory_with_format(&input, ImageFormat::Jpeg)
        .map_err(|e| format!("decode stdin: {}", e))?
        .into_rgb8();
    drop(input);
    let (dw, dh) = fit(src.width(), src.height());
    let dst = imageops::resize(&src, dw, dh, FilterType::CatmullRom);
    drop(src);
    let mut w = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    JpegEncoder::new_with_quality(&mut w, QUALITY)
        .encode(dst.as_raw(), dw, dh, ColorType::Rgb8)
        .map_err(|e| format!("encode stdout: {}", e))?;
    w.flush().map_err(|e| format!("write stdout: {}", e))
}

// fit scales w x h to the largest size that fits MAX_W x MAX_H with the
// same aspect ratio (rounded to the nearest pixel, at least 1); an image
// that already fits keeps its size. The C and Go versions compute it the
// same way.
fn fit(w: u32, h: u32) -> (u32, u32) {
    if w <= MAX_W && h <= MAX_H {
        return (w, h);
    }
    let (w, h) = (w as u64, h as u64);
    let (mw, mh) = (MAX_W as u64, MAX_H as u64);
    // Compare w/h with MAX_W/MAX_H without floating point.
    if w * mh >= h * mw {
        // width-limited
        (MAX_W, ((h * mw + w / 2) / w).max(1) as u32)
    } else {
        (((w * mh + h / 2) / h).max(1) as u32, MAX_H)
    }
}
