//! The `tensen` command: a thin shell over the library's `cli` module.
//!
//! The binary allocates with mimalloc: a run allocates on every core and
//! frees on another (records parsed in parallel, outputs written in order),
//! which glibc's allocator serves several times slower.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tensen::cli::main()
}
